"""A stateful fake of the Zendesk Support REST API (the parts escalada uses).

Shapes follow /work/shared/reference/desk-apis.md §2 and Zendesk's API
reference: `.json` paths under https://SUB.zendesk.com/api/v2, cursor
pagination (`page[size]`, `page[after]`, `meta.has_more`, `links.next`) for
the search export, groups and comments; offset pagination for search.json
with its 1,000-result cap (422 `{"error": "invalid"}`); tickets/show_many with
its sideloads and organizations/show_many, 100 ids at most; ticket PUTs validated
against the documented update attributes, with safe_update/updated_stamp
answering 409 when stale; HTTP Basic `email/token:TOKEN` auth (401 otherwise).

Search queries use a small grammar: space-separated terms `[-]KEY OP VALUE`
with KEY in status, ticket_type, type, tags/tag, priority, group_id,
organization_id and OP one of `:` `<` `>` `<=` `>=` (order operators on status
only). Anything else is refused with 400, so a connector that sends a wrong
query fails its test. As in Zendesk search, `type:` selects the object type
(ticket, user, organization, group) and `ticket_type:` the ticket's type
(incident, problem, question, task): `type:incident` matches no ticket
(Search reference, "Searching tickets" / search-openapi `ListSearchResults`).
The export accepts `type:ticket` in the query beside `filter[type]=ticket`, as
a recorded real export did (desk-apis.md, "Corrections").

Comments list in ascending order by default; under cursor pagination
(`page[size]`) the order is `sort=created_at|-created_at` and `sort_order` is
ignored; under offset pagination `sort_order=asc|desc` (Tickets API, "List
Comments", tickets-openapi `ListTicketComments`).

`reply_time_in_seconds` appears in a metric set only for a messaging ticket
(Ticket Metrics reference: "only available for Messaging tickets"); other
tickets carry the minutes alone.

The admin half (ticket fields, SLA policies, schedules) is in zendesk_admin.py;
audits in zendesk_audits.py; update_many, its jobs and the metric sets' wait and
on-hold times in zendesk_jobs.py.
"""

from __future__ import annotations

import base64
import json
import re
from collections import Counter
from collections.abc import Iterable
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any
from urllib.parse import urlencode

import requests
import responses

from tests.fakes.base import FakeServer
from tests.fakes.base import Reply
from tests.fakes.base import body
from tests.fakes.base import first
from tests.fakes.base import query
from tests.fakes.base import reply
from tests.fakes.zendesk_admin import AdminRoutes
from tests.fakes.zendesk_audits import AuditRoutes
from tests.fakes.zendesk_audits import parse
from tests.fakes.zendesk_jobs import JobRoutes

STATUSES = ("new", "open", "pending", "hold", "solved", "closed")
PRIORITIES = ("urgent", "high", "normal", "low")
EXPORT_MAX = 1000
SEARCH_LIMIT = 1000
SIDELOADS = frozenset(
    {
        "users",
        "groups",
        "organizations",
        "metric_sets",
        "last_audits",
        "dates",
        "metric_events",
        "sharing_agreements",
        "comment_count",
        "incident_counts",
        "ticket_forms",
        "slas",
    }
)
# TicketUpdateInput in Zendesk's OpenAPI description (plus `id`).
UPDATE_ATTRIBUTES = frozenset(
    {
        "id",
        "additional_collaborators",
        "assignee_email",
        "assignee_id",
        "attribute_value_ids",
        "collaborator_ids",
        "comment",
        "custom_fields",
        "custom_status_id",
        "due_at",
        "email_ccs",
        "external_id",
        "followers",
        "group_id",
        "organization_id",
        "priority",
        "problem_id",
        "requester_id",
        "safe_update",
        "sharing_agreement_ids",
        "status",
        "subject",
        "tags",
        "type",
        "updated_stamp",
        "brand_id",
        "collaborators",
        "email_cc_ids",
        "follower_ids",
        "macro_ids",
        "raw_subject",
        "recipient",
        "submitter_id",
        "ticket_form_id",
        "via",
        "via_followup_source_id",
        "description",
    }
)
COMMENT_ATTRIBUTES = frozenset({"body", "html_body", "public", "author_id", "uploads"})
TERM = re.compile(r"^(?P<neg>-?)(?P<key>[a-z_]+)(?P<op>:|<=|>=|<|>)(?P<value>\S+)$")
SEARCH_KEYS = {
    "status",
    "ticket_type",
    "type",
    "tags",
    "tag",
    "priority",
    "group_id",
    "organization_id",
    *("created", "updated", "solved"),
}
# Date keywords (Zendesk Support search reference, "Searching by date and time":
# `created`, `updated`, `solved`, `due_date` with `:` `<` `>` `<=` `>=` and a
# date `YYYY-MM-DD` or an ISO 8601 time); a date alone is the whole day, in the
# account's time zone, which is UTC here.
DATE_KEYS = frozenset({"created", "updated", "solved"})
ORDERED_KEYS = DATE_KEYS | {"status"}
OBJECT_TYPES = ("ticket", "user", "organization", "group")
MESSAGING_CHANNELS = frozenset({"native_messaging", "messaging"})
SAFE_UPDATE_CONFLICT = (  # the description Zendesk documents for a stale safe update
    "Safe Update prevented the update due to outdated ticket data. "
    "Please fetch the latest ticket data and try again."
)


def stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def show_many_ids(request: requests.PreparedRequest) -> tuple[list[int], Reply | None]:
    """`ids=1,2,3` as the show_many endpoints read it: up to 100, else their 400."""
    raw = first(request, "ids", "") or ""
    ids = [int(i) for i in raw.split(",") if i.strip().isdigit()]
    if not ids or len(ids) != len(raw.split(",")):
        return ids, reply(400, {"error": "InvalidParameter", "description": "ids is required"})
    if len(ids) > 100:
        return ids, reply(
            400, {"error": "TooManyValues", "description": "You can pass up to 100 ids"}
        )
    return ids, None


def invalid(status: int, description: str, /, **details: str) -> Reply:
    """Zendesk's RecordInvalid body: {"error", "description", "details": {field: [...]}}."""
    return reply(
        status,
        {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {
                key: [{"description": text, "error": "InvalidValue"}]
                for key, text in details.items()
            }
            or {"base": [{"description": description, "error": "InvalidValue"}]},
        },
    )


class QueryError(ValueError):
    pass


class ZendeskFake(AdminRoutes, AuditRoutes, JobRoutes, FakeServer):
    """Tickets, comments, metrics, groups, users and organizations in memory."""

    contract = "zendesk"

    def __init__(
        self,
        mock: responses.RequestsMock,
        *,
        subdomain: str = "acme",
        email: str = "escalada@acme.test",
        token: str = "zd-token-123",
        now: datetime = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc),
    ) -> None:
        FakeServer.__init__(self, mock, f"https://{subdomain}.zendesk.com")
        self.email = email
        self.token = token
        self.now = now
        self.role = "admin"
        self._next_id = 1000
        self.tickets: dict[int, dict[str, Any]] = {}
        self.comments: dict[int, list[dict[str, Any]]] = {}
        self.replied: dict[int, datetime] = {}  # first public agent reply
        self.groups: dict[int, dict[str, Any]] = {}
        self.organizations: dict[int, dict[str, Any]] = {}
        self.users: dict[int, dict[str, Any]] = {}
        self.writes: Counter[int] = Counter()  # ticket PUTs that changed a ticket
        self.index: dict[int, dict[str, Any]] | None = None  # a lagging search index, if frozen
        self.conflicts = 0
        self.me_id = self.add_user("escalada", role="agent", email=email)
        self.users[self.me_id]["role"] = "admin"
        self.requester_id = self.add_user("Requester", role="end-user", email="req@acme.test")
        self._ticket_routes()
        self.admin_routes()
        self.audit_routes()
        self.job_routes()

    # --- state helpers -----------------------------------------------------------

    def new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def tick(self) -> str:
        """Advance the fake clock by one second (every write gets a new updated_at)."""
        self.now += timedelta(seconds=1)
        return stamp(self.now)

    def add_user(self, name: str, *, role: str, email: str) -> int:
        user_id = self.new_id()
        self.users[user_id] = {"id": user_id, "name": name, "email": email, "role": role}
        return user_id

    def add_group(self, name: str) -> int:
        group_id = self.new_id()
        created = stamp(self.now)
        self.groups[group_id] = {
            "id": group_id,
            "name": name,
            "deleted": False,
            "created_at": created,
            "updated_at": created,
            "url": f"{self.base_url}/api/v2/groups/{group_id}.json",
        }
        return group_id

    def group_id(self, name: str) -> int:
        return next(g for g, data in self.groups.items() if data["name"] == name)

    def add_organization(self, name: str) -> int:
        org_id = self.new_id()
        self.organizations[org_id] = {"id": org_id, "name": name, "tags": []}
        return org_id

    def add_ticket(
        self,
        subject: str,
        *,
        created: datetime,
        status: str = "open",
        priority: str | None = "normal",
        type: str = "incident",
        tags: Iterable[str] = (),
        group_id: int | None = None,
        organization_id: int | None = None,
        custom_fields: dict[int, Any] | None = None,
        description: str = "",
        replied: datetime | None = None,
        channel: str = "web",
    ) -> int:
        assert status in STATUSES and (priority is None or priority in PRIORITIES)
        ticket_id = self.new_id()
        at = stamp(created)
        self.tickets[ticket_id] = {
            "id": ticket_id,
            "url": f"{self.base_url}/api/v2/tickets/{ticket_id}.json",
            "subject": subject,
            "raw_subject": subject,
            "description": description or subject,
            "status": status,
            "priority": priority,
            "type": type,
            "tags": sorted(set(tags)),
            "group_id": group_id,
            "assignee_id": None,
            "requester_id": self.requester_id,
            "submitter_id": self.requester_id,
            "organization_id": organization_id,
            "custom_fields": [{"id": fid, "value": v} for fid, v in (custom_fields or {}).items()],
            "created_at": at,
            "updated_at": at,
            "due_at": None,
            "via": {"channel": channel},
        }
        self.comments[ticket_id] = [
            self._comment(ticket_id, description or subject, True, self.requester_id, at)
        ]
        if replied is not None:
            self.replied[ticket_id] = replied
        self.record_create(ticket_id, self.requester_id)
        return ticket_id

    def add_comment(
        self, ticket_id: int, text: str, *, public: bool = True, author: int | None = None
    ) -> int:
        """Someone (the requester unless `author`) comments on the ticket a second later."""
        made = self._comment(ticket_id, text, public, author or self.requester_id, self.tick())
        self.comments[ticket_id].append(made)
        self.tickets[ticket_id]["updated_at"] = made["created_at"]
        return int(made["id"])

    def edit(self, ticket_id: int, **changes: Any) -> None:
        """A human edits the ticket in the agent UI: a new updated_at."""
        ticket = self.tickets[ticket_id]
        before = dict(ticket)
        for key, value in changes.items():
            ticket[key] = sorted(set(value)) if key == "tags" else value
        ticket["updated_at"] = self.tick()
        events = self.changes(before, {k: ticket[k] for k in changes})
        if events:
            self.record(ticket_id, events, ticket["updated_at"], self.requester_id)

    def freeze_index(self) -> None:
        """Searches see the tickets as they are now until reindex(): Zendesk's search
        index lags the ticket store by minutes."""
        self.index = json.loads(json.dumps(self.tickets, default=str))
        self.index = {int(k): v for k, v in self.index.items()}

    def reindex(self) -> None:
        self.index = None

    def _comment(
        self, ticket_id: int, text: str, public: bool, author: int, at: str
    ) -> dict[str, Any]:
        return {
            "id": self.new_id(),
            "type": "Comment",
            "author_id": author,
            "body": text,
            "html_body": f"<p>{text}</p>",
            "plain_body": text,
            "public": public,
            "created_at": at,
            "attachments": [],
            "via": {"channel": "api"},
        }

    def metric_set(self, ticket_id: int) -> dict[str, Any]:
        ticket = self.tickets[ticket_id]
        created = datetime.fromisoformat(ticket["created_at"].replace("Z", "+00:00"))
        replied = self.replied.get(ticket_id)
        seconds = None if replied is None else int((replied - created).total_seconds())
        minutes = None if seconds is None else round(seconds / 60)
        return {
            "id": ticket_id + 500_000,
            "ticket_id": ticket_id,
            "created_at": ticket["created_at"],
            "updated_at": ticket["updated_at"],
            "replies": 0 if replied is None else 1,
            "reply_time_in_minutes": {"calendar": minutes, "business": minutes},
            "solved_at": None,
            "assigned_at": None,
            **self.wait_metrics(ticket_id),  # zendesk_jobs.py
            **(
                {"reply_time_in_seconds": {"calendar": seconds}}
                if ticket["via"].get("channel") in MESSAGING_CHANNELS
                else {}
            ),
        }

    # --- Zendesk's shapes for errors and refusals ---------------------------------

    def error_body(self, status: int, message: str | None = None) -> Any:
        if status == 401:
            return {"error": "Couldn't authenticate you"}
        if status == 403:
            return {
                "error": "Forbidden",
                "description": "You do not have access to this page. "
                "Please contact the account owner of this help desk for further help.",
            }
        if status == 404:
            return {"error": "RecordNotFound", "description": "Not found"}
        if status == 409:
            return {"error": "UpdateConflict", "description": SAFE_UPDATE_CONFLICT}
        if status == 429:
            return {"error": "APIRateLimitExceeded", "description": "Rate limit exceeded"}
        if status in (400, 422):
            return {
                "error": "RecordInvalid",
                "description": message or "Record validation errors",
                "details": {},
            }
        return {"error": message or "ServerError", "description": f"HTTP {status}"}

    def rate_headers(self, limit: int, remaining: int, now: float, reset: int) -> dict[str, str]:
        """Zendesk's: the account's X-Rate-Limit and X-Rate-Limit-Remaining, and on
        the ticketing endpoints ratelimit-limit/-remaining/-reset (seconds to the
        minute's end) (developer.zendesk.com, best practices for avoiding rate
        limiting: "x-rate-limit: 700 ratelimit-limit: 700 ... ratelimit-reset: 41")."""
        return {
            "X-Rate-Limit": str(limit),
            "X-Rate-Limit-Remaining": str(remaining),
            "ratelimit-limit": str(limit),
            "ratelimit-remaining": str(remaining),
            "ratelimit-reset": str(reset),
        }

    def refuse(self, request: requests.PreparedRequest) -> Reply | None:
        expected = base64.b64encode(f"{self.email}/token:{self.token}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return reply(401, self.error_body(401))
        if request.body and "application/json" not in request.headers.get("Content-Type", ""):
            return reply(400, self.error_body(400, "Content-Type must be application/json"))
        return None

    # --- routes ------------------------------------------------------------------

    def _ticket_routes(self) -> None:
        self.route("GET", r"/api/v2/users/me\.json", self._me, name="me")
        self.route("GET", r"/api/v2/groups\.json", self._groups, name="groups")
        self.route("GET", r"/api/v2/search/export\.json", self._export, name="export")
        self.route("GET", r"/api/v2/search\.json", self._search, name="search")
        self.route("GET", r"/api/v2/tickets/show_many\.json", self._show_many, name="show_many")
        self.route(
            "GET",
            r"/api/v2/organizations/show_many\.json",
            self._organizations_many,
            name="organizations",
        )
        self.route(
            "GET",
            r"/api/v2/organizations/search\.json",
            self._organizations_search,
            name="organizations_search",
        )
        self.route("GET", r"/api/v2/tickets/(\d+)\.json", self._show, name="ticket")
        self.route("PUT", r"/api/v2/tickets/(\d+)\.json", self._update, name="update")
        self.route("GET", r"/api/v2/tickets/(\d+)/comments\.json", self._comments, name="comments")
        self.route("GET", r"/api/v2/tickets/(\d+)/metrics\.json", self._metrics, name="metrics")

    def _me(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        return reply(200, {"user": {**self.users[self.me_id], "role": self.role}})

    def _cursor_page(
        self, request: requests.PreparedRequest, items: list[Any], key: str, cap: int, default: int
    ) -> Reply:
        """One cursor page of `items`; the cursor encodes the position after the page."""
        try:
            size = int(first(request, "page[size]", str(default)) or default)
            after = first(request, "page[after]")
            start = int(base64.urlsafe_b64decode(after.encode()).decode()) if after else 0
        except ValueError:
            return reply(
                400,
                {
                    "error": "InvalidPaginationParameter",
                    "description": "page[size] or page[after] is invalid",
                },
            )
        if not 1 <= size <= cap:
            return reply(
                400,
                {
                    "error": "InvalidPaginationParameter",
                    "description": f"page[size] must be between 1 and {cap}",
                },
            )
        page = items[start : start + size]
        more = start + size < len(items)
        cursor = base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None
        following = None
        if more:
            params = {k: v[0] for k, v in query(request).items()}
            params["page[after]"] = cursor or ""
            path = (request.url or "").split("?")[0]
            following = f"{path}?{urlencode(params)}"
        return reply(
            200,
            {
                key: page,
                "meta": {"has_more": more, "after_cursor": cursor, "before_cursor": None},
                "links": {"next": following, "prev": None},
            },
        )

    def _groups(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        groups = [g for g in self.groups.values() if not g["deleted"]]
        return self._cursor_page(request, groups, "groups", 100, 100)

    def matching(self, text: str) -> list[dict[str, Any]]:
        tests = []
        for term in text.split():
            match = TERM.match(term)
            if match is None or match["key"] not in SEARCH_KEYS:
                raise QueryError(f"unsupported search term {term!r}")
            if match["op"] != ":" and match["key"] not in ORDERED_KEYS:
                raise QueryError(f"{term!r}: only status and dates support < and >")
            if match["key"] in DATE_KEYS and _day(match["value"]) is None:
                raise QueryError(f"{term!r}: not a date")
            if match["key"] == "status" and match["value"] not in STATUSES:
                raise QueryError(f"{term!r}: unknown status")
            tests.append((match["neg"] == "-", match["key"], match["op"], match["value"]))
        tickets = self.tickets if self.index is None else self.index
        solved = {i: self.solved_at(i) for i in tickets}
        return sorted(
            (t for t in tickets.values() if all(_term(t, *test, solved) for test in tests)),
            key=lambda t: (t["created_at"], t["id"]),
        )

    def _export(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        kind = first(request, "filter[type]")
        if kind not in ("ticket", "user", "organization", "group"):
            return reply(
                400,
                {
                    "error": "InvalidParameter",
                    "description": "filter[type] is required: ticket, user, organization or group",
                },
            )
        if kind != "ticket":
            return reply(200, {"results": [], "meta": {"has_more": False}, "links": {}})
        try:
            found = self.matching(first(request, "query", "") or "")
        except QueryError as error:
            return reply(400, {"error": "InvalidQuery", "description": str(error)})
        results = [{**t, "result_type": "ticket"} for t in found]
        status, headers, text = self._cursor_page(request, results, "results", EXPORT_MAX, 100)
        if status == 200:
            data = json.loads(text)
            data["facets"] = None
            text = json.dumps(data)
        return status, headers, text

    def _search(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        page = int(first(request, "page", "1") or 1)
        per_page = min(int(first(request, "per_page", "100") or 100), 100)
        if page * per_page > SEARCH_LIMIT:
            return reply(
                422,
                {
                    "error": "invalid",
                    "description": "Invalid search: Requested "
                    "response size was greater than Search Response Limits",
                },
            )
        text = first(request, "query", "") or ""
        try:
            found = self.matching(text)
        except QueryError as error:
            return reply(400, {"error": "InvalidQuery", "description": str(error)})
        chunk = found[(page - 1) * per_page : page * per_page]
        params = {k: v[0] for k, v in query(request).items()}
        params["page"] = str(page + 1)
        path = (request.url or "").split("?")[0]
        following = f"{path}?{urlencode(params)}" if page * per_page < len(found) else None
        return reply(
            200,
            {
                "results": [{**t, "result_type": "ticket"} for t in chunk],
                "count": len(found),
                "next_page": following,
                "previous_page": None,
                "facets": None,
            },
        )

    def _show_many(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        ids, refused = show_many_ids(request)
        if refused is not None:
            return refused
        include = [i for i in (first(request, "include", "") or "").split(",") if i]
        unknown = [i for i in include if i not in SIDELOADS]
        if unknown:
            return reply(
                400, {"error": "InvalidParameter", "description": f"unknown sideload {unknown[0]}"}
            )
        tickets = [self.tickets[i] for i in ids if i in self.tickets]
        data: dict[str, Any] = {"tickets": tickets}
        if "metric_sets" in include:
            data["metric_sets"] = [self.metric_set(t["id"]) for t in tickets]
        if "organizations" in include:
            orgs = {t["organization_id"] for t in tickets if t["organization_id"]}
            data["organizations"] = [self.organizations[o] for o in sorted(orgs)]
        return reply(200, data)

    def _organizations_search(
        self, request: requests.PreparedRequest, match: re.Match[str]
    ) -> Reply:
        """GET organizations/search.json?name=... or ?external_id=..., not both; a name
        "must exactly match the value provided (case insensitive)" (Search
        Organizations, organizations-openapi-original.yml in api-evangelist/zendesk)."""
        params = query(request)
        if set(params) - {"name", "external_id"} or len(params) != 1:
            return reply(
                400,
                {"error": "InvalidParameter", "description": "name or external_id, not both"},
            )
        key, value = next(iter(params.items()))
        wanted = str(value[0] if isinstance(value, list) else value).casefold()
        found = [
            o for o in self.organizations.values() if str(o.get(key) or "").casefold() == wanted
        ]
        return reply(
            200,
            {"organizations": found, "count": len(found), "next_page": None, "previous_page": None},
        )

    def _organizations_many(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        """GET organizations/show_many.json?ids=...: up to 100, unknown ids left out."""
        unknown = sorted(set(query(request)) - {"ids", "external_ids"})
        if unknown:
            return reply(
                400, {"error": "InvalidParameter", "description": f"unknown parameter {unknown[0]}"}
            )
        ids, refused = show_many_ids(request)
        if refused is not None:
            return refused
        found = [self.organizations[i] for i in ids if i in self.organizations]
        return reply(200, {"organizations": found, "next_page": None, "previous_page": None})

    def _show(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        ticket = self.tickets.get(int(match[1]))
        return reply(200, {"ticket": ticket}) if ticket else reply(404, self.error_body(404))

    def _metrics(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        ticket_id = int(match[1])
        if ticket_id not in self.tickets:
            return reply(404, self.error_body(404))
        return reply(200, {"ticket_metric": self.metric_set(ticket_id)})

    def _comments(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        ticket_id = int(match[1])
        if ticket_id not in self.tickets:
            return reply(404, self.error_body(404))
        items = list(self.comments[ticket_id])  # oldest first, as Zendesk lists them
        if "page[size]" in query(request):  # cursor pagination: `sort`; sort_order is ignored
            order = first(request, "sort", "created_at")
            if order not in ("created_at", "-created_at"):
                return reply(400, {"error": "InvalidParameter", "description": "sort"})
            if order == "-created_at":
                items.reverse()
            return self._cursor_page(request, items, "comments", 100, 100)
        order = first(request, "sort_order", "asc")  # offset pagination: sort_order
        if order not in ("asc", "desc"):
            return reply(400, {"error": "InvalidParameter", "description": "sort_order"})
        if order == "desc":
            items.reverse()
        return self._offset_page(request, items, "comments")

    def _offset_page(self, request: requests.PreparedRequest, items: list[Any], key: str) -> Reply:
        """One offset page (`page`, `per_page` up to 100) with next_page/previous_page/count."""
        try:
            page = int(first(request, "page", "1") or 1)
            per_page = int(first(request, "per_page", "100") or 100)
        except ValueError:
            return reply(400, {"error": "InvalidPaginationParameter", "description": "page"})
        if page < 1 or not 1 <= per_page <= 100:
            return reply(
                400, {"error": "InvalidPaginationParameter", "description": "per_page: 1 to 100"}
            )
        path = (request.url or "").split("?")[0]
        params = {k: v[0] for k, v in query(request).items()}

        def link(number: int) -> str:
            return f"{path}?{urlencode({**params, 'page': str(number)})}"

        more = page * per_page < len(items)
        return reply(
            200,
            {
                key: items[(page - 1) * per_page : page * per_page],
                "next_page": link(page + 1) if more else None,
                "previous_page": link(page - 1) if page > 1 else None,
                "count": len(items),
            },
        )

    def _update(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        ticket_id = int(match[1])
        ticket = self.tickets.get(ticket_id)
        if ticket is None:
            return reply(404, self.error_body(404))
        data = body(request)
        if (
            not isinstance(data, dict)
            or set(data) != {"ticket"}
            or not isinstance(data["ticket"], dict)
        ):
            return invalid(400, 'the body must be {"ticket": {...}}')
        update = data["ticket"]
        unknown = sorted(set(update) - UPDATE_ATTRIBUTES)
        if unknown:
            return invalid(400, f"unknown ticket attribute(s): {', '.join(unknown)}")
        problem = self._check_update(ticket_id, update)
        if problem is not None:
            return problem
        if update.get("safe_update"):
            if update.get("updated_stamp") != ticket["updated_at"]:
                self.conflicts += 1
                return reply(409, self.error_body(409))
        at = self.tick()
        events: list[dict[str, Any]] = []
        for key, value in update.items():
            if key in ("id", "safe_update", "updated_stamp", "comment"):
                continue
            if key == "tags":
                value = sorted({t.lower() for tag in value for t in tag.split()})
            events.append(
                {
                    "type": "Change",
                    "field_name": key,
                    "value": value,
                    "previous_value": ticket.get(key),
                }
            )
            ticket[key] = value
        comment = update.get("comment")
        if comment is not None:
            public = bool(comment.get("public", True))
            made = self._comment(ticket_id, comment["body"], public, self.me_id, at)
            self.comments[ticket_id].append(made)
            events.append(
                {
                    "type": "Comment",
                    "id": made["id"],
                    "body": made["body"],
                    "public": public,
                    "author_id": self.me_id,
                }
            )
            if public and ticket_id not in self.replied:
                self.replied[ticket_id] = self.now  # an agent's public reply is the first reply
        ticket["updated_at"] = at
        self.writes[ticket_id] += 1
        audit = self.record(ticket_id, events, at, self.me_id)
        return reply(200, {"ticket": ticket, "audit": audit})

    def _check_update(self, ticket_id: int, update: dict[str, Any]) -> Reply | None:
        if "id" in update and update["id"] != ticket_id:
            return invalid(400, "the ticket id in the body differs from the path")
        if "priority" in update and update["priority"] not in (*PRIORITIES, None):
            return invalid(422, "", priority="Priority: is not included in the list")
        if "status" in update and update["status"] not in STATUSES:
            return invalid(422, "", status="Status: is not included in the list")
        if "group_id" in update and update["group_id"] not in (*self.groups, None):
            return invalid(422, "", group="Group: is invalid")
        tags = update.get("tags")
        if tags is not None and not (
            isinstance(tags, list) and all(isinstance(t, str) and t for t in tags)
        ):
            return invalid(422, "", tags="Tags: must be a list of strings")
        comment = update.get("comment")
        if comment is not None:
            if not isinstance(comment, dict) or set(comment) - COMMENT_ATTRIBUTES:
                return invalid(400, "comment: unknown attribute(s)")
            if not isinstance(comment.get("body"), str) or not comment["body"].strip():
                return invalid(422, "", comment="Comment: body can't be blank")
            if not isinstance(comment.get("public", True), bool):
                return invalid(422, "", comment="Comment: public must be true or false")
        for item in update.get("custom_fields") or []:
            if not isinstance(item, dict) or set(item) != {"id", "value"}:
                return invalid(400, "custom_fields: items are {id, value}")
            if item["id"] not in self.ticket_fields:
                return invalid(422, "", custom_fields=f"Field {item['id']} does not exist")
        if update.get("safe_update") is not None and not isinstance(update["safe_update"], bool):
            return invalid(422, "", safe_update="safe_update must be true or false")
        if update.get("safe_update") and not update.get("updated_stamp"):
            return invalid(422, "", updated_stamp="updated_stamp is required with safe_update")
        return None


def _day(value: str) -> tuple[datetime, datetime] | None:
    """A search date as the instants it spans: a day, or one instant for a time."""
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            start = datetime.fromisoformat(value).replace(tzinfo=timezone.utc)
            return start, start + timedelta(days=1)
        moment = parse(value)
    except ValueError:
        return None
    return (moment, moment) if moment.tzinfo else None


def _term(
    ticket: dict[str, Any],
    negate: bool,
    key: str,
    op: str,
    value: str,
    solved: dict[int, datetime | None],
) -> bool:
    if key in DATE_KEYS:
        at = solved[ticket["id"]] if key == "solved" else parse(ticket[f"{key}_at"])
        span = _day(value)
        if at is None or span is None:
            return negate
        start, end = span
        result = {
            ":": start <= at < end if end > start else at == start,
            "<": at < start,
            ">": at >= end if end > start else at > start,
            "<=": at < end if end > start else at <= start,
            ">=": at >= start,
        }[op]
    elif key == "status":
        have, want = STATUSES.index(ticket["status"]), STATUSES.index(value)
        result = {
            ":": have == want,
            "<": have < want,
            ">": have > want,
            "<=": have <= want,
            ">=": have >= want,
        }[op]
    elif key in ("tags", "tag"):
        result = value.lower() in ticket["tags"]
    elif key == "type":  # the object type: every result here is a ticket
        result = value == "ticket"
    elif key == "ticket_type":
        result = str(ticket.get("type")) == value
    else:
        result = str(ticket.get(key)) == value
    return result != negate
