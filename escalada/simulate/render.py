"""One Simulation, three renderings: text for a terminal, markdown for a
pull-request comment beside the plan (the per-ticket detail collapsed), and the
JSON of the command-line contract:

    {"tickets": int, "summary": {"baseline": {...}, "policy": {...}},
     "changed": [{"ticket": str, "baseline": {...}, "policy": {...}, "why": str}]}
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from datetime import datetime
from datetime import timedelta
from typing import Any

from escalada import markdown
from escalada.instants import human
from escalada.instants import stamp
from escalada.instants import to_iso as iso
from escalada.simulate import Simulation
from escalada.simulate.compare import Side
from escalada.simulate.replay import Tally
from escalada.terminal import safe

NOW_ROWS = (
    ("escalations due", "escalations_due"),
    ("channel messages", "channel_messages"),
    ("stakeholder updates", "stakeholder_updates"),
    ("reason requests", "reason_requests"),
    ("tickets written", "tickets_written"),
    ("escalated", "escalated"),
)
DETAIL_LIMIT = 50  # per-ticket lines shown in text and markdown (json has them all)


# --- figures ---------------------------------------------------------------------


def _median(tally: Tally) -> timedelta | None:
    values = sorted(tally.first.values())
    return statistics.median_low(values) if values else None


def backtest_figures(tally: Tally) -> dict[str, Any]:
    median = _median(tally)
    return {
        "tickets": tally.tickets,
        "escalations": len(tally.escalations),
        "by_path": dict(sorted(tally.by("path").items())),
        "by_level": dict(sorted(tally.by("level").items())),
        "by_team": dict(sorted(tally.by("team").items())),
        "by_priority": dict(sorted(tally.by("priority").items())),
        "channel_messages": tally.messages,
        "stakeholder_updates": tally.updates,
        "reason_requests": tally.reason_requests,
        "tickets_escalated": len(tally.first),
        "median_time_to_first_escalation": median.total_seconds() if median else None,
    }


def _side_summary(sim: Simulation, which: str) -> dict[str, Any]:
    counts = sim.now.baseline if which == "baseline" else sim.now.policy
    out: dict[str, Any] = {
        "revision": sim.baseline_revision if which == "baseline" else sim.policy_revision,
        "open": {key: counts[label] for label, key in NOW_ROWS},
        "backtest": None,
    }
    if which == "baseline":
        out["source"] = sim.baseline_name
    if sim.backtest is not None:
        tally = sim.backtest.baseline if which == "baseline" else sim.backtest.policy
        out["backtest"] = backtest_figures(tally)
    return out


def _side_json(side: Side | None, escalations: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    if side is not None:
        out.update(
            path=side.path,
            level=side.level,
            team=side.team,
            assign=side.assign,
            actions=list(side.actions),
            triggers=list(side.triggers),
        )
    if escalations is not None:
        out["escalations"] = [
            {"path": path, "level": level, "at": iso(at)} for path, level, at in escalations
        ]
    return out


def _entries(sim: Simulation) -> list[tuple[str, Side | None, Side | None, Any, Any, list[str]]]:
    """(ticket, baseline now, policy now, baseline escalations, policy escalations, why)."""
    rows: dict[str, tuple[str, Side | None, Side | None, Any, Any, list[str]]] = {}
    for change in sim.now.changed:
        rows[change.ticket] = (
            change.ticket,
            change.baseline,
            change.policy,
            None,
            None,
            [*change.why],
        )
    if sim.backtest is not None:
        was = sim.backtest.baseline.per_ticket()
        is_ = sim.backtest.policy.per_ticket()
        for key in sim.backtest.changed:
            before, after = was.get(key, ()), is_.get(key, ())
            found = rows.get(key, (key, None, None, None, None, []))
            why = [*found[5], _backtest_why(before, after)]
            rows[key] = (key, found[1], found[2], before, after, why)
    return list(rows.values())


def _escalation_list(entries: Any) -> str:
    return ", ".join(f"L{level} {path} {stamp(at)}" for path, level, at in entries) or "none"


def _backtest_why(before: Any, after: Any) -> str:
    if len(after) == len(before):
        head = f"backtest: {len(after)} escalation(s), differing"
    else:
        head = f"backtest: {len(after)} escalation(s) instead of {len(before)}"
    return f"{head} (policy: {_escalation_list(after)}; baseline: {_escalation_list(before)})"


def as_json(sim: Simulation) -> dict[str, Any]:
    return {
        "tickets": sim.read,
        "summary": {
            "baseline": _side_summary(sim, "baseline"),
            "policy": _side_summary(sim, "policy"),
        },
        "changed": [
            {
                "ticket": key,
                "baseline": _side_json(old, old_escalations),
                "policy": _side_json(new, new_escalations),
                "why": "; ".join(why),
            }
            for key, old, new, old_escalations, new_escalations, why in _entries(sim)
        ],
    }


def render_json(sim: Simulation) -> str:
    return json.dumps(as_json(sim), indent=2, ensure_ascii=False)


# --- text and markdown -------------------------------------------------------------


def _when(moment: datetime) -> str:
    return stamp(moment)


def _duration(seconds: float | None) -> str:
    return human(timedelta(seconds=seconds)) if seconds is not None else "-"


def _table_rows(sim: Simulation) -> tuple[list[tuple[str, str, str]], list[tuple[str, str, str]]]:
    """(open-ticket rows, backtest rows): (label, baseline, policy), changed rows only
    for the breakdowns so a big policy stays readable."""
    now_rows = [
        (label, str(sim.now.baseline[label]), str(sim.now.policy[label])) for label, _ in NOW_ROWS
    ]
    back_rows: list[tuple[str, str, str]] = []
    if sim.backtest is not None:
        old = backtest_figures(sim.backtest.baseline)
        new = backtest_figures(sim.backtest.policy)
        back_rows.append(("escalations", str(old["escalations"]), str(new["escalations"])))
        for group in ("by_path", "by_level", "by_team", "by_priority"):
            for name in sorted(set(old[group]) | set(new[group])):
                a, b = old[group].get(name, 0), new[group].get(name, 0)
                label = f"  {group[3:]} {name}"
                back_rows.append((label, str(a), str(b)))
        for label, key in (
            ("tickets escalated", "tickets_escalated"),
            ("channel messages", "channel_messages"),
            ("stakeholder updates", "stakeholder_updates"),
            ("reason requests", "reason_requests"),
        ):
            back_rows.append((label, str(old[key]), str(new[key])))
        back_rows.append(
            (
                "median time to first escalation",
                _duration(old["median_time_to_first_escalation"]),
                _duration(new["median_time_to_first_escalation"]),
            )
        )
    return now_rows, back_rows


def _headline(sim: Simulation) -> str:
    rev = f" ({sim.policy_revision})" if sim.policy_revision else ""
    base = f" ({sim.baseline_revision})" if sim.baseline_revision else ""
    return f"policy{rev} against baseline {sim.baseline_name}{base}"


def _verdict(sim: Simulation) -> str:
    entries = _entries(sim)
    if not entries:
        return "No changes: the policy does what the baseline does."
    reannounced = sum(1 for c in sim.now.changed if c.reannounces)
    extra = f", {reannounced} re-announcement(s)" if reannounced else ""
    return f"{len(entries)} ticket(s) changed{extra}."


def render_text(sim: Simulation) -> str:
    now_rows, back_rows = _table_rows(sim)
    lines = [f"simulate: {_headline(sim)}"]
    changed_now = len(sim.now.changed)
    lines.append(
        f"open tickets at {_when(sim.now.at)}: {sim.now.tickets} ticket(s), {changed_now} changed"
    )
    lines += _text_table(now_rows)
    if sim.backtest is not None:
        w = sim.backtest.window
        lines.append(
            f"backtest {_when(w.start)} .. {_when(w.end)}: {sim.backtest.policy.tickets} "
            f"ticket(s), {len(sim.backtest.changed)} changed"
        )
        lines += _text_table(back_rows)
    entries = _entries(sim)
    for key, *_, why in entries[:DETAIL_LIMIT]:
        lines.append(f"  {key}: {'; '.join(why)}")
    if len(entries) > DETAIL_LIMIT:
        lines.append(f"  ... and {len(entries) - DETAIL_LIMIT} more (--format json lists all)")
    lines.append(_verdict(sim))
    return "\n".join(safe(line) for line in lines)  # ticket keys and reasons: one line each


def _text_table(rows: list[tuple[str, str, str]]) -> list[str]:
    width = max([len(label) for label, _, _ in rows] + [10])
    out = [f"  {'':<{width}}  {'baseline':>8}  {'policy':>8}"]
    for label, old, new in rows:
        mark = "  " if old == new else " *"
        out.append(f"  {label:<{width}}  {old:>8}  {new:>8}{mark}")
    return out


def render_markdown(sim: Simulation) -> str:
    now_rows, back_rows = _table_rows(sim)
    lines = [f"### escalada simulate: {_headline(sim)}", "", f"**{_verdict(sim)}**", ""]
    lines.append(
        f"Open tickets at {_when(sim.now.at)}: {sim.now.tickets}, {len(sim.now.changed)} changed."
    )
    lines += ["", *_md_table(now_rows)]
    if sim.backtest is not None:
        w = sim.backtest.window
        lines += [
            "",
            f"Backtest {_when(w.start)} .. {_when(w.end)}: {sim.backtest.policy.tickets} "
            f"tickets, {len(sim.backtest.changed)} changed.",
            "",
            *_md_table(back_rows),
        ]
    entries = _entries(sim)
    if entries:
        lines += ["", f"<details><summary>{len(entries)} ticket(s) changed</summary>", ""]
        lines += ["| ticket | why |", "| --- | --- |"]
        for key, *_, why in entries[:DETAIL_LIMIT]:
            why_cell = markdown.table_cell("; ".join(why))  # escalada's words: `moved_from`
            lines.append(f"| {markdown.escape(key, gfm=True)} | {why_cell} |")
        if len(entries) > DETAIL_LIMIT:
            lines.append(f"| ... | {len(entries) - DETAIL_LIMIT} more (`--format json`) |")
        lines += ["", "</details>"]
    return "\n".join(lines)


def _md_table(rows: list[tuple[str, str, str]]) -> list[str]:
    out = ["| | baseline | policy |", "| --- | ---: | ---: |"]
    for label, old, new in rows:
        name = label.strip()
        name = f"&nbsp;&nbsp;{name}" if label.startswith("  ") else name
        if old != new:
            out.append(f"| **{name}** | {old} | **{new}** |")
        else:
            out.append(f"| {name} | {old} | {new} |")
    return out


RENDERERS: dict[str, Callable[[Simulation], str]] = {
    "text": render_text,
    "markdown": render_markdown,
    "json": render_json,
}
