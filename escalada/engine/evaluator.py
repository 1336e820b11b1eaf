"""The escalation engine: policy + ticket + instant -> Decision. Pure and deterministic.

`evaluate(policy, ticket, now)` is the whole contract; `Evaluator(policy)` holds
what can be computed once per policy (compiled conditions, paths in precedence
order, level thresholds per path and priority, calendar clocks) for the runner
and the benchmark. The rules, in the order they apply:

1. Priority: the matrix priority for impact x urgency when both are known. A
   written priority that disagrees is kept (and reported by `explain`) unless
   the matrix manages priorities, in which case the matrix's wins and a
   `set_priority` action corrects the ticket.
2. Path: the highest-precedence path whose `match` holds (no match: every
   ticket). A firing `path:` trigger moves the ticket on to that path
   (functional escalation; followed until no path trigger fires, each path at
   most once). A resolved or closed ticket, or one no path matches, is on no
   path.
3. Level: the highest level whose time rule fell due (see `engine_levels`);
   a firing `goto: N` trigger lifts it to N. A ticket moved by a `path:`
   trigger enters the target path at its highest due level (level 0 when none
   is due: that level's team is who the path brings in) and the move is
   announced at once, with that level's actions, because bringing compliance
   in means now; it stays there while the trigger holds. `goto: next` puts it one level above
   where the rules and `goto: N` triggers put it, and keeps it there while the
   request stands (so it is announced once: relative to the stored level it
   would climb on every run). A ticket never descends on its path.
4. Triggers whose `reason_from: latest_comment` finds no comment do nothing but
   ask for a reason, once per escalation state (`EscalationState.asked`).
5. Actions, in the order the runner applies them: set_priority, assign,
   comment, ask_reason, mark (or clear), notify, update. Desk writes and the
   marker go first so a run that dies before notifying never announces twice;
   a stakeholder update comes last. Catching up after downtime announces only
   the highest due level and names the skipped ones.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timezone

from escalada.engine.actions import Writer
from escalada.engine.actions import updates_due
from escalada.engine.calendars import clock_for
from escalada.engine.levels import Clocks
from escalada.engine.levels import LevelPlan
from escalada.engine.levels import Ruler
from escalada.engine.levels import Schedule
from escalada.engine.levels import Spans
from escalada.engine.levels import build_plans
from escalada.engine.levels import next_step
from escalada.engine.levels import schedule_level
from escalada.engine.levels import timed
from escalada.engine.pauses import pauses
from escalada.engine.situation import PriorityOutcome
from escalada.engine.situation import Situation
from escalada.engine.situation import Source
from escalada.engine.teams import TeamResolver
from escalada.engine.teams import calendar_named
from escalada.engine.timeline import Timelines
from escalada.engine.trace import Assessment
from escalada.engine.trace import Trace
from escalada.policy.conditions import Predicate
from escalada.policy.conditions import compile_condition
from escalada.policy.conditions import scales
from escalada.policy.model import BUILTIN_CALENDAR
from escalada.policy.model import EscalationPath
from escalada.policy.model import Policy
from escalada.policy.model import Priority
from escalada.policy.model import Trigger
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import Decision
from escalada.ticket import NextStep
from escalada.ticket import Ticket


@dataclass(frozen=True, slots=True)
class CompiledTrigger:
    trigger: Trigger
    fires: Predicate


class Evaluator:
    """Evaluates tickets against one policy; build once, call `evaluate` often."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.matrix = policy.matrix
        ranks = scales(policy.matrix)
        self._paths = tuple(
            (path, compile_condition(path.match, ranks)) for path in policy.paths_by_precedence()
        )
        self._triggers = {
            path.name: tuple(
                CompiledTrigger(t, compile_condition(t.condition, ranks)) for t in path.triggers
            )
            for path in policy.paths.values()
        }
        # a stored path name -> the policy's: former names (`moved_from`) first,
        # so a path's own name wins over another path's former one
        self._canon = {
            old.casefold(): path.name for path in policy.paths.values() for old in path.moved_from
        }
        self._canon.update({name.casefold(): name for name in policy.paths})
        self._canon.update({name: name for name in policy.paths})
        self._gotos = {
            name: tuple(
                c for c in compiled if c.trigger.path is None and c.trigger.goto is not None
            )
            for name, compiled in self._triggers.items()
        }
        self._movers = {
            name: tuple(c for c in compiled if c.trigger.path is not None)
            for name, compiled in self._triggers.items()
        }
        self._services = tuple(
            (level.name, compile_condition(level.match, ranks))
            for level in (policy.matrix.service_levels if policy.matrix else ())
        )
        # paths whose level 0 assigns: a fresh ticket may need routing (follow-the-sun)
        self._routes = {
            name: "assign" in path.levels[0].actions for name, path in policy.paths.items()
        }
        self._rulers: dict[str, Ruler] = {}
        self._plans: dict[
            tuple[str, str | None, str | None], tuple[tuple[LevelPlan, ...], Schedule]
        ] = {}
        self._priorities: dict[tuple[str | None, str | None, str | None], PriorityOutcome] = {}
        self._slas: dict[tuple[str | None, str | None], tuple[Priority | None, Ruler]] = {}
        self._pauses: dict[str | None, frozenset[str]] = {}
        self.teams = TeamResolver(policy, lambda name: self.ruler(name).clock)
        self._timelines = Timelines()  # business time around the instant evaluated at
        # (instant, next steps shared at it), swapped as one tuple (see `next_step`)
        self._steps: tuple[datetime | None, dict[tuple[int, datetime], NextStep]] = (None, {})
        self._writer = Writer(policy, self.teams)

    # --- precomputed data ----------------------------------------------------

    def ruler(self, calendar: str) -> Ruler:
        """Business time on a calendar of this policy (cached)."""
        found = self._rulers.get(calendar)
        if found is None:
            cal = calendar_named(self.policy, calendar)
            found = self._rulers[calendar] = Ruler(calendar, clock_for(cal), cal.always_open)
        return found

    def plans(
        self, path: EscalationPath, priority: str | None, service: str | None = None
    ) -> tuple[LevelPlan, ...]:
        """The level plans of a path for a priority under a service level (cached)."""
        return self._rules(path, priority, service)[0]

    def _rules(
        self, path: EscalationPath, priority: str | None, service: str | None
    ) -> tuple[tuple[LevelPlan, ...], Schedule]:
        key = (path.name, priority, service)
        found = self._plans.get(key)
        if found is None:
            plans = build_plans(path, self.priority(priority, service), self.ruler, service)
            found = self._plans[key] = (plans, Schedule(timed(plans)))
        return found

    def priority(self, name: str | None, service: str | None = None) -> Priority | None:
        """A priority's targets, under a service level when one is named."""
        if service is not None and self.matrix is not None:
            return self.matrix.targets(name, service)
        return self.policy.priority(name)

    def service_level(self, ticket: Ticket, priority: str | None) -> str | None:
        """The first service level whose condition holds for the ticket, or None."""
        for name, holds in self._services:
            if holds(ticket, priority):
                return name
        return None

    def priority_ruler(self, priority: Priority | None) -> Ruler:
        return self.ruler(priority.calendar if priority else BUILTIN_CALENDAR)

    def _pausing(self, name: str | None) -> frozenset[str]:
        found = self._pauses.get(name)
        if found is None:
            found = self._pauses[name] = self.policy.pausing(name)
        return found

    def _sla(self, name: str | None, service: str | None) -> tuple[Priority | None, Ruler]:
        """A priority's targets and its calendar's ruler (cached)."""
        found = self._slas.get((name, service))
        if found is None:
            priority = self.priority(name, service)
            found = self._slas[(name, service)] = (priority, self.priority_ruler(priority))
        return found

    def settle_priority(self, ticket: Ticket) -> PriorityOutcome:
        key = (ticket.priority, ticket.impact, ticket.urgency)
        found = self._priorities.get(key)
        if found is None:
            found = self._priorities[key] = self._settle(*key)
        return found

    def _settle(
        self, written: str | None, impact: str | None, urgency: str | None
    ) -> PriorityOutcome:
        matrix = self.matrix
        derived = matrix.derive(impact, urgency) if matrix else None
        managed = bool(matrix and matrix.manage_priority)
        if derived is None or derived == written:
            return PriorityOutcome(written, derived, written or derived, None)
        if written is None:
            return PriorityOutcome(None, derived, derived, derived if managed else None)
        if managed:
            return PriorityOutcome(written, derived, derived, derived)
        return PriorityOutcome(written, derived, written, None)

    # --- evaluation ----------------------------------------------------------

    def evaluate(self, ticket: Ticket, now: datetime) -> Decision:
        """Where the ticket should be at `now`, and the actions that get it there."""
        return self._run(ticket, now, None)

    def assess(self, ticket: Ticket, now: datetime) -> Assessment:
        """The decision plus everything `explain` shows about how it was reached."""
        trace = Trace(ticket, now)
        decision = self._run(ticket, now, trace)
        return trace.finish(decision, self.ruler, self.teams)

    def _run(self, ticket: Ticket, now: datetime, trace: Trace | None) -> Decision:
        if now.tzinfo is None:
            raise ValueError("evaluate() needs an aware `now` (e.g. datetime.now(timezone.utc))")
        if now.tzinfo is not timezone.utc:
            now = now.astimezone(timezone.utc)  # real-time arithmetic (see levels.utc)
        outcome = self.settle_priority(ticket)
        prio_name = outcome.effective
        old = ticket.escalation
        if trace is not None:
            trace.priority = outcome
            trace.managed = bool(self.matrix and self.matrix.manage_priority)
        if ticket.done:
            return self._writer.off_path(ticket, now, outcome, f"the ticket is {ticket.status}")
        path, moved_by, asks = self._select(ticket, prio_name, now, trace)
        if path is None:
            return self._writer.off_path(
                ticket, now, outcome, "no escalation path matches it any more"
            )
        service = self.service_level(ticket, prio_name) if self._services else None
        plans, rules = self._rules(path, prio_name, service)
        paused, frozen = _NO_PAUSE
        if ticket.status_history or ticket.status != "open":
            paused, frozen = pauses(ticket, self._pausing(prio_name), now)
        clocks = Clocks(
            ticket.created,
            now,
            self._timelines,
            responded=ticket.responded,
            resolved=ticket.resolved if ticket.done else None,  # the status decides
            paused=paused,
            frozen=frozen,
        )
        scheduled = schedule_level(rules.rules, clocks)
        top = len(path.levels) - 1
        # (level, rule, trigger, moved from); the time rule's text is built only if chosen
        sources: list[tuple[int, str | None, str | None, str | None]] = []
        if scheduled:
            sources.append((scheduled, None, None, None))
        moved = None
        if moved_by is not None:
            moved = Source(scheduled, moved_by[1], moved_by[0], moved_by[2])
            sources.append((scheduled, moved.rule, moved.trigger, moved.moved_from))
        base = scheduled
        nexts: list[tuple[Trigger, str]] = []
        for compiled in self._gotos[path.name] if ticket.created <= now else ():
            if not compiled.fires(ticket, prio_name):
                continue
            trigger = compiled.trigger
            reason = _reason(trigger, ticket)
            if reason is None:
                asks.append(trigger.name)
                if trace is not None:
                    trace.fired(path.name, trigger, "no reason given: ask for one")
                continue
            if trigger.goto == "next":
                nexts.append((trigger, reason))
                continue
            level = min(int(trigger.goto), top)  # type: ignore[arg-type]
            sources.append((level, f"trigger {trigger.name}: {reason}", trigger.name, None))
            base = level if level > base else base
            if trace is not None:
                trace.fired(path.name, trigger, f"level {level}")
        target = base
        for trigger, reason in nexts:
            level = min(base + 1, top)
            sources.append((level, f"trigger {trigger.name}: {reason}", trigger.name, None))
            target = level if level > target else target
            if trace is not None:
                trace.fired(path.name, trigger, f"one above level {base}: level {level}")
        on_path = old.path is not None and self._canonical(old.path) == path.name
        held = min(old.level, top) if on_path else 0
        level = target if target > held else held
        at, steps = self._steps
        if at is not now:
            steps = {}
            self._steps = (now, steps)
        next_ = next_step(rules, level, clocks, steps)
        if (
            trace is None
            and not sources
            and not asks
            and outcome.correct_to is None
            and old is NOT_ESCALATED
            and not self._routes[path.name]
        ):
            # the common case of a fresh ticket at level 0 with nothing due
            team = self.teams.resolve(path.levels[0].team, now).name
            return Decision(ticket.key, prio_name, path.name, 0, team, (), next_)
        priority, sla_ruler = self._sla(prio_name, service)
        if (
            on_path
            and level == held
            and (not asks or old.asked)
            and outcome.correct_to is None
            and trace is None
            and not updates_due(old, priority, level, clocks, sla_ruler)
        ):
            # the common case of a ticket already where it should be (Writer.on_path
            # would find nothing to do; checked here, no Situation is built)
            team = self.teams.resolve(path.levels[level].team, now).name
            return Decision(ticket.key, prio_name, path.name, level, team, (), next_)
        situation = Situation(
            ticket,
            now,
            outcome,
            priority,
            sla_ruler,
            path,
            plans,
            clocks,
            scheduled,
            level,
            held if on_path else None,
            _best(sources, level, plans),
            moved,
            tuple(asks),
            next_,
        )
        if trace is not None:
            trace.situation = situation
        return self._writer.on_path(situation)

    def _canonical(self, stored: str) -> str | None:
        """The policy's name for a path stored on a ticket (markers are lower case)."""
        found = self._canon.get(stored)
        if found is None:
            found = self._canon.get(stored.casefold())
        return found

    def _select(
        self, ticket: Ticket, priority: str | None, now: datetime, trace: Trace | None
    ) -> tuple[EscalationPath | None, tuple[str, str, str] | None, list[str]]:
        """(governing path, (trigger, rule, from path) that moved it there, triggers asking)."""
        asks: list[str] = []
        chosen = None
        for path, holds in self._paths:
            if holds(ticket, priority):
                chosen = path
                break
        if trace is not None:
            trace.matched = chosen
        if chosen is None or not self._movers[chosen.name] or ticket.created > now:
            return chosen, None, asks
        moved_by = None
        seen = set()
        while chosen is not None and chosen.name not in seen:
            seen.add(chosen.name)
            follow = None
            for compiled in self._movers[chosen.name]:
                trigger = compiled.trigger
                if not compiled.fires(ticket, priority):
                    continue
                reason = _reason(trigger, ticket)
                target = self.policy.paths.get(trigger.path or "")
                if reason is None:
                    asks.append(trigger.name)
                    if trace is not None:
                        trace.fired(chosen.name, trigger, "no reason given: ask for one")
                    continue
                if target is None or target.name in seen:
                    if trace is not None:
                        trace.fired(chosen.name, trigger, "ignored: no such path, or a loop")
                    continue
                follow = (target, trigger, reason)
                break
            if follow is None:
                break
            target, trigger, reason = follow
            rule = f"functional escalation from {chosen.name} by trigger {trigger.name}: {reason}"
            if trace is not None:
                trace.fired(chosen.name, trigger, f"moved to path {target.name}")
                trace.moves.append(f"{chosen.name} -> {target.name} ({trigger.name})")
            moved_by = (trigger.name, rule, chosen.name)
            chosen = target
        return chosen, moved_by, asks


def _reason(trigger: Trigger, ticket: Ticket) -> str | None:
    """The trigger's reason, or None when a request came without one."""
    if trigger.reason_from == "latest_comment":
        comment = (ticket.latest_comment or "").strip()
        if comment:
            return comment if len(comment) <= 300 else comment[:297] + "..."
        return trigger.reason
    return trigger.reason or f"trigger {trigger.name} fired"


def _best(
    sources: list[tuple[int, str | None, str | None, str | None]],
    level: int,
    plans: tuple[LevelPlan, ...],
) -> Source | None:
    """The source that explains `level`: a goto trigger before a time rule, a
    time rule before the path trigger that moved the ticket (whose rule the
    reason names first anyway)."""
    chosen = None
    for source in sources:
        if source[0] != level:
            continue
        if chosen is None:
            chosen = source
        elif chosen[2] is None and source[2] and source[3] is None:
            chosen = source  # a goto trigger explains it better than a time rule
        elif chosen[3] is not None and source[2] is None:
            chosen = source  # the time rule, not the move
    if chosen is None:
        return None
    found, rule, trigger, moved_from = chosen
    return Source(found, rule or plans[found].fired, trigger, moved_from)


_NO_PAUSE: tuple[Spans, bool] = ((), False)

_EVALUATORS: dict[int, tuple[Policy, Evaluator]] = {}


def evaluate(policy: Policy, ticket: Ticket, now: datetime) -> Decision:
    """The decision for one ticket at `now` (an Evaluator is cached per policy)."""
    cached = _EVALUATORS.get(id(policy))
    if cached is None or cached[0] is not policy:
        if len(_EVALUATORS) > 16:
            _EVALUATORS.clear()
        cached = _EVALUATORS[id(policy)] = (policy, Evaluator(policy))
    return cached[1].evaluate(ticket, now)
