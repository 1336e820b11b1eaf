"""`escalada explain`: why a ticket is where it is and what happens next.

One assessment (engine.Evaluator.assess), two renderings: a timeline a person
reads in five seconds, and the JSON object of the command-line contract:
`{"ticket", "priority", "path", "level", "team", "actions": [{"type", "reason",
...}], "next": {"level", "at"} | null}`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from datetime import timezone
from typing import Any

import click

from escalada.engine.evaluator import Evaluator
from escalada.engine.trace import Assessment
from escalada.engine.trace import LevelStatus
from escalada.instants import human
from escalada.instants import stamp
from escalada.instants import to_iso
from escalada.policy.model import Policy
from escalada.terminal import safe
from escalada.ticket import Action
from escalada.ticket import EscalationState
from escalada.ticket import Ticket

MARKS = {
    "start": "✓",
    "reached": "✓",
    "passed": "✓",
    "due": "due",
    "skipped": "skipped",
    "pending": "pending",
    "stopped": "stopped",
    "paused": "paused",
    "trigger only": "-",
}


def explain(policy: Policy, ticket: Ticket, now: datetime) -> Assessment:
    """The assessment of one ticket at `now`, its decision carrying the timeline."""
    assessment = Evaluator(policy).assess(ticket, now)
    lines = tuple(render_text(assessment).splitlines()[1:])
    return replace(assessment, decision=replace(assessment.decision, timeline=lines))


# --- json ---------------------------------------------------------------------------


def state_json(state: EscalationState) -> dict[str, Any]:
    return {
        "path": state.path,
        "level": state.level,
        "since": to_iso(state.since) if state.since else None,
        "updated": to_iso(state.updated) if state.updated else None,
        "asked": state.asked,
        "pending": state.pending,
        "history": list(state.history),
    }


def action_json(action: Action) -> dict[str, Any]:
    out: dict[str, Any] = {"type": action.type, "reason": action.reason}
    if action.team is not None:
        out["team"] = action.team
    if action.channels:
        out["channels"] = list(action.channels)
    if action.priority is not None:
        out["priority"] = action.priority
    if action.state is not None:
        out["state"] = state_json(action.state)
    return out


def as_json(assessment: Assessment) -> dict[str, Any]:
    d = assessment.decision
    return {
        "ticket": d.ticket,
        "priority": d.priority,
        "path": d.path,
        "level": d.level,
        "team": d.team,
        "actions": [action_json(a) for a in d.actions],
        "next": {"level": d.next.level, "at": to_iso(d.next.at)} if d.next else None,
    }


def render_json(assessment: Assessment) -> str:
    return json.dumps(as_json(assessment), indent=2, ensure_ascii=False)


# --- text ---------------------------------------------------------------------------


def render_text(a: Assessment) -> str:
    t, d = a.ticket, a.decision
    title = f' "{t.title}"' if t.title else ""
    lines = [f"{t.key}{title} at {stamp(a.now)}"]
    if a.now >= t.created:
        opened = f"{stamp(t.created)}, {human(a.now - t.created)} ago"
    else:
        opened = f"{stamp(t.created)}, {human(t.created - a.now)} after the instant evaluated"
    if a.elapsed:
        business = ", ".join(f"{name} {human(spent)}" for name, spent in a.elapsed)
        opened += f" (business time: {business})"
    lines.append(_row("opened", opened))
    if a.paused or a.frozen:
        spent = ", ".join(f"{name} {human(time)}" for name, time in a.paused) or "none known"
        now_ = f"; {t.status} now: no level falls due by time" if a.frozen else ""
        lines.append(_row("paused", f"business time {spent}{now_}"))
    if t.responded:
        lines.append(_row("responded", stamp(t.responded)))
    lines.append(_row("priority", _priority(a)))
    lines.append(_row("path", _path(a)))
    state = t.escalation
    if state.path is not None or state.asked:
        held = f"L{state.level} on {state.path}" if state.path else "no level"
        since = f" since {stamp(state.since)}" if state.since else ""
        extra = ", reason asked" if state.asked else ""
        extra += f", escalated under policy revision {state.policy}" if state.policy else ""
        lines.append(_row("state", f"{held}{since}{extra}"))
    if a.levels:
        lines.append(_row("levels", ""))
    for level in a.levels:
        lines.append(_level(level, d.level, a.now))
    if d.team is not None:
        lines.append(_row("team", d.team + (f" ({a.shift})" if a.shift else "")))
    fired = [f"{f.name} ({f.effect}) -> {f.outcome}" for f in a.triggers]
    if fired or a.levels:
        lines.append(_row("triggers", "; ".join(fired) if fired else "none fired"))
    lines.extend(_actions(a))
    if d.next is not None:
        team = next((lv.team for lv in a.levels if lv.index == d.next.level), "")
        wait = human(d.next.at - a.now)
        lines.append(_row("next", f"L{d.next.level} {team} at {stamp(d.next.at)} (in {wait})"))
    else:
        lines.append(_row("next", "nothing scheduled"))
    return "\n".join(safe(line) for line in lines) + "\n"  # ticket text: one line each


def _row(label: str, text: str) -> str:
    return f"  {label:<10}{text}".rstrip()


def _priority(a: Assessment) -> str:
    p, t = a.priority, a.ticket
    cell = f"impact {t.impact} x urgency {t.urgency}"
    if p.effective is None:
        return "none (no priority written, impact or urgency unknown)"
    if p.derived is None:
        return f"{p.effective} as written (impact or urgency unknown)"
    if p.written == p.derived:
        return f"{p.effective} = {cell}"
    if p.written is None:
        fix = ", set on the ticket" if p.correct_to else ""
        return f"{p.effective} from {cell} (none written{fix})"
    if p.correct_to:
        return f"{p.effective} from {cell}; the ticket says {p.written}: corrected (managed)"
    return f"{p.effective} as written (the matrix gives {p.derived} for {cell}; not managed)"


def _path(a: Assessment) -> str:
    d = a.decision
    if a.ticket.done:
        return f"none: the ticket is {a.ticket.status}"
    if d.path is None:
        return "none: no escalation path matches"
    why = f"precedence {a.precedence}: {a.matched_why}" if a.matched else ""
    if a.moves:
        return f"{d.path} (matched {a.matched}, {why}; moved {', '.join(a.moves)})"
    return f"{d.path} ({why})"


def _level(level: LevelStatus, current: int, now: datetime) -> str:
    pointer = ">" if level.index == current else " "
    status = MARKS.get(level.status, level.status)
    due = _when(level.due, now) if level.due else ""
    rule = level.rule + (f" ({level.note})" if level.note else "")
    return f"  {pointer} {status:<8}L{level.index} {level.team:<20} {due:<18}{rule}".rstrip()


def _when(moment: datetime, now: datetime) -> str:
    """`12:00Z` on the day of `now` (UTC), else the full `2026-11-30 12:30Z`."""
    utc = moment.astimezone(timezone.utc)
    if utc.date() == now.astimezone(timezone.utc).date():
        return utc.strftime("%H:%MZ")
    return stamp(utc)


def _actions(a: Assessment) -> list[str]:
    actions = a.decision.actions
    if not actions:
        return [_row("now", "nothing to do")]
    lines = [_row("now", ", ".join(_action_label(x) for x in actions))]
    shown: set[str] = set()
    for action in actions:
        if action.reason not in shown:
            shown.add(action.reason)
            lines.append(_row("", f"{action.type}: {action.reason}"))
    return lines


def _action_label(action: Action) -> str:
    if action.type == "assign":
        return f"assign to {action.team}"
    if action.type == "notify":
        return f"notify {', '.join(action.channels) or action.team or 'no channel'}"
    if action.type == "set_priority":
        return f"set priority {action.priority}"
    if action.type == "mark" and action.state is not None and action.state.path:
        return f"mark L{action.state.level} on {action.state.path}"
    return action.type


RENDERERS: dict[str, Callable[[Assessment], str]] = {"text": render_text, "json": render_json}


def main(ticket: str, policy_paths: Sequence[str], *, moment: datetime | None, output: str) -> int:
    """Print the assessment of the ticket file (or - for stdin) at `moment` (default now)."""
    from escalada.policy.ticket_input import load_ticket
    from escalada.policy.validate import load_policy

    policy = load_policy(policy_paths)
    parsed = load_ticket(ticket, policy=policy)
    now = moment if moment is not None else datetime.now(timezone.utc)
    click.echo(RENDERERS[output](explain(policy, parsed, now)).rstrip("\n"))
    return 0
