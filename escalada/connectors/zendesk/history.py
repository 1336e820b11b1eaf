"""Zendesk: the tickets' status history, and the export's read of a window.

- Status changes come from the ticket's audits, `GET /api/v2/tickets/{ticket_id}/audits.json`
  ("List Audits for a Ticket", operationId ListAuditsForTicket in Zendesk's
  tickets OpenAPI description; zenpy's `tickets.audits(ticket=id)`, cursor
  pagination, at most 100 audits a page), oldest first. The ticket's first
  audit has a `Create` event with `field_name: "status"` and the initial
  status as `value`; each later status change is a `Change` event with
  `value` and `previous_value`, at the audit's `created_at`. So N tickets
  cost N calls (one more per further 100 audits of a ticket): Zendesk has
  no batched audit read for a list of tickets.
- So the runner's read (`read_history` with `metrics`) reads audits only for
  the tickets whose metric set shows a pause: the ticket metrics
  (Ticket Metrics reference, "JSON format"; TicketMetric in the contract) keep
  `agent_wait_time_in_minutes` (time in pending), `on_hold_time_in_minutes`
  (time on hold) and `reopens`, and `tickets/show_many.json?include=metric_sets`
  brings them for 100 tickets a call (nothing more when the runner's refresh
  already read them this cycle). A ticket that is open now, with no wait time,
  no on-hold time and no reopen (calendar minutes; a missing figure counts as a
  pause), was never paused, so its history is one span: open since its creation.
  Every other ticket's audits are read as above. How exact: the metrics count
  whole minutes, so pending or on-hold spans adding up to less than a minute can
  read as none; the clock then runs through them, and a level falls due that
  much earlier than the audits would say, never later. `window` (export,
  simulate, report) always reads the audits.
- Why not `GET /api/v2/ticket_audits.json` (every audit of the account, cursor
  paged, 100 a page): it is for admins only (the runner's account is an agent),
  has no time or ticket filter, covers every ticket of the account in and out
  of scope and every kind of event, and Zendesk says it "should not be used
  for capturing change data". An open ticket created months ago would make it
  page through months of the whole account's audits.
- Times are exact to the second (the audit's `created_at`); a status set and
  reverted inside one update leaves no span. Statuses are read through the
  connector's STATUS map (hold reads as on-hold). Audits of archived tickets
  (closed for 120 days) come back unpaged; such tickets are outside any
  window escalada reads.
- The window: the search export with `<scope> status<solved` (the candidates)
  and `<scope> status>=solved solved>=<date a day before the start>` (Zendesk
  Support search reference, "Searching by date and time": a date is a day in
  the account's time zone, hence the day's margin); the resolution time is the
  last move into solved/closed in the audits and is checked here."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any
from typing import Protocol

from escalada.connectors.zendesk.tickets import STATUS
from escalada.connectors.zendesk.tickets import parse_time
from escalada.policy.model import Desk
from escalada.ticket import DONE_STATUSES
from escalada.ticket import Status
from escalada.ticket import StatusChange
from escalada.ticket import Ticket

AUDIT_PAGE = 100  # "Returns a maximum of 100 records per page"
# minutes in pending and on hold (Ticket Metrics reference, "JSON format")
PAUSE_METRICS = ("agent_wait_time_in_minutes", "on_hold_time_in_minutes")


class HistoryConnection(Protocol):
    """What the history read needs of the connector (which provides it)."""

    desk: Desk

    def request(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any: ...


def audits(connection: HistoryConnection, ticket_id: int) -> Iterator[Mapping[str, Any]]:
    """The ticket's audits, oldest first, cursor pages of 100 on zenpy's session.

    Not `zenpy.tickets.audits(ticket=id)`: zenpy 2.0.57 puts its `include`
    argument into the query even when unset, so every such request carries
    `include=None`, a sideload Zendesk does not document."""
    url = f"tickets/{ticket_id}/audits.json"
    params: Mapping[str, Any] | None = {"page[size]": AUDIT_PAGE}
    while True:
        page = connection.request("GET", url, f"read audits of ticket {ticket_id}", params=params)
        yield from page.get("audits") or ()
        following = (page.get("links") or {}).get("next")
        if not (page.get("meta") or {}).get("has_more") or not following:
            return
        url, params = following, None  # the next link carries every parameter


def done_query(desk: Desk, since: datetime) -> str:
    """The scope's solved and closed tickets solved since `since` (a day early)."""
    start = (since - timedelta(days=1)).astimezone(timezone.utc).strftime("%Y-%m-%d")
    return f"{(desk.scope or '').strip()} status>=solved solved>={start}".strip()


def read_history(
    connection: HistoryConnection,
    tickets: Sequence[Ticket],
    metrics: Callable[[Sequence[int]], Mapping[int, Mapping[str, Any]]] | None = None,
) -> list[Ticket]:
    """The tickets with `status_history` (and, when done, `resolved`) from their audits;
    with `metrics` (the tickets' metric sets by id), only those of the tickets the
    metrics show paused (see the module docstring)."""
    sets = metrics([int(t.key) for t in tickets]) if metrics is not None and tickets else {}
    out = []
    for ticket in tickets:
        if never_paused(ticket, sets.get(int(ticket.key))):
            out.append(with_history(ticket, []))
        else:
            out.append(with_history(ticket, status_moves(audits(connection, int(ticket.key)))))
    return out


def never_paused(ticket: Ticket, metric_set: Mapping[str, Any] | None) -> bool:
    """Whether a ticket's metric set shows it open since its creation: open now, no
    minute in pending or on hold, never reopened."""
    if metric_set is None or ticket.status != "open":
        return False
    for name in PAUSE_METRICS:
        value = metric_set.get(name)
        if not isinstance(value, Mapping) or value.get("calendar") != 0:
            return False
    return metric_set.get("reopens") == 0


def status_moves(audits: Iterable[Mapping[str, Any]]) -> list[tuple[datetime, str]]:
    """(when, Zendesk status) of the Create event and of every status Change, in order."""
    moves: list[tuple[datetime, str]] = []
    for audit in audits:
        when = parse_time(audit.get("created_at"))
        for event in audit.get("events") or ():
            if (
                when is not None
                and event.get("field_name") == "status"
                and event.get("type") in ("Create", "Change")
                and isinstance(event.get("value"), str)
            ):
                moves.append((when, str(event["value"])))
    moves.sort(key=lambda move: move[0])  # stable: one audit's events keep their order
    return moves


def with_history(ticket: Ticket, moves: list[tuple[datetime, str]]) -> Ticket:
    def kind(value: str) -> Status:
        return STATUS.get(value, "open")  # type: ignore[return-value]

    spans = [StatusChange(kind(moves[0][1]) if moves else ticket.status, ticket.created)]
    for when, value in moves[1:]:
        status = kind(value)
        if status != spans[-1].status:
            spans.append(StatusChange(status, max(when, spans[-1].since)))
    if spans[-1].status != ticket.status:  # the search index or a lost audit: trust the ticket
        spans.append(
            StatusChange(ticket.status, max(ticket.updated or ticket.created, spans[-1].since))
        )
    resolved = ticket.resolved
    if ticket.done and resolved is None:
        done = [s for s in spans if s.status in DONE_STATUSES]
        last_open = max(
            (i for i, s in enumerate(spans) if s.status not in DONE_STATUSES), default=-1
        )
        resolved = spans[last_open + 1].since if done else None
    return replace(ticket, status_history=tuple(spans), resolved=resolved)


def in_window(ticket: Ticket, since: datetime | None) -> bool:
    if since is None or not ticket.done:
        return True
    return ticket.resolved is not None and ticket.resolved >= since
