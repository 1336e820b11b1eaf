"""Zendesk: clearing many tickets' `pending` tokens in bulk (PendingClearing).

- The write: `PUT /api/v2/tickets/update_many.json?ids=<up to 100 ids>` with
  `{"ticket": {"remove_tags": ["escalada-pending"]}}` (Tickets reference, "Update
  Many Tickets", operationId TicketsUpdateMany in tickets-openapi of
  api-evangelist/zendesk). `remove_tags` removes the named tags and keeps the
  others, and works only in this bulk form, with the ids in the query string
  ("Adding tags to tickets without overwriting existing tags", Zendesk developer
  documentation). zenpy 2.0.57's `tickets.update([...])` sends the batch form
  (`{"tickets": [...]}`), where `remove_tags` does not work, so the PUT goes on
  zenpy's session. No safe update: removing one tag cannot undo anyone's edit,
  so a ticket edited since the runner wrote it is cleared all the same.
- Each PUT answers with a `job_status` and the update runs as a background job.
  All the jobs of a call are then read together, `GET
  /api/v2/job_statuses/show_many.json?ids=<job ids>` (ShowManyJobStatuses,
  job-statuses-openapi; zenpy's `job_status(ids=...)`), after a short wait and
  again with growing waits until every job is `completed` or `failed` (about a
  minute in all). A ticket counts as cleared only when its item in the job's
  `results` says `success: true` (the reference's example:
  `{"action": "update", "id": 380, "status": "Updated", "success": true}`);
  tickets of a job still running at the end, or refused, keep their token as far
  as the runner knows, and a later cycle re-sends their messages past the
  resend lease (if the job did land, the next read simply finds no token).
- At most JOBS_AT_ONCE jobs are queued before they are read: Zendesk queues
  background jobs per account and refuses new ones past its limit (the 30 its
  developer forums cite; unconfirmed), and keeps job statuses for a day.
- Calls: ceil(N / 100) PUTs and, in the common case, one read of their jobs
  (per 30 jobs). The job results carry no `updated_at`, so the tickets come back
  with the token gone and no revision: a later write reads the ticket first."""

from __future__ import annotations

import logging
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import replace
from typing import Any
from typing import Protocol

from escalada.marker import PREFIX
from escalada.policy.model import Desk
from escalada.ticket import Ticket

log = logging.getLogger("escalada.zendesk")

PENDING = f"{PREFIX}pending"  # the marker's pending token (escalada.marker)
BULK_MAX = 100  # ids per update_many
JOBS_AT_ONCE = 30
WAITS = (0.5, 1.0, 2.0, 4.0, 8.0, 15.0, 30.0)  # seconds before each read of the jobs
DONE = frozenset({"completed", "failed"})


class BulkConnection(Protocol):
    """What the bulk clearing needs of the connector (which provides it)."""

    desk: Desk
    client: Any  # zenpy.Zenpy

    def request(
        self,
        method: str,
        path: str,
        operation: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any: ...

    def zenpy_call(self, operation: str) -> AbstractContextManager[None]: ...


def _chunks(items: Sequence[int], size: int) -> Iterator[Sequence[int]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def clear_pending(
    connection: BulkConnection, tickets: Sequence[Ticket], *, sleep: Callable[[float], None]
) -> list[Ticket]:
    """The tickets whose `pending` token the desk has removed (see the module docstring)."""
    given = {int(t.key): t for t in tickets}
    ids = list(given)
    cleared: list[Ticket] = []
    for wave in _chunks(ids, BULK_MAX * JOBS_AT_ONCE):
        jobs: dict[str, Mapping[str, Any]] = {}
        for chunk in _chunks(wave, BULK_MAX):
            data = connection.request(
                "PUT",
                "tickets/update_many.json",
                f"clear the pending token of {len(chunk)} tickets",
                params={"ids": ",".join(map(str, chunk))},
                body={"ticket": {"remove_tags": [PENDING]}},
            )
            job = data["job_status"]
            jobs[str(job["id"])] = job
        jobs = _finished(connection, jobs, sleep)
        done = {
            int(item["id"])
            for job in jobs.values()
            for item in job.get("results") or ()
            if isinstance(item, Mapping) and item.get("success") is True and "id" in item
        }
        left = [i for i in wave if i not in done]
        if left:
            log.warning(
                "desk %s: the pending token of %d tickets was not confirmed cleared (%s); "
                "their messages are re-sent past the resend lease unless the job lands",
                connection.desk.name,
                len(left),
                ", ".join(map(str, left[:10])) + (" ..." if len(left) > 10 else ""),
            )
        cleared += [_without_token(given[i]) for i in wave if i in done]
    return cleared


def _finished(
    connection: BulkConnection,
    jobs: dict[str, Mapping[str, Any]],
    sleep: Callable[[float], None],
) -> dict[str, Mapping[str, Any]]:
    """The jobs as last read: each done, or still running once the waits are spent."""
    for wait in WAITS:
        running = [job_id for job_id, job in jobs.items() if job.get("status") not in DONE]
        if not running:
            break
        sleep(wait)
        with connection.zenpy_call(f"read the status of {len(running)} bulk update jobs"):
            read = connection.client.job_status(ids=running)
        for status in read.get("job_statuses", ()):  # zenpy JobStatus objects
            results = [_plain(item) for item in status.results or ()]
            jobs[str(status.id)] = {"status": status.status, "results": results}
    return jobs


def _plain(item: Any) -> Any:
    """A zenpy JobStatusResult as the JSON it was read from."""
    to_dict = getattr(item, "to_dict", None)
    return to_dict() if callable(to_dict) else item


def _without_token(ticket: Ticket) -> Ticket:
    return replace(
        ticket,
        tags=ticket.tags - {PENDING},
        escalation=replace(ticket.escalation, pending=False),
        revision=None,
    )
