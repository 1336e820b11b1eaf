"""The normalized ticket and the actions a decision asks a desk to carry out.

One definition shared by the engine, the connectors, the runner, `explain`
and `PolicyTest`; connectors translate each desk's record into `Ticket` and
each `Action` back into desk calls."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any
from typing import Literal
from typing import get_args

# `pending`: waiting for the requester; `on-hold`: waiting on a third party
# (Zendesk `hold`, ServiceNow "On Hold"; desks without it use pending).
Status = Literal["open", "pending", "on-hold", "resolved", "closed"]
STATUSES: tuple[Status, ...] = get_args(Status)
DONE_STATUSES = frozenset({"resolved", "closed"})
# The statuses a policy can make pause the SLA clock, and the default (both,
# as the desks' own SLAs do: Zendesk agent work time, ServiceNow's On Hold).
PAUSABLE_STATUSES: tuple[Status, ...] = ("pending", "on-hold")


@dataclass(frozen=True, slots=True)
class Requester:
    organization: str | None = None
    vip: bool = False


@dataclass(frozen=True, slots=True)
class EscalationState:
    """What escalada has done to a ticket, persisted on the ticket itself
    (see `escalada.marker`), so the runner keeps no database."""

    path: str | None = None
    level: int = 0
    since: datetime | None = None  # when the current level was announced
    updated: datetime | None = None  # the last stakeholder update
    asked: bool = False  # a reason was requested for an explicit escalation request
    pending: bool = False  # written with an escalation, removed once its notifications went out
    history: tuple[str, ...] = ()  # "path:level" entries, oldest first
    # the policy revision that escalated to this level (git commit or policy digest,
    # see `escalada.revision`); None on markers written before revisions were kept
    policy: str | None = None


NOT_ESCALATED = EscalationState()


@dataclass(frozen=True, slots=True)
class StatusChange:
    """The ticket entered `status` at `since` and held it until the next change (or now)."""

    status: Status
    since: datetime


@dataclass(frozen=True, slots=True)
class Ticket:
    desk: str
    key: str
    title: str
    created: datetime
    status: Status = "open"
    url: str | None = None
    description: str = ""
    priority: str | None = None  # policy priority name (connectors map desk values back)
    impact: str | None = None
    urgency: str | None = None
    updated: datetime | None = None
    responded: datetime | None = None
    resolved: datetime | None = None
    team: str | None = None  # policy team name
    assignee: str | None = None
    tags: frozenset[str] = frozenset()
    requester: Requester = Requester()
    fields: Mapping[str, Any] = field(default_factory=dict)
    escalation: EscalationState = NOT_ESCALATED
    latest_comment: str | None = None  # read only when a trigger needs `reason_from`
    # The status changes, oldest first, as far as the desk's history reaches;
    # empty when only the current `status` is known.
    status_history: tuple[StatusChange, ...] = ()
    revision: str | None = None  # desk concurrency token (e.g. Zendesk updated_stamp)
    # True when the connector left out fields that cost extra calls per ticket
    # (e.g. Zendesk's first-reply time); the runner refreshes such a ticket
    # through `Connector.refresh` before acting on it, and only then.
    partial: bool = False

    @property
    def text(self) -> str:
        return f"{self.title}\n{self.description}"

    @property
    def done(self) -> bool:
        return self.status in DONE_STATUSES


ActionType = Literal[
    "assign",  # move the ticket to the level's team
    "comment",  # internal note with the reason
    "notify",  # message the team's channels
    "set_priority",  # correct the priority to the matrix's
    "mark",  # persist the escalation state on the ticket
    "ask_reason",  # reply asking why an escalation was requested
    "update",  # periodic stakeholder update while escalated
    "clear",  # the ticket left its path: remove the state
]
ACTION_TYPES: tuple[ActionType, ...] = get_args(ActionType)
# the actions that message channels (an update is also a note on the ticket)
CHANNEL_ACTIONS: frozenset[ActionType] = frozenset({"notify", "update"})
# the actions that write an internal note on the ticket
NOTE_ACTIONS: frozenset[ActionType] = frozenset({"comment", "update"})


@dataclass(frozen=True, slots=True)
class Action:
    type: ActionType
    reason: str
    team: str | None = None  # assign / notify / update: the policy team
    channels: tuple[str, ...] = ()  # notify / update: channel names
    priority: str | None = None  # set_priority: the policy priority
    state: EscalationState | None = None  # mark / clear: the state to persist


@dataclass(frozen=True, slots=True)
class NextStep:
    level: int
    at: datetime


@dataclass(frozen=True, slots=True)
class Decision:
    """Where a ticket should be at an instant, and what to do to get it there."""

    ticket: str
    priority: str | None
    path: str | None
    level: int
    team: str | None
    actions: tuple[Action, ...] = ()
    next: NextStep | None = None
    timeline: tuple[str, ...] = ()  # short human lines for `explain`
    # set when the decision announces a new level or path: what put it there
    # (None for a time threshold, else the trigger's name), for the audit and the report
    escalated: bool = False
    trigger: str | None = None

    @property
    def writes(self) -> bool:
        return bool(self.actions)
