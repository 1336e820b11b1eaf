"""Jira: what the connector reads and writes in batches around its ticket writes.

- The marker guard. Search results lag behind writes ("Recent updates might not
  be immediately visible", search/jql in the platform OpenAPI), and a second
  runner may have moved a ticket since it was read. Before a ticket's write the
  guard compares escalada's labels as read with the current ones, read with
  "Bulk fetch issues" (`POST /rest/api/2/issue/bulkfetch`, up to 100 issues, only
  the `labels` field; like GET issue it carries no such caveat): the ticket and
  the next candidates in read order, so consecutive writes cost one re-read per
  100 candidates instead of one GET each. An entry is used once. After the
  connector's own write it holds the labels written, and that ticket's next
  write (its clearing, once its messages went out) uses them; messages take
  time, so that write, like clear_pending, drops the look-ahead: what was
  re-read before them is re-read again. The runner's writes of one chunk may
  check at once from several threads: the guard's state is under a lock, held
  across a re-read, so the tickets waiting on it use that re-read (one per 100
  candidates still, never one per thread).
- Clearing `pending` (the PendingClearing capability): Jira Cloud's bulk edit
  (`POST /rest/api/2/bulk/issues/fields`, "Bulk edit issues": up to 1,000 issues,
  `labelsFields` with `bulkEditMultiSelectFieldOption: REMOVE`, which removes the
  labels named and keeps the rest; `sendBulkNotification: false`), an
  asynchronous task polled at `GET /rest/api/2/bulk/queue/{taskId}` ("Get bulk
  operation progress") until COMPLETE, about a minute at most; its
  `processedAccessibleIssues` are the issue ids edited. It needs the global
  Make bulk changes permission (`BULK_CHANGE`), read once with mypermissions;
  without it, one PUT of `update.labels: [{"remove": "escalada-pending"}]` per
  ticket, the floor where Jira has no bulk edit (Data Center)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import replace
from typing import Any
from typing import Protocol

from escalada.connectors.http import error_for_status
from escalada.errors import ConflictError
from escalada.errors import EscaladaError
from escalada.marker import PREFIX
from escalada.marker import is_marker
from escalada.policy.model import Desk
from escalada.ticket import Ticket

FETCH_MAX = 100  # BulkFetchIssueRequestBean: "You can request up to 100 issues"
BULK_EDIT_MAX = 1000  # submitBulkEdit: "a maximum of 1000 issues"
PENDING = f"{PREFIX}pending"
BULK_CHANGE = "BULK_CHANGE"  # the global Make bulk changes permission bulk edit needs
POLL_SECONDS = (1.0, 1.0, 2.0, 2.0, 5.0, 5.0, 10.0, 10.0, 15.0, 15.0)  # about a minute
DONE = frozenset({"COMPLETE", "FAILED", "CANCELLED", "DEAD"})
GONE_HINT = "the issue is gone or the account cannot see it"


class BatchClient(Protocol):
    """What the batches need of the connector (which provides it)."""

    desk: Desk

    def get_json(self, path: str, operation: str, **kwargs: Any) -> Any: ...

    def post_json(self, path: str, operation: str, body: Any) -> Any: ...

    def put(self, path: str, operation: str, body: Any) -> None: ...


def markers(labels: Any) -> frozenset[str]:
    return frozenset(str(label) for label in labels or () if is_marker(str(label)))


class MarkerGuard:
    """The current escalada labels of tickets about to be written, read 100 at a time."""

    def __init__(self, client: BatchClient) -> None:
        self.client = client
        self.order: list[str] = []  # candidate keys in read order
        self._position: dict[str, int] = {}
        self._fresh: dict[str, tuple[frozenset[str], bool]] = {}  # key -> (markers, own write)
        self._lock = threading.RLock()  # concurrent writes check at once (see above)

    def read(self, key: str) -> None:
        """A candidate, in the order the search returned it."""
        with self._lock:
            if key not in self._position:
                self._position[key] = len(self.order)
                self.order.append(key)

    def check(self, ticket: Ticket) -> None:
        """Refuse to write on a stale marker (ConflictError)."""
        with self._lock:
            entry = self._fresh.pop(ticket.key, None)
            if entry is not None and entry[1]:
                self.messages_sent()  # the ticket's own follow-up write: its messages went out
            if entry is None:
                self._fetch(ticket.key)
                entry = self._fresh.pop(ticket.key, None)
        if entry is None:
            name = self.client.desk.name
            raise error_for_status(name, f"re-read {ticket.key}", 404, GONE_HINT, hint=GONE_HINT)
        now, read = entry[0], markers(ticket.tags)
        if now != read:
            raise ConflictError(
                self.client.desk.name,
                f"edit {ticket.key}",
                f"its escalada labels changed since it was read ({', '.join(sorted(now)) or 'none'}"
                f" now, {', '.join(sorted(read)) or 'none'} then)",
                hint="the next cycle re-reads it; if this repeats, two runners share tickets "
                "(give each its own --shard)",
            )

    def wrote(self, key: str, labels: frozenset[str]) -> None:
        """The connector's own write: the escalada labels it left."""
        with self._lock:
            self._fresh[key] = (markers(labels), True)

    def messages_sent(self) -> None:
        """Drop the look-ahead (entries re-read, not written by this connector)."""
        with self._lock:
            self._fresh = {key: entry for key, entry in self._fresh.items() if entry[1]}

    def _fetch(self, key: str) -> None:
        wanted = [key]
        start = self._position.get(key)
        if start is not None:
            for other in self.order[start + 1 :]:
                if len(wanted) == FETCH_MAX:
                    break
                if other not in self._fresh:
                    wanted.append(other)
        body = {"issueIdsOrKeys": wanted, "fields": ["labels"]}
        page = self.client.post_json("issue/bulkfetch", f"re-read {key}", body)
        for issue in page.get("issues") or ():
            labels = (issue.get("fields") or {}).get("labels")
            self._fresh[str(issue.get("key"))] = (markers(labels), False)


def cleared(ticket: Ticket) -> Ticket:
    """The ticket as the desk holds it once its pending label is gone."""
    return replace(
        ticket,
        tags=ticket.tags - {PENDING},
        escalation=replace(ticket.escalation, pending=False),
        revision=None,  # Jira's `updated` moved; the next read has it
    )


def clear_pending(
    client: BatchClient,
    tickets: Sequence[Ticket],
    ids: dict[str, str],
    *,
    bulk: bool,
    sleep: Callable[[float], None],
) -> list[Ticket]:
    """Remove `escalada-pending` from each ticket: bulk edits of 1,000 where the account
    may bulk-change and the ids are known, else one label PUT per ticket."""
    batchable = [t for t in tickets if bulk and ids.get(t.key, "None") != "None"]
    done: list[Ticket] = []
    for start in range(0, len(batchable), BULK_EDIT_MAX):
        done += _bulk_remove(client, batchable[start : start + BULK_EDIT_MAX], ids, sleep)
    keys = {t.key for t in batchable}
    for ticket in tickets:
        if ticket.key not in keys:
            body = {"update": {"labels": [{"remove": PENDING}]}}
            client.put(f"issue/{ticket.key}", f"clear the pending label of {ticket.key}", body)
            done.append(cleared(ticket))
    return done


def _bulk_remove(
    client: BatchClient,
    batch: Sequence[Ticket],
    ids: dict[str, str],
    sleep: Callable[[float], None],
) -> list[Ticket]:
    operation = f"clear the pending label of {len(batch)} issues"
    body = {
        "selectedActions": ["labels"],
        "selectedIssueIdsOrKeys": [ids[t.key] for t in batch],
        "editedFieldsInput": {
            "labelsFields": [
                {
                    "fieldId": "labels",
                    "bulkEditMultiSelectFieldOption": "REMOVE",
                    "labels": [{"name": PENDING}],
                }
            ]
        },
        "sendBulkNotification": False,
    }
    task = str(client.post_json("bulk/issues/fields", operation, body).get("taskId") or "")
    if not task:
        raise EscaladaError(f"desk {client.desk.name!r}: {operation}: the reply has no taskId")
    progress: dict[str, Any] = {}
    for wait in POLL_SECONDS:
        sleep(wait)
        progress = client.get_json(f"bulk/queue/{task}", f"{operation} (task {task})")
        if progress.get("status") in DONE:
            break
    # not done within the polls: the task may still finish; the tokens it has not
    # removed yet stay, and are re-sent past the lease only if it never does
    processed = {str(i) for i in progress.get("processedAccessibleIssues") or ()}
    return [cleared(t) for t in batch if ids[t.key] in processed]
