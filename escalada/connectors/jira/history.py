"""Jira: the tickets' status history, and the export's read of a window.

- Status changes come from the bulk changelog (`POST /rest/api/2/changelog/bulkfetch`,
  "Bulk fetch changelogs" in the v3 OpenAPI spec, the same on v2): up to 1,000
  issues per request, filtered to the `status` field, 10,000 changelogs a page
  (BulkChangelogRequestBean's limits), pages followed by `nextPageToken`. So a
  batch of N tickets costs ceil(N / 1000) calls when their status changes fit a
  page. Each item carries the status ids (`from`, `to`) and names; the
  normalized status of an id comes from `GET /rest/api/2/status` ("Get all
  statuses", StatusDetails with `statusCategory`), read once per connector.
  The status at creation is the first change's `from` (the current one when the
  issue never moved).
- The window: the candidates' JQL widened to issues resolved since the start,
  `statusCategory != Done OR resolved >= "yyyy/MM/dd HH:mm"`. JQL reads the
  date in the account's time zone, so the query starts a day early and the
  resolution time is checked here.
- The changelog names issues by id; the connector keeps the ids its searches
  returned, and reads the id of any other ticket with one issue GET."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any
from typing import Protocol

from escalada.connectors.jira.tickets import parse_time
from escalada.connectors.jira.tickets import status_of
from escalada.errors import DeskError
from escalada.policy.model import Desk
from escalada.ticket import Status
from escalada.ticket import StatusChange
from escalada.ticket import Ticket


class HistoryClient(Protocol):
    """What the history read needs of the connector (which provides it)."""

    desk: Desk

    def get_json(self, path: str, operation: str, **kwargs: Any) -> Any: ...

    def post_json(self, path: str, operation: str, body: Any) -> Any: ...

    def status_kinds(self) -> dict[str, Status]: ...

    def history(self, tickets: Sequence[Ticket]) -> list[Ticket]: ...


BULK_ISSUES = 1000  # issueIdsOrKeys maxItems
BULK_PAGE = 10000  # maxResults maximum


def window_jql(candidates: str, since: datetime) -> str:
    """The candidates' JQL, widened to issues resolved since `since` (a day early)."""
    scope, _, order = candidates.partition(" AND statusCategory != Done")
    start = (since - timedelta(days=1)).astimezone(timezone.utc).strftime("%Y/%m/%d %H:%M")
    return f'{scope} AND (statusCategory != Done OR resolved >= "{start}"){order}'


def in_window(ticket: Ticket, since: datetime | None) -> bool:
    if since is None or not ticket.done:
        return True
    return ticket.resolved is not None and ticket.resolved >= since


def statuses(connector: HistoryClient) -> dict[str, Status]:
    """Status id -> normalized status, from Get all statuses."""
    listed = connector.get_json("status", "read statuses")
    if not isinstance(listed, list):
        raise DeskError(connector.desk.name, "read statuses", "the reply is not a list")
    return {str(s.get("id")): status_of(s) for s in listed if isinstance(s, dict)}


def read_history(
    connector: HistoryClient, tickets: Sequence[Ticket], ids: dict[str, str]
) -> list[Ticket]:
    """The tickets with `status_history` from the bulk changelog, 1,000 per request."""
    if not tickets:
        return []
    kinds = connector.status_kinds()
    out: list[Ticket] = []
    for start in range(0, len(tickets), BULK_ISSUES):
        batch = tickets[start : start + BULK_ISSUES]
        changes: dict[str, list[dict[str, Any]]] = {}
        for ticket in batch:
            if ticket.key not in ids:
                found = connector.get_json(
                    f"issue/{ticket.key}", "read issue id", params={"fields": "id"}
                )
                ids[ticket.key] = str(found.get("id"))
        keys_by_id = {ids[t.key]: t.key for t in batch}
        token: str | None = None
        while True:
            body: dict[str, Any] = {
                "issueIdsOrKeys": [t.key for t in batch],
                "fieldIds": ["status"],
                "maxResults": BULK_PAGE,
            }
            if token:
                body["nextPageToken"] = token
            page = connector.post_json("changelog/bulkfetch", "read status history", body)
            for log in page.get("issueChangeLogs") or ():
                key = keys_by_id.get(str(log.get("issueId")))
                if key is not None:
                    changes.setdefault(key, []).extend(log.get("changeHistories") or ())
            token = page.get("nextPageToken")
            if not token:
                break
        out += [_with_history(t, changes.get(t.key, []), kinds) for t in batch]
    return out


def _with_history(
    ticket: Ticket, histories: list[dict[str, Any]], kinds: dict[str, Status]
) -> Ticket:
    moves: list[tuple[datetime, dict[str, Any]]] = []
    for history in histories:
        when = changelog_time(history.get("created"))
        for item in history.get("items") or ():
            if item.get("fieldId") == "status" and when is not None:
                moves.append((when, item))
    moves.sort(key=lambda move: move[0])

    def kind(status_id: Any, name: Any) -> Status:
        found = kinds.get(str(status_id))
        return found if found is not None else status_of({"name": name})

    first = kind(moves[0][1].get("from"), moves[0][1].get("fromString")) if moves else ticket.status
    spans = [StatusChange(first, ticket.created)]
    for when, item in moves:
        status = kind(item.get("to"), item.get("toString"))
        if status != spans[-1].status:
            spans.append(StatusChange(status, max(when, spans[-1].since)))
    return replace(ticket, status_history=tuple(spans))


def changelog_time(value: Any) -> datetime | None:
    """A changelog's `created`: a date-time string as the schema says, or epoch seconds
    as getBulkChangelogs' own example writes it (1492070429)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 10**11:
        return datetime.fromtimestamp(value, tz=timezone.utc)
    return parse_time(value)


def window(
    connector: HistoryClient, since: datetime | None, pages: Iterator[list[Ticket]]
) -> Iterator[Ticket]:
    """The export's read: each search page's tickets in the window, with history."""
    for page in pages:
        kept = [t for t in page if in_window(t, since)]
        yield from connector.history(kept)
