"""The Zendesk fake's bulk ticket updates and their background jobs, and the
ticket metrics' wait and on-hold times.

- `PUT /api/v2/tickets/update_many.json?ids=1,2,3` with `{"ticket": {...}}`
  (Tickets reference, "Update Many Tickets", operationId TicketsUpdateMany in
  tickets-openapi of api-evangelist/zendesk): up to 100 ids (400
  `TooManyValues` past them), one ticket object applied to each;
  `additional_tags` and `remove_tags` add and remove tags without replacing the
  others, and work only in this bulk form ("Adding tags to tickets without
  overwriting existing tags", Zendesk developer documentation), so a batch body
  `{"tickets": [...]}` carrying them is refused here. The answer is a
  `job_status` (`queued`); the job runs later.
- `GET /api/v2/job_statuses/show_many.json?ids=a,b` (ShowManyJobStatuses,
  job-statuses-openapi): each job as it stands. A job runs when it is first read
  after `job_delay` reads have seen it queued (0: at the first read), one audit
  per ticket it changes; its `results` then hold one item per ticket, as the Job
  Statuses reference's example shows a ticket update's: `{"action": "update",
  "id": 380, "status": "Updated", "success": true}`. A ticket that is gone or
  closed (closed tickets cannot be updated) gets `success: false` with an
  `error`: the shape of that failure item is this fake's assumption, so the
  connector trusts only `success: true`. Unknown job ids are left out.
- Metric sets (Ticket Metrics reference, "JSON format"): `agent_wait_time_in_minutes`
  is the time in pending, `on_hold_time_in_minutes` the time on hold,
  `requester_wait_time_in_minutes` the time in new, open and on-hold, each
  `{calendar, business}` (business as calendar here), in whole minutes rounded
  down, the current status's span counted up to the fake's clock;
  `status_updated_at` is the last status change; `reopens` counts moves out of
  solved. All read from the fake's audits."""

from __future__ import annotations

import re
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

import requests

from tests.fakes.base import FakeServer
from tests.fakes.base import Reply
from tests.fakes.base import body
from tests.fakes.base import first
from tests.fakes.base import reply
from tests.fakes.zendesk_audits import parse

BULK_ATTRIBUTES = frozenset(
    {"additional_tags", "remove_tags", "status", "priority", "group_id", "assignee_id"}
)
WAITING = {"pending": "agent_wait", "hold": "on_hold"}
REQUESTER_WAITS = frozenset({"new", "open", "hold"})


@dataclass
class Job:
    id: str
    ids: list[int]
    update: dict[str, Any]
    status: str = "queued"
    reads: int = 0
    results: list[dict[str, Any]] | None = None
    done: list[int] = field(default_factory=list)


class JobRoutes(FakeServer):
    """Mixed into ZendeskFake: update_many, its jobs, and the metric sets' wait times."""

    if TYPE_CHECKING:  # ZendeskFake's
        tickets: dict[int, dict[str, Any]]
        audits: dict[int, list[dict[str, Any]]]
        now: datetime
        me_id: int
        writes: Any

        def tick(self) -> str: ...
        def record(
            self, ticket_id: int, events: list[dict[str, Any]], at: str, author: int
        ) -> dict[str, Any]: ...

    jobs: dict[str, Job]
    job_delay: int  # reads that see a job still queued before it runs

    def job_routes(self) -> None:
        self.jobs = {}
        self.job_delay = 0
        self.route(
            "PUT", r"/api/v2/tickets/update_many\.json", self._update_many, name="update_many"
        )
        self.route(
            "GET", r"/api/v2/job_statuses/show_many\.json", self._job_statuses, name="job_statuses"
        )

    def _update_many(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        from tests.fakes.zendesk import invalid
        from tests.fakes.zendesk import show_many_ids

        data = body(request)
        if first(request, "ids") is None:
            return invalid(400, "this fake serves only the bulk form: ?ids= and one ticket")
        ids, refused = show_many_ids(request)
        if refused is not None:
            return refused
        if not isinstance(data, dict) or set(data) != {"ticket"}:
            return invalid(400, 'a bulk update\'s body is {"ticket": {...}}')
        update = data["ticket"]
        if not isinstance(update, dict) or not update:
            return invalid(400, "ticket: the attributes to update")
        unknown = sorted(set(update) - BULK_ATTRIBUTES)
        if unknown:
            return invalid(400, f"unknown ticket attribute(s): {', '.join(unknown)}")
        for key in ("additional_tags", "remove_tags"):
            tags = update.get(key)
            if tags is not None and not (
                isinstance(tags, list) and all(isinstance(t, str) and t for t in tags)
            ):
                return invalid(422, "", tags=f"{key}: must be a list of strings")
        job = Job(f"{len(self.jobs) + 1:032x}", ids, update)
        self.jobs[job.id] = job
        return reply(200, {"job_status": self._job_json(job)})

    def _job_statuses(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        wanted = [i for i in (first(request, "ids", "") or "").split(",") if i]
        if not wanted:
            return reply(400, {"error": "InvalidParameter", "description": "ids is required"})
        found = []
        for job_id in wanted:
            job = self.jobs.get(job_id)
            if job is None:
                continue
            if job.status == "queued":
                if job.reads >= self.job_delay:
                    self._run_job(job)
                job.reads += 1
            found.append(self._job_json(job))
        return reply(200, {"job_statuses": found})

    def _run_job(self, job: Job) -> None:
        results = []
        for index, ticket_id in enumerate(job.ids):
            ticket = self.tickets.get(ticket_id)
            if ticket is None or ticket["status"] == "closed":
                why = "TicketNotFound" if ticket is None else "closed prevents ticket update"
                results.append(
                    {
                        "id": ticket_id,
                        "index": index,
                        "action": "update",
                        "success": False,
                        "status": "Failed",
                        "error": why,
                    }
                )
                continue
            self._bulk_update(ticket_id, ticket, job.update)
            job.done.append(ticket_id)
            results.append(
                {"id": ticket_id, "action": "update", "status": "Updated", "success": True}
            )
        job.results = results
        job.status = "completed"

    def _bulk_update(self, ticket_id: int, ticket: dict[str, Any], update: dict[str, Any]) -> None:
        before = dict(ticket)
        tags = set(ticket["tags"])
        tags |= {t.lower() for t in update.get("additional_tags") or ()}
        tags -= {t.lower() for t in update.get("remove_tags") or ()}
        ticket["tags"] = sorted(tags)
        for key in ("status", "priority", "group_id", "assignee_id"):
            if key in update:
                ticket[key] = update[key]
        changed = [
            {"type": "Change", "field_name": k, "value": ticket[k], "previous_value": before[k]}
            for k in ("tags", "status", "priority", "group_id", "assignee_id")
            if ticket[k] != before[k]
        ]
        if not changed:
            return  # nothing changed: Zendesk records no audit
        at = self.tick()
        ticket["updated_at"] = at
        self.writes[ticket_id] += 1
        self.record(ticket_id, changed, at, self.me_id)

    def _job_json(self, job: Job) -> dict[str, Any]:
        return {
            "id": job.id,
            "url": f"{self.base_url}/api/v2/job_statuses/{job.id}.json",
            "job_type": "ThrottleJobs::TicketsUpdateManyJob",
            "status": job.status,
            "total": len(job.ids),
            "progress": len(job.ids) if job.status == "completed" else 0,
            "message": None,
            "results": job.results,
        }

    # --- the metric set's wait and on-hold times -------------------------------------

    def wait_metrics(self, ticket_id: int) -> dict[str, Any]:
        moves: list[tuple[datetime, str]] = []
        for audit in self.audits.get(ticket_id, []):
            at = parse(audit["created_at"])
            for event in audit["events"]:
                if event.get("field_name") == "status" and event.get("type") in (
                    "Create",
                    "Change",
                ):
                    moves.append((at, str(event["value"])))
        seconds = {"agent_wait": 0.0, "on_hold": 0.0, "requester_wait": 0.0}
        reopens = 0
        for n, (at, status) in enumerate(moves):
            end = moves[n + 1][0] if n + 1 < len(moves) else self.now
            span = max(0.0, (end - at).total_seconds())
            if status in WAITING:
                seconds[WAITING[status]] += span
            if status in REQUESTER_WAITS:
                seconds["requester_wait"] += span
            if n and moves[n - 1][1] == "solved" and status not in ("solved", "closed"):
                reopens += 1
        out: dict[str, Any] = {
            f"{name}_time_in_minutes": {"calendar": int(s // 60), "business": int(s // 60)}
            for name, s in seconds.items()
        }
        out["status_updated_at"] = moves[-1][0].strftime("%Y-%m-%dT%H:%M:%SZ") if moves else None
        out["reopens"] = reopens
        return out
