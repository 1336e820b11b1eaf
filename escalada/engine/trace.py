"""What `explain` shows: how the engine reached a decision, step by step.

Collected only by `Evaluator.assess`, never on the runner's hot path."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from typing import TYPE_CHECKING

from escalada.engine.levels import Clocks
from escalada.engine.levels import LevelPlan
from escalada.engine.levels import due_instant
from escalada.engine.levels import stop_instant
from escalada.policy.conditions import describe
from escalada.policy.model import EscalationPath
from escalada.policy.model import Trigger
from escalada.ticket import Decision
from escalada.ticket import Ticket

if TYPE_CHECKING:
    from escalada.engine.evaluator import Evaluator
    from escalada.engine.evaluator import PriorityOutcome


@dataclass(frozen=True, slots=True)
class LevelStatus:
    """One level of the governing path as `explain` shows it."""

    index: int
    team: str
    rule: str
    calendar: str | None
    due: datetime | None
    status: str  # start | reached | due | skipped | pending | stopped | trigger only
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
    elapsed: tuple[tuple[str, timedelta], ...]  # business time since opening, per calendar
    held: int | None  # the level stored on the ticket for this path
    decision: Decision
    shift: str | None = None  # how a rotation picked the decision's team


@dataclass
class Trace:
    ticket: Ticket
    now: datetime
    priority: PriorityOutcome | None = None
    managed: bool = False
    matched: EscalationPath | None = None
    moves: list[str] = field(default_factory=list)
    triggers: list[TriggerFiring] = field(default_factory=list)
    path: EscalationPath | None = None
    plans: tuple[LevelPlan, ...] = ()
    scheduled: int = 0
    held: int | None = None
    level: int = 0
    clocks: Clocks | None = None

    def fired(self, path: str, trigger: Trigger, outcome: str) -> None:
        effect = f"path {trigger.path}" if trigger.path else f"goto {trigger.goto}"
        self.triggers.append(TriggerFiring(path, trigger.name, effect, outcome))

    def on_path(
        self,
        path: EscalationPath,
        plans: tuple[LevelPlan, ...],
        scheduled: int,
        held: int | None,
        level: int,
        clocks: Clocks,
    ) -> None:
        self.path, self.plans, self.scheduled = path, plans, scheduled
        self.held, self.level, self.clocks = held, level, clocks

    def finish(self, evaluator: Evaluator, decision: Decision) -> Assessment:
        assert self.priority is not None
        levels = tuple(self._levels(decision)) if self.path is not None else ()
        elapsed: list[tuple[str, timedelta]] = []
        if self.path is not None and self.clocks is not None:
            names = {p.ruler.calendar for p in self.plans if p.ruler is not None}
            names.add(
                evaluator.priority_ruler(evaluator.priority(self.priority.effective)).calendar
            )
            for name in sorted(names):
                elapsed.append((name, self.clocks.elapsed(evaluator.ruler(name), self.now)))
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
            held=self.held,
            decision=decision,
            shift=self._shift(evaluator),
        )

    def _shift(self, evaluator: Evaluator) -> str | None:
        if self.path is None:
            return None
        named = self.path.levels[min(self.level, len(self.path.levels) - 1)].team
        resolved = evaluator.teams.resolve(named, self.now)
        return f"rotation {resolved.team}: {resolved.shift}" if resolved.shift else None

    def _levels(self, decision: Decision) -> list[LevelStatus]:
        below = self.held or 0
        escalating = self.level > below
        out = []
        for plan in self.plans:
            index = plan.index
            due = due_instant(plan, self.ticket)
            stopped = stop_instant(plan, self.ticket)
            calendar = plan.ruler.calendar if plan.ruler else None
            note = ""
            if index == 0:
                status = "start"
            elif index <= below and self.held is not None:
                status = "reached"
            elif escalating and index == self.level:
                status = "due"
            elif escalating and below < index < self.level:
                status = "skipped"
            elif due is None:
                status = "trigger only"
            elif stopped is not None and stopped < due:
                status = "stopped"
                note = f"{plan.stop} before it fell due"
            elif due <= self.now:
                status = "passed"  # fell due, but the ticket is already higher
            else:
                status = "pending"
            out.append(LevelStatus(index, plan.level.team, plan.rule, calendar, due, status, note))
        return out
