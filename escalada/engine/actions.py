"""Turns where a ticket should be into the actions that get it there.

The state change is the pivot: a decision writes a `mark` (or a `clear`) exactly
when the escalation state it computes differs from the one on the ticket, so
evaluating a ticket right after its actions were applied yields no actions.

- Escalation to a higher level: the new state is (path, level, since=now,
  updated=None); the announcement is itself the first update, so the next
  stakeholder update falls due `update_every` after it.
- Stakeholder update while escalated (level >= 1), in business time on the
  priority's calendar: due when the priority's `update_every` has run since
  (updated or since), paused time not counted; one update however many were
  missed; the mark records updated=now.
- A reason request (ask_reason) sets `asked`, which sticks while the ticket
  stays on its path, so a requester is asked once (a ticket that moves to
  another path starts afresh there).
- Leaving the path (resolved, closed, no path matches, or another path governs
  at level 0) clears the state, only when the ticket carries one.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from escalada.engine.escalation import EscalationReasons
from escalada.engine.levels import Clocks
from escalada.engine.levels import LevelPlan
from escalada.engine.levels import Ruler
from escalada.engine.levels import utc
from escalada.engine.reasons import sla_texts
from escalada.engine.reasons import ticket_values
from escalada.engine.situation import PriorityOutcome
from escalada.engine.situation import Situation
from escalada.engine.teams import ResolvedTeam
from escalada.engine.teams import TeamResolver
from escalada.instants import human
from escalada.instants import stamp
from escalada.policy.model import Policy
from escalada.policy.model import Priority
from escalada.policy.templates import DEFAULTS
from escalada.policy.templates import compiled
from escalada.policy.templates import fill
from escalada.policy.templates import placeholders
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import Action
from escalada.ticket import Decision
from escalada.ticket import EscalationState
from escalada.ticket import Ticket

# The placeholders a set_priority reason can use that depend only on the
# priority outcome, that is on the ticket's written priority, impact and urgency.
OUTCOME_NAMES = frozenset(
    {"priority", "priority_title", "written_priority", "impact", "urgency", "matrix"}
)


def carries_state(state: EscalationState) -> bool:
    """Whether the ticket holds any escalation marker (history is not persisted)."""
    return state is not NOT_ESCALATED and replace(state, history=()) != NOT_ESCALATED


def updates_due(
    state: EscalationState, priority: Priority | None, level: int, clocks: Clocks, ruler: Ruler
) -> bool:
    """Whether a stakeholder update is due for a ticket held at `level`: the
    priority's `update_every` of business time on its calendar (`ruler`) has
    run since the last one (paused time does not count)."""
    every = priority.update_every if priority else None
    if level < 1 or every is None:
        return False
    last = state.updated or state.since
    if last is None:
        return True
    if clocks.frozen or clocks.now - utc(last) < every:
        return False  # business time never exceeds wall time
    return clocks.running(ruler, last) >= every


class Writer:
    """Builds actions and decisions for one Evaluator's policy."""

    def __init__(self, policy: Policy, teams: TeamResolver) -> None:
        self.policy = policy
        self._parts = {name: compiled(text) for name, text in DEFAULTS.items()}
        self._reasons = EscalationReasons()
        # (instant, escalation states shared at it): swapped as one tuple, so
        # threads evaluating at different instants never share a state
        self._states: tuple[datetime | None, dict[tuple[str, int, bool], EscalationState]] = (
            None,
            {},
        )
        self._teams = teams
        matrix = policy.matrix
        self._priorities: dict[str | None, Priority] = {}
        self._priorities.update(matrix.priorities if matrix else {})
        self._corrections: dict[tuple[str | None, str | None, str | None], Action] = {}
        self._corrections_shared = set(placeholders(DEFAULTS["set_priority"])) <= OUTCOME_NAMES

    def off_path(
        self, ticket: Ticket, now: datetime, outcome: PriorityOutcome, why: str
    ) -> Decision:
        actions: list[Action] = []
        if outcome.correct_to is not None and not ticket.done:
            actions.append(self._set_priority(ticket, now, outcome))
        old = ticket.escalation
        if carries_state(old):
            values = ticket_values(
                ticket, outcome.effective, self.policy.priority(outcome.effective), now
            )
            was = f" (was level {old.level} on {old.path})" if old.path else ""
            values["why"] = why + was
            text = fill(self._parts["clear"].parts, values)
            actions.append(Action("clear", text, state=NOT_ESCALATED))
        return Decision(ticket.key, outcome.effective, None, 0, None, tuple(actions))

    def on_path(self, situation: Situation) -> Decision:
        ticket, now, outcome, priority, _, path, plans, _, _, level, held, _, moved, asks, next_ = (
            situation
        )
        old = ticket.escalation
        prio_name = outcome.effective
        level_spec = path.levels[level]
        team = self._teams.resolve(level_spec.team, now)
        below = held or 0
        # a path trigger's move is announced even at level 0 of the new path
        arrived = moved is not None and held is None
        escalate = level > below or arrived
        asked = old.asked and held is not None  # asked once per stay on a path
        asking = bool(asks) and not asked
        update_due = False
        if escalate:
            new = self._escalated(old, path.name, level, now, asked or asking)
            changed = True  # the history grew
        elif held is not None:
            update_due = updates_due(old, priority, level, situation.clocks, situation.sla_ruler)
            new = old
            if asking or update_due:
                new = replace(old, asked=True if asking else old.asked)
                if update_due:
                    new = replace(new, updated=now)
            changed = new is not old and new != old
        elif asking:
            new = EscalationState(path=path.name, level=0, asked=True)
            changed = new != old
        else:
            new = NOT_ESCALATED
            changed = new is not old and new != old
        route = None
        if not escalate and "assign" in level_spec.actions and ticket.team != team.name:
            route = self._route(ticket, level, level_spec.team, team, now)
        if not (escalate or asking or update_due or changed or outcome.correct_to or route):
            return Decision(ticket.key, prio_name, path.name, level, team.name, (), next_)

        values = ticket_values(ticket, prio_name, priority, now)
        values["path"] = path.name
        values["level"] = str(level)
        values["team"] = team.name
        actions: list[Action] = []
        if outcome.correct_to is not None:
            actions.append(self._set_priority(ticket, now, outcome))
        reason = ""
        if escalate:
            parts = self._reasons.parts(situation, arrived)
            reason = self._reasons.render(parts, values, situation)
            if "assign" in level_spec.actions:
                actions.append(Action("assign", reason, team=team.name))
            if "comment" in level_spec.actions:
                actions.append(Action("comment", reason))
        if route is not None:
            actions.append(Action("assign", route, team=team.name))
        if asking:
            values["trigger"] = ", ".join(asks)
            ask = fill(self._parts["ask_reason"].parts, values)
            actions.append(Action("ask_reason", ask))
            reason = reason or ask
        update = ""
        if update_due:
            self._update_values(values, situation, plans[level])
            update = fill(self._parts["update"].parts, values)
            reason = reason or update
        if changed:
            if new.path is None:
                was = f"was level {old.level} on {old.path}" if old.path else "no level"
                values["why"] = f"path {path.name} now governs it at level 0 ({was})"
                actions.append(Action("clear", fill(self._parts["clear"].parts, values), state=new))
            else:
                if not reason:
                    reason = f"{ticket.key}: escalation state now on {path.name}, level {level}."
                actions.append(Action("mark", reason, state=new))
        if escalate and "notify" in level_spec.actions:
            actions.append(Action("notify", reason, team=team.name, channels=team.channels))
        if update_due:
            actions.append(Action("update", update, team=team.name, channels=team.channels))
        trigger = None
        if escalate:
            cause = situation.source if situation.source is not None else moved
            trigger = cause.trigger if cause is not None else None
        return Decision(
            ticket.key,
            prio_name,
            path.name,
            level,
            team.name,
            tuple(actions),
            next_,
            escalated=escalate,
            trigger=trigger,
        )

    def _route(
        self, ticket: Ticket, level: int, named: str, team: ResolvedTeam, now: datetime
    ) -> str | None:
        """Why a level that assigns gives the ticket to `team` without escalating, or None.

        Follow-the-sun, for a rotation team: at level 0 a ticket with no team, or
        with the rotation team itself, goes to the region on shift (a ticket someone gave another
        team is left alone). With the rotation's `handover`, a ticket a region
        holds goes on to the region on shift once that region's shift is over."""
        rotation = self.policy.teams.get(named)
        if rotation is None or not rotation.rotation:
            return None  # a plain team is assigned when a ticket escalates to it
        shift = f" ({team.shift})" if team.shift else ""
        if ticket.team is None or ticket.team == named:
            if level != 0:
                return None
            return f"{ticket.key} routed to {team.name}{shift}: follow-the-sun on {named}"
        if not rotation.handover:
            return None
        if ticket.team not in {s.team for s in rotation.rotation}:
            return None
        if self._teams.region_open(rotation, ticket.team, now):
            return None
        return f"{ticket.key}: hand-over from {ticket.team} (its shift ended) to {team.name}{shift}"

    def _escalated(
        self, old: EscalationState, path: str, level: int, now: datetime, asked: bool
    ) -> EscalationState:
        """The state an escalation writes. Markers do not persist the history, so
        states read from a desk start it afresh, and every ticket escalating to
        the same level at the same instant writes an equal state: one object is
        shared (fewer objects for the garbage collector to trace)."""
        if old.history:
            return EscalationState(
                path=path,
                level=level,
                since=now,
                asked=asked,
                history=(*old.history, f"{path}:{level}"),
            )
        at, states = self._states
        if at is not now:
            states = {}
            self._states = (now, states)
        key = (path, level, asked)
        found = states.get(key)
        if found is None:
            found = states[key] = EscalationState(
                path=path, level=level, since=now, asked=asked, history=(f"{path}:{level}",)
            )
        return found

    def _set_priority(self, ticket: Ticket, now: datetime, outcome: PriorityOutcome) -> Action:
        """The correction to the matrix priority. Its reason names only what the
        outcome's key holds (unless the template asks for more), so the action
        is built once per (written, impact, urgency) and shared."""
        key = (outcome.written, ticket.impact, ticket.urgency)
        found = self._corrections.get(key) if self._corrections_shared else None
        if found is None:
            target = outcome.correct_to
            values = ticket_values(ticket, target, self._priorities.get(target), now)
            values["written_priority"] = outcome.written or "none"
            matrix = self.policy.matrix
            values["matrix"] = matrix.name if matrix else ""
            text = fill(self._parts["set_priority"].parts, values)
            found = Action("set_priority", text, priority=target)
            if self._corrections_shared:
                self._corrections[key] = found
        return found

    def _update_values(self, values: dict[str, str], situation: Situation, plan: LevelPlan) -> None:
        elapsed = situation.clocks.so_far(situation.sla_ruler)
        priority = situation.priority
        left, target = sla_texts(priority, "resolve", elapsed, named_in_rule=False)
        since = situation.ticket.escalation.since
        values.update(
            since=stamp(since) if since else "unknown",
            elapsed=human(elapsed),
            left=left,
            target=target,
            rule=plan.rule,
        )
