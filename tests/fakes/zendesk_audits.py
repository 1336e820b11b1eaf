"""The Zendesk fake's ticket audits: every change to a ticket is recorded as an
audit, and `GET /api/v2/tickets/{ticket_id}/audits.json` lists them.

Shapes (Ticket Audits reference, "JSON format" and "List Audits for a Ticket",
operationId ListAuditsForTicket in tickets-openapi-original.yml of
api-evangelist/zendesk; the event shapes as a real account answered in zenpy's
recording TestTicketAudits.test_values, read for its facts only):

- an audit is `{id, ticket_id, created_at, author_id, metadata, via, events}`,
  listed oldest first (the real cursor orders by `created_at,id`);
- a ticket's first audit holds one `Create` event per initial field
  (`{"type": "Create", "field_name": "status", "value": "open"}`) and the
  description as a `Comment`;
- a later change is a `Change` event `{field_name, value, previous_value}`;
- cursor pagination (`page[size]` up to 100, `meta.has_more`, `links.next`) or,
  without `page[size]`, offset pagination (`next_page`, `previous_page`,
  `count`): "Returns a maximum of 100 records per page".

`solved_at` gives the instant a ticket last became solved, which the search's
`solved` keyword reads."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any

import requests

from tests.fakes.base import FakeServer
from tests.fakes.base import Reply
from tests.fakes.base import query
from tests.fakes.base import reply

CREATE_FIELDS = ("subject", "status", "priority", "type", "group_id", "organization_id", "tags")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


class AuditRoutes(FakeServer):
    """Mixed into ZendeskFake: audits kept per ticket (oldest first) and the route
    that lists them."""

    if TYPE_CHECKING:  # ZendeskFake's
        tickets: dict[int, dict[str, Any]]

        def new_id(self) -> int: ...
        def error_body(self, status: int, message: str | None = None) -> Any: ...
        def _cursor_page(
            self,
            request: requests.PreparedRequest,
            items: list[Any],
            key: str,
            cap: int,
            default: int,
        ) -> Reply: ...
        def _offset_page(
            self, request: requests.PreparedRequest, items: list[Any], key: str
        ) -> Reply: ...

    audits: dict[int, list[dict[str, Any]]]

    def audit_routes(self) -> None:
        self.audits = {}
        self.route("GET", r"/api/v2/tickets/(\d+)/audits\.json", self._list_audits, name="audits")

    def record(
        self, ticket_id: int, events: list[dict[str, Any]], at: str, author: int
    ) -> dict[str, Any]:
        """One audit of `events` at `at`; returns it (the ticket PUT answers with it)."""
        audit_id = self.new_id()
        for event in events:
            event.setdefault("id", self.new_id())
        audit = {
            "id": audit_id,
            "ticket_id": ticket_id,
            "created_at": at,
            "author_id": author,
            "metadata": {"system": {}, "custom": {}},
            "via": {"channel": "api", "source": {"from": {}, "to": {}, "rel": None}},
            "events": events,
        }
        self.audits.setdefault(ticket_id, []).append(audit)
        return audit

    def record_create(self, ticket_id: int, author: int) -> None:
        ticket = self.tickets[ticket_id]
        events: list[dict[str, Any]] = [
            {
                "type": "Comment",
                "body": ticket["description"],
                "public": True,
                "author_id": author,
            }
        ]
        events += [
            {"type": "Create", "field_name": name, "value": _text(ticket.get(name))}
            for name in CREATE_FIELDS
        ]
        self.record(ticket_id, events, ticket["created_at"], author)

    def changes(self, before: dict[str, Any], after: dict[str, Any]) -> list[dict[str, Any]]:
        """The Change events between two states of a ticket's fields."""
        return [
            {
                "type": "Change",
                "field_name": name,
                "value": after[name],
                "previous_value": before.get(name),
            }
            for name in after
            if name not in ("updated_at",) and after[name] != before.get(name)
        ]

    def solved_at(self, ticket_id: int) -> datetime | None:
        """When the ticket last became solved (None if it never was)."""
        found = None
        for audit in self.audits.get(ticket_id, []):
            for event in audit["events"]:
                if event.get("field_name") == "status" and event.get("value") == "solved":
                    found = parse(audit["created_at"])
        return found

    def _list_audits(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        ticket_id = int(match[1])
        if ticket_id not in self.tickets:
            return reply(404, self.error_body(404))
        items = list(self.audits.get(ticket_id, []))
        if "page[size]" in query(request):
            return self._cursor_page(request, items, "audits", 100, 100)
        return self._offset_page(request, items, "audits")


def _text(value: Any) -> Any:
    """Create events carry ids as strings, as the recording shows ("value": "26425647")."""
    if isinstance(value, int):
        return str(value)
    if isinstance(value, list):
        return " ".join(value) or None
    return value
