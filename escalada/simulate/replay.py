"""The backtest: replay a past window over exported tickets under one policy.

Event-driven, not a fixed-step sweep: a ticket is evaluated at its creation,
at each instant its history changes something the engine reads (a status
change, the first response, the resolution), and at the instants the engine
itself names (the next level's due time, the next stakeholder update), and
nowhere in between, where nothing can change. Each evaluation sees the
ticket as it was then (`as_of`): the status its history gives, `responded`
and `resolved` only once they happened, the status history up to then, and
the escalation state the replay itself wrote (the real marker is left out:
the replay asks what this policy would have done, not what was done).

Actions are counted when they fall inside [start, end]; a ticket opened
before the window is replayed from its creation, so it enters the window in
the state this policy would have put it in. What the export cannot know is
left as it is now: tags, fields, priority and text (a ticket's edits are not
in its status history), so triggers see the ticket's current values."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import fields
from dataclasses import replace
from datetime import datetime
from datetime import timedelta

from escalada import marker
from escalada.engine.evaluator import Evaluator
from escalada.ticket import CHANNEL_ACTIONS
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import Action
from escalada.ticket import EscalationState
from escalada.ticket import Status
from escalada.ticket import Ticket

MAX_STEPS = 10_000  # evaluations per ticket: a guard against an engine that never moves on
SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class Escalation:
    """One escalation the replay wrote: the level announced, where and when."""

    ticket: str
    at: datetime
    path: str
    level: int
    team: str | None
    priority: str | None


@dataclass
class Tally:
    """What one policy would have done over the window."""

    tickets: int = 0  # tickets alive at some point of the window
    evaluations: int = 0
    escalations: list[Escalation] = field(default_factory=list)
    messages: int = 0  # channel messages (notify and update, per channel)
    updates: int = 0  # stakeholder updates
    reason_requests: int = 0
    first: dict[str, timedelta] = field(default_factory=dict)  # ticket -> time to first escalation

    def by(self, what: str) -> Counter[str]:
        """Escalations counted per `path`, `level`, `team` or `priority`."""
        counts: Counter[str] = Counter()
        for e in self.escalations:
            key = {"path": e.path, "level": f"L{e.level}", "team": e.team, "priority": e.priority}
            counts[str(key[what] or "none")] += 1
        return counts

    def per_ticket(self) -> dict[str, tuple[tuple[str, int, datetime], ...]]:
        out: dict[str, list[tuple[str, int, datetime]]] = {}
        for e in self.escalations:
            out.setdefault(e.ticket, []).append((e.path, e.level, e.at))
        return {key: tuple(entries) for key, entries in out.items()}


def status_at(ticket: Ticket, at: datetime) -> Status:
    """The ticket's status at an instant, from its history (or, without one, from
    its resolution time: open before, its current status after)."""
    found: Status | None = None
    for change in ticket.status_history:
        if change.since > at:
            break
        found = change.status
    if found is not None:
        return found
    if ticket.status_history and ticket.status_history[0].since > at:
        return "open"
    if ticket.done:
        ended = ticket.resolved or ticket.updated
        return ticket.status if ended is None or ended <= at else "open"
    return ticket.status


def as_of(ticket: Ticket, at: datetime, state: EscalationState) -> Ticket:
    """The ticket as the engine would have read it at `at`, carrying `state`."""
    return _view(_base(ticket), ticket, at, state)


def _base(ticket: Ticket) -> Ticket:
    """What stays the same at every instant of a replay: the ticket without escalada's
    marker tags (the replay keeps its own state), its desk bookkeeping cleared."""
    tags = frozenset(t for t in ticket.tags if not marker.is_marker(t))
    return replace(ticket, tags=tags, updated=None, partial=False, revision=None)


_FIELDS = tuple(f.name for f in fields(Ticket))


def _view(base: Ticket, ticket: Ticket, at: datetime, state: EscalationState) -> Ticket:
    """`base` at `at`. Built slot by slot: dataclasses.replace costs twice as much,
    and a backtest builds one view per evaluation."""
    responded, resolved = ticket.responded, ticket.resolved
    history = ticket.status_history
    if history and history[-1].since > at:
        history = tuple(c for c in history if c.since <= at)
    changed = {
        "status": status_at(ticket, at),
        "responded": responded if responded is not None and responded <= at else None,
        "resolved": resolved if resolved is not None and resolved <= at else None,
        "status_history": history,
        "escalation": state,
    }
    view = object.__new__(Ticket)
    for name in _FIELDS:
        object.__setattr__(view, name, changed[name] if name in changed else getattr(base, name))
    return view


def _changes(ticket: Ticket) -> list[datetime]:
    """The instants the ticket's own history changes what the engine reads."""
    moments = [c.since for c in ticket.status_history]
    moments += [m for m in (ticket.responded, ticket.resolved) if m is not None]
    if ticket.done and not ticket.status_history and ticket.resolved is None and ticket.updated:
        moments.append(ticket.updated)
    return sorted(set(moments))


def replay(
    evaluator: Evaluator, tickets: Iterable[Ticket], start: datetime, end: datetime
) -> Tally:
    """What the policy would have done to the tickets between `start` and `end`."""
    tally = Tally()
    every = {
        name: priority.update_every
        for name, priority in (
            evaluator.policy.matrix.priorities.items() if evaluator.policy.matrix else ()
        )
    }
    for ticket in tickets:
        if ticket.created > end:
            continue
        ended = ticket.resolved if ticket.done else None
        if ended is not None and ended < start:
            continue
        tally.tickets += 1
        _replay_one(evaluator, ticket, start, end, tally, every)
    return tally


def _replay_one(
    evaluator: Evaluator,
    ticket: Ticket,
    start: datetime,
    end: datetime,
    tally: Tally,
    every: dict[str, timedelta | None],
) -> None:
    changes = _changes(ticket)
    base = _base(ticket)
    upcoming = 0  # index into `changes` of the next change after `now`
    state = NOT_ESCALATED
    now = ticket.created
    seen = _view(base, ticket, now, state)
    segment = 0  # the changes `seen` was built after
    for _ in range(MAX_STEPS):
        while upcoming < len(changes) and changes[upcoming] <= now:
            upcoming += 1
        if upcoming != segment:
            seen, segment = _view(base, ticket, now, state), upcoming
        elif seen.escalation is not state:
            # Between two changes of its history only the replay's own state differs;
            # the engine keeps no reference to the tickets it evaluates, so the view
            # of this segment takes the new state in place of a new view per step.
            object.__setattr__(seen, "escalation", state)
        decision = evaluator.evaluate(seen, now)
        tally.evaluations += 1
        counted = now >= start
        for action in decision.actions:
            if action.type in ("mark", "clear"):
                new = action.state if action.state is not None else NOT_ESCALATED
                if counted and new.path is not None and new.since == now:
                    tally.escalations.append(
                        Escalation(
                            ticket.key, now, new.path, new.level, decision.team, decision.priority
                        )
                    )
                    tally.first.setdefault(ticket.key, now - ticket.created)
                state = new
            if counted:
                _count(tally, action)
        candidates = []
        if upcoming < len(changes):
            candidates.append(changes[upcoming])
        if not seen.done:  # a done ticket waits for its reopening, a later status change
            if decision.next is not None:
                candidates.append(decision.next.at)
            period = every.get(decision.priority or "")
            if period is not None and state.level >= 1 and state.path is not None:
                last = state.updated or state.since
                if last is not None:
                    candidates.append(last + period)
        if not candidates:
            return
        following = min(candidates)
        now = following if following > now else now + SECOND
        if now > end:
            return


def _count(tally: Tally, action: Action) -> None:
    if action.type in CHANNEL_ACTIONS:
        tally.messages += len(action.channels)
    if action.type == "update":
        tally.updates += 1
    elif action.type == "ask_reason":
        tally.reason_requests += 1
