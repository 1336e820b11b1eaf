"""The desk connector protocol. One module per desk implements it on the desk's
own client library; desk field names never leave that module."""

from __future__ import annotations

import random
import time
import zlib
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timezone
from typing import Any
from typing import Literal
from typing import Protocol

from escalada.pacing import RateBudget
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.ticket import Action
from escalada.ticket import Ticket


def _utc_now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True, slots=True)
class Wiring:
    """What a connector takes from its surroundings, injected by tests and benches:
    the sleep and jitter of its retries, its clock, the environment its secrets
    are read from (None: `os.environ`), and the rate budget its requests share."""

    sleep: Callable[[float], None] = time.sleep
    jitter: Callable[[], float] = random.random
    clock: Callable[[], datetime] = _utc_now
    environ: Mapping[str, str] | None = None
    # the desk account's request budget every HTTP request acquires from (connect()
    # fills it from the Desk's rate_limit and the shard; None: unpaced)
    budget: RateBudget | None = None


REAL = Wiring()  # the real sleep, jitter, clock and environment


@dataclass(frozen=True, slots=True)
class Shard:
    """`--shard I/N`: this runner takes the tickets whose stable key hash mod N is I."""

    index: int
    count: int

    def __post_init__(self) -> None:
        if not (self.count >= 1 and 0 <= self.index < self.count):
            raise ValueError(f"shard {self.index}/{self.count}: need 0 <= I < N")

    def owns(self, key: str) -> bool:
        return zlib.crc32(key.encode("utf-8")) % self.count == self.index


@dataclass(frozen=True, slots=True)
class ApplyResult:
    """What one ticket write did: the calls made and what was written."""

    ticket: str
    written: tuple[str, ...]  # action types carried out on the desk
    calls: int
    revision: str | None = None  # the desk's concurrency token after the write, if it has one


Severity = Literal["error", "warning"]


@dataclass(frozen=True, slots=True)
class CheckItem:
    """One line of `escalada desks check`. An item that is not ok fails the check,
    unless its severity is "warning": escalada works, at a cost the detail names."""

    desk: str
    item: str  # e.g. "credentials", "group Network L2", "field 360001111"
    ok: bool
    detail: str = ""
    severity: Severity = "error"  # what the item is when not ok

    @property
    def failed(self) -> bool:
        return not self.ok and self.severity == "error"


# --- native configuration, for the reconciler --------------------------------

ConfigKind = Literal["priority", "sla", "schedule", "field_options", "group", "lookup"]


@dataclass(frozen=True, slots=True)
class ConfigObject:
    """One object of a desk's native configuration, desired or current.

    `attrs` holds only what escalada manages, in plain JSON values, so a plan
    is a field-by-field comparison of two ConfigObjects of the same key."""

    kind: ConfigKind
    name: str
    attrs: Mapping[str, Any] = field(default_factory=dict)
    id: str | None = None  # the desk's id, on current objects
    managed: bool = True  # carries escalada's ownership marker
    depends_on: tuple[str, ...] = ()  # keys ("kind/name") to write first
    note: str | None = None  # e.g. "enforced by the runner"
    verify_only: bool = False  # groups: verified, never created
    # with verify_only: a missing one is created rather than a problem (the sandbox,
    # an embedded desk, makes its own groups; a real desk's are its admins')
    create_missing: bool = False

    @property
    def key(self) -> str:
        return f"{self.kind}/{self.name}"


class Connector(Protocol):
    """What the runner, the reconciler and `desks check` need from a desk."""

    desk: Desk

    @property
    def calls(self) -> int:
        """HTTP calls (or SQL statements for the sandbox) made so far."""
        ...

    def candidates(self, *, shard: Shard | None = None) -> Iterator[Ticket]:
        """Open tickets in the desk's scope, read server-side, largest pages, to the end."""
        ...

    def apply(self, ticket: Ticket, actions: Sequence[Action]) -> ApplyResult:
        """Carry out a ticket's actions in as few writes as the API allows.

        What each Action type writes, on every desk (tests/connectors/contract.py
        checks it): `assign` sets the ticket's group to the desk group mapped
        from `action.team`; `set_priority` sets the desk priority mapped from
        `action.priority`; `comment` and `update` add an internal note whose
        text contains `action.reason`; `ask_reason` adds a public reply with
        `action.reason`; `mark` and `clear` replace escalada's marker (tags or
        labels via `escalada.marker.retag`, keeping the desk's other tags; a note
        marker line where the desk has no tags) with `action.state`
        (`clear`: NOT_ESCALATED). `notify` is not written: the runner's
        notifier sends it. ApplyResult.written lists the types written, in
        the order given.

        Raises ConflictError when the desk reports a concurrent edit."""
        ...

    def refresh(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """Re-read tickets in full (in batches); tickets gone from the desk or its
        scope are left out.

        The runner calls it only for `Ticket.partial` tickets with something due,
        so expensive fields cost calls per escalation, not per candidate. Leaving
        a field out of a partial read is sound only when its absence can only
        add actions (a missing `responded` makes a level look due; the refresh
        then settles it); fields that conditions test must be read. A desk whose
        candidates are never partial returns the tickets as given."""
        ...

    def check(self, policy: Policy | None = None) -> list[CheckItem]:
        """Credentials, permissions and every mapped id (and, on desks that check
        them, the names the policy uses)."""
        ...

    def desired_config(self, policy: Policy) -> list[ConfigObject]:
        """The native configuration this policy asks for on this desk."""
        ...

    def current_config(self) -> list[ConfigObject]:
        """The desk's configuration objects of the kinds escalada manages."""
        ...

    def write_config(
        self, op: Literal["create", "update", "delete"], obj: ConfigObject
    ) -> ConfigObject:
        """Create, update or delete one object; returns it with its desk id."""
        ...

    def close(self) -> None:
        """Release the connection (HTTP session, database file); whoever connected
        closes, once the connector is no longer used."""
        ...


class TicketHistory(Protocol):
    """A desk that can read its tickets' history: `escalada tickets export`, `simulate
    --desk` and `report --desk` read through it, and the runner's SLA pausing reads
    `history` for the tickets it evaluates. A capability (not every desk has it
    yet): callers test for it and say which desk lacks it."""

    def history(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """The tickets with `status_history` filled (oldest first), read in batches in
        as few calls as the desk's API allows; the tickets' other fields as given."""
        ...

    def window(self, *, since: datetime | None = None) -> Iterator[Ticket]:
        """The scope's open tickets and, with `since`, those resolved (or updated)
        since then, read in full (never `partial`) with their status history."""
        ...


class Paced(Protocol):
    """A desk whose requests draw from the account's rate budget (Wiring.budget): the
    runner sizes a chunk's writes in flight by it (RateBudget.in_flight) where the
    desk type declares concurrent writes (DeskKind.concurrent_writes)."""

    budget: RateBudget | None


class PendingClearing(Protocol):
    """A desk that clears many tickets' `pending` tokens in one call (Zendesk's
    `update_many`, ServiceNow's Batch API, Jira's bulk edit, one SQL statement for
    the sandbox): the runner's confirmation that a burst's messages went out costs
    a call per batch instead of a write per ticket. A capability: the runner falls
    back to one `apply` of a `mark` per ticket where a desk lacks it."""

    def clear_pending(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """Remove the `pending` token of each ticket (each carries it, as the runner
        wrote it this cycle), leaving the rest of its marker and the desk's other
        tags as they are, in as few calls as the desk's API allows. Returns the
        tickets whose token is now gone, as the desk now holds them (new tags and
        revision); a ticket left out keeps its token, and a later cycle re-sends its
        messages past the resend lease (never lost). Raises DeskUnavailable when the
        desk is down past the retry budget."""
        ...
