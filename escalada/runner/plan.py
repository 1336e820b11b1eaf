"""One ticket's part in a chunk: what it is due (a `Plan`, made by the `Planner`:
the decision's actions, a re-send of notifications a run left unsent, the pending
token), and once written, what is still to go out (`Written`)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import timezone

from escalada.engine.evaluator import Evaluator
from escalada.instants import to_iso
from escalada.policy.model import Policy
from escalada.runner.options import RunOptions
from escalada.ticket import CHANNEL_ACTIONS
from escalada.ticket import Action
from escalada.ticket import Decision
from escalada.ticket import EscalationState
from escalada.ticket import Ticket


@dataclass(frozen=True, slots=True)
class Plan:
    """One ticket of a chunk, decided: the actions due, the channel messages among
    them, and what is written on the desk (the actions with the pending token)."""

    ticket: Ticket
    decision: Decision
    actions: tuple[Action, ...]
    channel_actions: tuple[Action, ...]
    desk_actions: tuple[Action, ...]


@dataclass(frozen=True, slots=True)
class Written:
    """A ticket of the chunk in hand: written (or, for a re-send, as read), its
    channel messages still to go out and its pending token still to be cleared."""

    ticket: Ticket  # as the desk now holds it, with its pending token
    original: Ticket  # as read this cycle (what the audit's "from" describes)
    decision: Decision
    channel_actions: tuple[Action, ...]
    level_from: int
    wrote: bool  # whether this cycle wrote the ticket before its messages (not a re-send)


@dataclass(frozen=True, slots=True)
class Planner:
    policy: Policy
    evaluator: Evaluator
    now: datetime
    options: RunOptions

    def plan(self, ticket: Ticket, decision: Decision | None) -> Plan | None:
        """What one ticket is due: its decision (made now, unless the read made it),
        the actions to write and the channel messages; None when nothing is."""
        if decision is None:
            decision = self.evaluator.evaluate(ticket, self.now)
        resend = self._resend(ticket, decision)
        actions = _stamped([*decision.actions, *resend], self.now, self.options.policy_revision)
        if not actions:
            return None
        if resend:
            decision = replace(decision, actions=tuple(actions))
        channel_actions = [a for a in actions if a.type in CHANNEL_ACTIONS and a.channels]
        desk_actions = [a for a in actions if a.type != "notify"]  # an update is also a note
        if channel_actions:
            desk_actions = _with_pending(desk_actions, ticket.escalation, pending=True)
        # a mark of the state already on the desk (a re-send's pending) writes nothing
        desk_actions = [
            a for a in desk_actions if not (a.type == "mark" and a.state == ticket.escalation)
        ]
        return Plan(ticket, decision, tuple(actions), tuple(channel_actions), tuple(desk_actions))

    def _resend(self, ticket: Ticket, decision: Decision) -> list[Action]:
        """The current level's notifications when a run left them unsent (its `pending`
        token is older than the resend lease); none when the decision announces or
        clears anything itself (a new announcement supersedes the old one)."""
        state = ticket.escalation
        if not state.pending or any(a.type in ("notify", "clear") for a in decision.actions):
            return []
        started = _pending_since(ticket)
        if started is not None and self.now - started < self.options.resend_after:
            return []
        paths = {name.casefold(): path for name, path in self.policy.paths.items()}
        path = paths.get((state.path or "").casefold())
        team = None
        if path is not None and 0 <= state.level < len(path.levels):
            team = self.evaluator.teams.resolve(path.levels[state.level].team, self.now)
        if team is None or not team.channels:
            no_one = replace(state, pending=False)
            return [Action("mark", "no channel to notify: pending token cleared", state=no_one)]
        when = to_iso(started) if started else "an earlier cycle"
        reason = (
            f"Escalated to level {state.level} ({team.name}) on {path.name if path else '-'} "
            f"(notification re-sent: the run of {when} stopped before confirming it)"
        )
        return [Action("notify", reason, team=team.name, channels=tuple(team.channels))]


def _pending_since(ticket: Ticket) -> datetime | None:
    """When the pending token was written, at the latest: the marker's stamps (the
    writing cycle's instant) or the desk's last update of the ticket, if later."""
    state = ticket.escalation
    moments = [m for m in (state.since, state.updated, ticket.updated) if m is not None]
    moments = [m if m.tzinfo else m.replace(tzinfo=timezone.utc) for m in moments]
    return max(moments) if moments else None


def _with_pending(
    actions: Sequence[Action], current: EscalationState, *, pending: bool
) -> list[Action]:
    """The desk actions with the marker's pending token set, adding a mark if there is none."""
    out: list[Action] = []
    marked = False
    for action in actions:
        if action.type == "mark" and action.state is not None:
            action = replace(action, state=replace(action.state, pending=pending))
            marked = True
        out.append(action)
    if not marked:
        out.append(Action("mark", "notifications pending", state=replace(current, pending=pending)))
    return out


def _stamped(actions: list[Action], now: datetime, revision: str | None) -> list[Action]:
    """The marks that announce a level (stamped `since` now) carry the policy revision;
    other marks keep the revision of the escalation they belong to."""
    if revision is None:
        return actions
    out = []
    for action in actions:
        state = action.state
        if action.type == "mark" and state is not None and state.path and state.since == now:
            action = replace(action, state=replace(state, policy=revision))
        out.append(action)
    return out
