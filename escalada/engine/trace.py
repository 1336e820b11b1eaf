"""What `explain` shows: how the engine reached a decision, step by step.

Collected only by `Evaluator.assess`, never on the runner's hot path."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta

from escalada.engine.levels import Ruler
from escalada.engine.levels import due_instant
from escalada.engine.levels import stop_instant
from escalada.engine.situation import PriorityOutcome
from escalada.engine.situation import Situation
from escalada.engine.teams import TeamResolver
from escalada.policy.conditions import describe
from escalada.policy.model import EscalationPath
from escalada.policy.model import Trigger
from escalada.ticket import Decision
from escalada.ticket import Ticket


@dataclass(frozen=True, slots=True)
class LevelStatus:
    """One level of the governing path as `explain` shows it."""

    index: int
    team: str
    rule: str
    calendar: str | None
    due: datetime | None
    status: (
        str  # start | reached | due | skipped | passed | pending | paused | stopped | trigger only
    )
    note: str = ""


@dataclass(frozen=True, slots=True)
class TriggerFiring:
    path: str
    name: str
    effect: str  # "goto 2", "goto next", "path compliance"
    outcome: str


@dataclass(frozen=True, slots=True)
class Assessment:
    ticket: Ticket
    now: datetime
    priority: PriorityOutcome
    managed: bool
    matched: str | None  # the path chosen by match and precedence
    matched_why: str
    precedence: int | None
    moves: tuple[str, ...]  # functional escalations followed
    levels: tuple[LevelStatus, ...]
    triggers: tuple[TriggerFiring, ...]
    elapsed: tuple[tuple[str, timedelta], ...]  # business time the clock ran, per calendar
    held: int | None  # the level stored on the ticket for this path
    decision: Decision
    shift: str | None = None  # how a rotation picked the decision's team
    paused: tuple[tuple[str, timedelta], ...] = ()  # business time the clock stood still
    frozen: bool = False  # the clock stands still now (a pausing status)


@dataclass
class Trace:
    ticket: Ticket
    now: datetime
    priority: PriorityOutcome | None = None
    managed: bool = False
    matched: EscalationPath | None = None
    moves: list[str] = field(default_factory=list)
    triggers: list[TriggerFiring] = field(default_factory=list)
    situation: Situation | None = None  # set when the ticket is on a path

    def fired(self, path: str, trigger: Trigger, outcome: str) -> None:
        effect = f"path {trigger.path}" if trigger.path else f"goto {trigger.goto}"
        self.triggers.append(TriggerFiring(path, trigger.name, effect, outcome))

    def finish(
        self, decision: Decision, ruler: Callable[[str], Ruler], teams: TeamResolver
    ) -> Assessment:
        """The assessment, measuring elapsed time with `ruler` (a calendar's
        business time) and naming the shift a rotation picked with `teams`."""
        assert self.priority is not None
        on = self.situation
        levels = tuple(_levels(on)) if on is not None else ()
        elapsed: list[tuple[str, timedelta]] = []
        paused: list[tuple[str, timedelta]] = []
        if on is not None:
            names = {p.ruler.calendar for p in on.plans if p.ruler is not None}
            names.add(on.sla_ruler.calendar)
            for name in sorted(names):
                elapsed.append((name, on.clocks.so_far(ruler(name))))
                if on.clocks.paused:
                    paused.append((name, on.clocks.paused_time(ruler(name))))
        matched = self.matched
        return Assessment(
            ticket=self.ticket,
            now=self.now,
            priority=self.priority,
            managed=self.managed,
            matched=matched.name if matched else None,
            matched_why=describe(matched.match) if matched else "",
            precedence=matched.precedence if matched else None,
            moves=tuple(self.moves),
            levels=levels,
            triggers=tuple(self.triggers),
            elapsed=tuple(elapsed),
            held=on.held if on else None,
            decision=decision,
            shift=_shift(on, teams) if on else None,
            paused=tuple(paused),
            frozen=on.clocks.frozen if on else False,
        )


def _shift(on: Situation, teams: TeamResolver) -> str | None:
    path = on.path
    named = path.levels[min(on.level, len(path.levels) - 1)].team
    resolved = teams.resolve(named, on.now)
    return f"rotation {resolved.team}: {resolved.shift}" if resolved.shift else None


def _levels(on: Situation) -> list[LevelStatus]:
    below = on.held or 0
    escalating = on.level > below
    out = []
    for plan in on.plans:
        index = plan.index
        due = due_instant(plan, on.clocks)
        stopped = stop_instant(plan, on.clocks)
        calendar = plan.ruler.calendar if plan.ruler else None
        note = ""
        if index == 0:
            status = "start"
        elif index <= below and on.held is not None:
            status = "reached"
        elif escalating and index == on.level:
            status = "due"
        elif escalating and below < index < on.level:
            status = "skipped"
        elif plan.threshold is not None and on.clocks.frozen:
            status = "paused"
            note = f"the ticket is {on.ticket.status}: the clock stands still"
        elif due is None:
            status = "trigger only"
        elif stopped is not None and stopped <= due:
            status = "stopped"
            note = f"{plan.stop} before it fell due"
        elif due <= on.now:
            status = "passed"  # fell due, but the ticket is already higher
        else:
            status = "pending"
        out.append(LevelStatus(index, plan.level.team, plan.rule, calendar, due, status, note))
    return out
