"""The values the evaluator hands to the action, reason and trace code.

`Situation` describes one ticket on its path at one instant, once the rules
have placed it: the action and reason code reads it instead of reaching back
into the evaluator, so the engine's modules import in one direction
(evaluator -> actions -> escalation -> levels).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from escalada.engine.levels import Clocks
from escalada.engine.levels import LevelPlan
from escalada.engine.levels import Ruler
from escalada.policy.model import EscalationPath
from escalada.policy.model import Priority
from escalada.ticket import NextStep
from escalada.ticket import Ticket


@dataclass(frozen=True, slots=True)
class PriorityOutcome:
    """The priority the engine uses, and whether the ticket needs correcting."""

    written: str | None
    derived: str | None
    effective: str | None
    correct_to: str | None  # set_priority target (managed matrices only)


class Source(NamedTuple):
    """Something that puts a ticket at a level: a time rule or a trigger
    (a named tuple: one is built per escalation)."""

    level: int
    rule: str
    trigger: str | None = None
    moved_from: str | None = None  # a path trigger moved the ticket from this path


class Situation(NamedTuple):
    """A ticket on its governing path at `now`, as the rules placed it.

    Immutable; a named tuple rather than a frozen dataclass because the
    runner builds one per ticket on a path and a tuple is built several
    times faster."""

    ticket: Ticket
    now: datetime
    outcome: PriorityOutcome
    priority: Priority | None  # the effective priority's definition
    sla_ruler: Ruler  # business time on the priority's calendar
    path: EscalationPath
    plans: tuple[LevelPlan, ...]  # the path's levels for the priority
    clocks: Clocks  # business time since opening, memoised for this evaluation
    scheduled: int  # the level the time rules reached
    level: int  # the level the ticket should be at
    held: int | None  # the level stored on the ticket for this path (None: not on it)
    source: Source | None  # what explains `level`
    moved: Source | None  # the path trigger that brought the ticket here
    asks: tuple[str, ...]  # triggers asking for a reason
    next: NextStep | None
