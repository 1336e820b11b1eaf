"""Open tickets, now: what the next `run` would do under the new policy that it
would not under the baseline, and the reverse, ticket by ticket.

Both policies assess each open ticket as the desk holds it (its marker
included) at the same instant. A ticket differs when the governing path, the
level, the team, the assignment, the actions or the triggers that fire differ;
`why` names each difference in words a reviewer reads in a pull request."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime

from escalada.engine.evaluator import Evaluator
from escalada.engine.trace import Assessment
from escalada.ticket import CHANNEL_ACTIONS
from escalada.ticket import Decision
from escalada.ticket import EscalationState
from escalada.ticket import Ticket


@dataclass(frozen=True, slots=True)
class Side:
    """What one policy decides for one ticket at the instant compared."""

    path: str | None
    level: int
    team: str | None
    assign: str | None  # the team an `assign` action moves the ticket to
    actions: tuple[str, ...]  # action types, in the order the runner applies them
    triggers: tuple[str, ...]  # triggers that fire, "path/name"
    announces: int | None  # the level announced (an escalation written now), if any
    messages: int  # channel messages (notify and update, per channel)

    @property
    def writes(self) -> bool:
        return bool(self.actions)


@dataclass(frozen=True, slots=True)
class Change:
    ticket: str
    baseline: Side
    policy: Side
    why: tuple[str, ...]
    reannounces: bool  # the policy announces a level the ticket already had announced


@dataclass(frozen=True, slots=True)
class NowComparison:
    at: datetime
    tickets: int
    baseline: Counter[str]
    policy: Counter[str]
    changed: tuple[Change, ...]


def side(assessment: Assessment) -> Side:
    d: Decision = assessment.decision
    announces = None
    assign = None
    messages = 0
    for action in d.actions:
        state = action.state
        if action.type == "mark" and state is not None and _announced(state, assessment.now):
            announces = state.level
        elif action.type == "assign":
            assign = action.team
        if action.type in CHANNEL_ACTIONS:
            messages += len(action.channels)
    return Side(
        path=d.path,
        level=d.level,
        team=d.team,
        assign=assign,
        actions=tuple(a.type for a in d.actions),
        triggers=tuple(sorted({f"{t.path}/{t.name}" for t in assessment.triggers})),
        announces=announces,
        messages=messages,
    )


def _announced(state: EscalationState, now: datetime) -> bool:
    """A mark that writes a new level: an escalation stamps `since` with the instant."""
    return state.path is not None and state.since == now


def compare_now(
    baseline: Evaluator,
    policy: Evaluator,
    tickets: Iterable[Ticket],
    now: datetime,
    *,
    renames: Mapping[str, str] | None = None,
) -> NowComparison:
    """Assess every open ticket under both policies at `now`. `renames` maps a path's
    name in the policy to its name in the baseline (`moved_from`): a ticket whose
    decisions differ only by that name has not changed."""
    renames = renames or {}
    counts = {"baseline": Counter[str](), "policy": Counter[str]()}
    changed: list[Change] = []
    total = 0
    for ticket in tickets:
        if ticket.done:
            continue
        total += 1
        old = side(baseline.assess(ticket, now))
        new = side(policy.assess(ticket, now))
        _count(counts["baseline"], old)
        _count(counts["policy"], new)
        if old == new or (renames and old == _renamed(new, renames)):
            continue
        reannounces = _reannounces(ticket.escalation, new) and old.announces is None
        changed.append(Change(ticket.key, old, new, tuple(_why(ticket, old, new)), reannounces))
    return NowComparison(now, total, counts["baseline"], counts["policy"], tuple(changed))


def _renamed(s: Side, renames: Mapping[str, str]) -> Side:
    triggers = []
    for name in s.triggers:
        path, _, trigger = name.partition("/")
        triggers.append(f"{renames.get(path, path)}/{trigger}")
    named = renames.get(s.path, s.path) if s.path is not None else None
    return replace(s, path=named, triggers=tuple(sorted(triggers)))


def _count(counter: Counter[str], s: Side) -> None:
    if s.path is not None:
        counter["on a path"] += 1
    if s.level >= 1:
        counter["escalated"] += 1
    if s.announces is not None:
        counter["escalations due"] += 1
    counter["channel messages"] += s.messages
    counter["stakeholder updates"] += s.actions.count("update")
    counter["reason requests"] += s.actions.count("ask_reason")
    if s.writes:
        counter["tickets written"] += 1


def _reannounces(state: EscalationState, new: Side) -> bool:
    """The new policy announces a level the marker says was announced already,
    under another path name (a renamed or reordered path)."""
    return (
        new.announces is not None
        and state.path is not None
        and state.level >= new.announces >= 1
        and state.path.casefold() != (new.path or "").casefold()
    )


def _under(state: EscalationState) -> str:
    return f", escalated under policy revision {state.policy}" if state.policy else ""


def _level(s: Side) -> str:
    return f"L{s.level} on {s.path}" if s.path else "no path"


def _why(ticket: Ticket, old: Side, new: Side) -> list[str]:
    why: list[str] = []
    state = ticket.escalation
    if _reannounces(state, new) and old.announces is None:
        why.append(
            f"re-announces L{new.announces} on {new.path}: the ticket's marker already "
            f"holds L{state.level} on {state.path}{_under(state)} (renamed or reordered path; "
            f"`moved_from: [{state.path}]` on the path keeps it)"
        )
    elif new.announces is not None and old.announces is None:
        why.append(f"new escalation: L{new.announces} on {new.path} now")
    elif old.announces is not None and new.announces is None:
        why.append(f"escalation no longer due: L{old.announces} on {old.path}")
    elif old.announces != new.announces:
        why.append(f"escalates to L{new.announces} instead of L{old.announces}")
    if old.path != new.path:
        why.append(f"path {old.path or 'none'} -> {new.path or 'none'}")
    elif old.level != new.level:
        why.append(f"level {_level(old)} -> L{new.level}")
    started = sorted(set(new.triggers) - set(old.triggers))
    stopped = sorted(set(old.triggers) - set(new.triggers))
    if started:
        why.append(f"trigger starts matching: {', '.join(started)}")
    if stopped:
        why.append(f"trigger stops matching: {', '.join(stopped)}")
    if old.team != new.team:
        why.append(f"team {old.team or 'none'} -> {new.team or 'none'}")
    if old.assign != new.assign:
        why.append(f"assignment {old.assign or 'none'} -> {new.assign or 'none'}")
    if not why and old.actions != new.actions:
        why.append(
            f"actions {', '.join(old.actions) or 'none'} -> {', '.join(new.actions) or 'none'}"
        )
    if not why and old.messages != new.messages:
        why.append(f"channel messages {old.messages} -> {new.messages}")
    return why
