"""The typed, frozen policy model. Built only from validated documents
(see `escalada.policy.build`); every object keeps where it was written."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any
from typing import Literal

from escalada.policy.regex import Regex

API_VERSION = "escalada/v1"
KINDS = (
    "PriorityMatrix",
    "Calendar",
    "Team",
    "Channel",
    "EscalationPath",
    "Desk",
    "PolicyTest",
)
BUILTIN_CALENDAR = "24x7"
DEFAULT_LEVEL_ACTIONS = ("comment", "notify")
LEVEL_ACTIONS = ("assign", "comment", "notify")
DEFAULT_PAUSE = frozenset({"pending", "on-hold"})  # the statuses that stop the SLA clock


@dataclass(frozen=True, slots=True)
class Where:
    """A position in a policy file; line and column are 1-based."""

    file: str
    line: int
    column: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}:{self.column}"


NOWHERE = Where("<builtin>", 0, 0)


@dataclass(frozen=True, slots=True)
class SecretRef:
    """`{env: NAME}` or `{file: PATH}`. Resolved only when a desk or channel is used."""

    source: Literal["env", "file"]
    name: str

    def __str__(self) -> str:
        return f"{{{self.source}: {self.name}}}"


# --- priorities -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Priority:
    name: str
    title: str
    respond_within: timedelta | None
    resolve_within: timedelta | None
    update_every: timedelta | None
    calendar: str
    rank: int  # 0 is the highest priority
    where: Where = NOWHERE
    # the statuses that stop the clock (the matrix's unless the priority names its own);
    # resolved and closed always do
    pause: frozenset[str] = DEFAULT_PAUSE


@dataclass(frozen=True, slots=True)
class ServiceLevel:
    """`spec.service_levels[i]` of the matrix: a customer's own targets.

    `priorities` holds, for every priority of the matrix, its targets under this
    service level: the ones the level writes, the matrix's for the rest (so a
    desk's SLA policy for the level can be written whole)."""

    name: str
    match: Condition
    priorities: Mapping[str, Priority]
    written: frozenset[str] = frozenset()  # the priorities the level names
    description: str = ""
    where: Where = NOWHERE


@dataclass(frozen=True, slots=True)
class PriorityMatrix:
    name: str
    impact: tuple[str, ...]  # highest first
    urgency: tuple[str, ...]  # highest first
    cells: Mapping[tuple[str, str], str]  # (impact, urgency) -> priority name
    priorities: Mapping[str, Priority]  # in the order written, highest first
    manage_priority: bool = False  # correct a ticket's priority to the matrix's
    service_levels: tuple[ServiceLevel, ...] = ()  # first match wins
    where: Where = NOWHERE
    pause: frozenset[str] = DEFAULT_PAUSE  # for tickets without a priority, and the default

    def derive(self, impact: str | None, urgency: str | None) -> str | None:
        """The matrix priority for impact x urgency, or None when either is unknown."""
        if impact is None or urgency is None:
            return None
        return self.cells.get((impact, urgency))

    def targets(self, priority: str | None, level: str | None) -> Priority | None:
        """A priority's targets under a service level (None: the matrix's own)."""
        if priority is None:
            return None
        if level is not None:
            for service in self.service_levels:
                if service.name == level:
                    return service.priorities.get(priority)
        return self.priorities.get(priority)


# --- calendars --------------------------------------------------------------

# Open hours per weekday (0 = Monday), as (start_minute, end_minute) pairs with
# 0 <= start < end <= 1440, sorted and not overlapping. A shift across midnight
# is written as two ranges: `22:00-24:00` on one day and `00:00-06:00` on the next.
WeekHours = tuple[tuple[tuple[int, int], ...], ...]
ALWAYS_OPEN: WeekHours = tuple(((0, 1440),) for _ in range(7))


@dataclass(frozen=True, slots=True)
class Calendar:
    name: str
    timezone: str
    hours: WeekHours
    holiday_country: str | None = None
    holiday_subdivision: str | None = None
    holiday_dates: frozenset[date] = frozenset()
    where: Where = NOWHERE
    holiday_days: frozenset[tuple[int, int]] = frozenset()  # (month, day): closed every year

    @property
    def always_open(self) -> bool:
        return (
            self.hours == ALWAYS_OPEN
            and not self.holiday_country
            and not self.holiday_dates
            and not self.holiday_days
        )

    def closed_on(self, day: date) -> bool:
        """Whether a listed date (dated or every year) closes `day`; public
        holidays are the clock's business."""
        return day in self.holiday_dates or (day.month, day.day) in self.holiday_days


BUILTIN_24X7 = Calendar(name=BUILTIN_CALENDAR, timezone="UTC", hours=ALWAYS_OPEN)


# --- teams and channels -----------------------------------------------------


@dataclass(frozen=True, slots=True)
class RotationShift:
    team: str
    calendar: str


@dataclass(frozen=True, slots=True)
class Team:
    name: str
    description: str = ""
    rotation: tuple[RotationShift, ...] = ()
    notify: tuple[str, ...] = ()  # channel names
    handover: bool = False  # reassign a region's tickets to the next region on shift
    where: Where = NOWHERE


ChannelType = Literal["slack", "teams", "webhook"]


@dataclass(frozen=True, slots=True)
class Channel:
    name: str
    type: ChannelType
    url: SecretRef
    where: Where = NOWHERE


# --- conditions -------------------------------------------------------------

ConditionOp = Literal["equals", "in", "contains", "matches", "exists", "gte", "lte"]


@dataclass(frozen=True, slots=True)
class FieldCondition:
    field: str
    op: ConditionOp
    value: Any
    pattern: Regex | None = None  # compiled once for `matches` (linear-time: policy/regex.py)
    where: Where = NOWHERE


@dataclass(frozen=True, slots=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True, slots=True)
class NotOf:
    item: Condition


Condition = FieldCondition | AllOf | AnyOf | NotOf


# --- escalation paths -------------------------------------------------------

SlaTarget = Literal["respond", "resolve"]
StopCondition = Literal["responded", "resolved"]


@dataclass(frozen=True, slots=True)
class SlaShare:
    """`at: 75% resolve`: a share of the priority's SLA target."""

    percent: float
    target: SlaTarget


@dataclass(frozen=True, slots=True)
class Level:
    index: int
    team: str
    after: timedelta | None = None
    at: SlaShare | None = None
    unless: StopCondition | None = None
    actions: tuple[str, ...] = DEFAULT_LEVEL_ACTIONS
    message: str | None = None  # optional $template for this level's comment
    where: Where = NOWHERE


@dataclass(frozen=True, slots=True)
class Trigger:
    name: str
    condition: Condition
    goto: int | Literal["next"] | None = None
    path: str | None = None
    reason: str | None = None
    reason_from: Literal["latest_comment"] | None = None
    where: Where = NOWHERE


@dataclass(frozen=True, slots=True)
class EscalationPath:
    name: str
    match: Condition | None  # None matches every ticket
    precedence: int
    levels: tuple[Level, ...]
    triggers: tuple[Trigger, ...] = ()
    calendar: str | None = None  # overrides the priority's calendar for `after:`
    where: Where = NOWHERE
    moved_from: tuple[str, ...] = ()  # former names: their markers are this path's


# --- desks ------------------------------------------------------------------

# A desk type of the desk registry (`connectors.registry`: the built-ins and any
# installed desk package); the Desk schema, generated from it, checks the word.
DeskType = str


@dataclass(frozen=True, slots=True)
class ValueMapping:
    """A policy value list mapped onto a desk field: `{field: ID, values: {policy: desk}}`."""

    field: str | None
    values: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class Desk:
    name: str
    type: DeskType
    url: str | None = None
    auth: Mapping[str, SecretRef] = field(default_factory=dict)
    scope: str | None = None
    priorities: Mapping[str, str] = field(default_factory=dict)  # policy -> desk
    impact: ValueMapping | None = None
    urgency: ValueMapping | None = None
    teams: Mapping[str, str] = field(default_factory=dict)  # policy team -> desk group
    fields: Mapping[str, str] = field(default_factory=dict)  # name -> desk field id
    options: Mapping[str, Any] = field(default_factory=dict)  # spec.<type>: desk-specific
    # spec.rate_limit as written, e.g. "400/min" (escalada.pacing.parse_rate); None:
    # the desk type's documented default (DeskKind.rate_limit)
    rate_limit: str | None = None
    where: Where = NOWHERE


# --- policy tests -----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PolicyTest:
    name: str
    at: datetime
    ticket: Mapping[str, Any]  # the normalized ticket as written; parsed by escalada.ticket
    expect: Mapping[str, Any]
    where: Where = NOWHERE


# --- the whole policy -------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Policy:
    matrix: PriorityMatrix | None
    calendars: Mapping[str, Calendar]  # includes the built-in 24x7
    teams: Mapping[str, Team]
    channels: Mapping[str, Channel]
    paths: Mapping[str, EscalationPath]
    desks: Mapping[str, Desk]
    tests: Mapping[str, PolicyTest]

    def priority(self, name: str | None) -> Priority | None:
        if name is None or self.matrix is None:
            return None
        return self.matrix.priorities.get(name)

    def pausing(self, priority: str | None) -> frozenset[str]:
        """The statuses that stop the clock of a ticket with this priority."""
        found = self.priority(priority)
        if found is not None:
            return found.pause
        return self.matrix.pause if self.matrix else DEFAULT_PAUSE

    def paths_by_precedence(self) -> tuple[EscalationPath, ...]:
        """Highest precedence first; ties keep the order written."""
        return tuple(sorted(self.paths.values(), key=lambda p: -p.precedence))
