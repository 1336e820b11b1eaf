"""The Zendesk desk under the connector contract: zenpy against tests/fakes/zendesk.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import responses

from escalada import marker
from escalada.connectors import connect
from escalada.connectors.base import Connector
from escalada.connectors.base import Wiring
from escalada.policy.model import SecretRef
from escalada.policy.model import ValueMapping
from tests.connectors.contract import NOW
from tests.connectors.contract import DeskView
from tests.connectors.contract import TicketSpec
from tests.connectors.contract import contract_desk
from tests.fakes.zendesk import ZendeskFake

ENVIRON = {"ZENDESK_EMAIL": "escalada@acme.test", "ZENDESK_API_TOKEN": "zd-token-123"}
GROUPS = {
    "service-desk": "Tier 1 EMEA",
    "network-l2": "Network L2",
    "it-management": "IT Management",
}
PRIORITY = {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"}
STATUS = {"open": "open", "pending": "pending", "resolved": "solved", "closed": "closed"}
NORMALIZED = {
    "new": "open",
    "open": "open",
    "pending": "pending",
    "hold": "on-hold",
    "solved": "resolved",
    "closed": "closed",
}
PATHS = {"read": r"/search/export\.json$", "write": r"/tickets/\d+\.json$"}
METHODS = {"read": "GET", "write": "PUT"}


def zendesk_desk(**overrides: Any) -> Any:
    """The Desk the harness and the Zendesk tests use (impact/urgency fields set by the fake)."""
    options: dict[str, Any] = dict(
        url="https://acme.zendesk.com",
        auth={
            "email": SecretRef("env", "ZENDESK_EMAIL"),
            "token": SecretRef("env", "ZENDESK_API_TOKEN"),
        },
        scope="ticket_type:incident",
        fields={"vip": "vip"},
    )
    options.update(overrides)
    return contract_desk("zendesk-test", "zendesk", priorities=PRIORITY, teams=GROUPS, **options)


@dataclass
class ZendeskHarness:
    fake: ZendeskFake
    name: str = "zendesk"
    page_size: int = 1000
    # The group list, once per read (one page: fewer than 100 groups). Nothing per
    # ticket: responded and organisation names wait for refresh(), and the
    # harness's tickets have no organisation to resolve.
    read_overhead: int = 1
    apply_calls: int = 1
    clear_calls: int = 2  # one update_many (up to 100 ids) and one read of its job
    on_conflict: str = "error"
    faults: frozenset[str] = frozenset(
        {"429", "503", "502", "reset", "timeout", "401", "403", "404"}
    )
    sleeps: list[float] = field(default_factory=list)
    desk: Any = None

    def __post_init__(self) -> None:
        self.impact_field = self.fake.add_field("Impact", {"ext": "Extensive", "min": "Minor"})
        self.urgency_field = self.fake.add_field("Urgency", {"crit": "Critical", "low": "Low"})
        self.desk = zendesk_desk(
            impact=ValueMapping(str(self.impact_field), {"extensive": "ext", "minor": "min"}),
            urgency=ValueMapping(str(self.urgency_field), {"critical": "crit", "low": "low"}),
        )
        for group in GROUPS.values():
            self.fake.add_group(group)
        self.fake.add_group("Billing")  # a group no team maps to

    def set_page_size(self, size: int) -> None:
        self.page_size = size

    def connector(self) -> Connector:
        return connect(
            self.desk,
            wiring=Wiring(
                sleep=self.sleeps.append, jitter=lambda: 0.5, environ=ENVIRON, clock=lambda: NOW
            ),
            page_size=self.page_size,
        )

    def add_ticket(self, **fields: Any) -> str:
        t = TicketSpec(**fields)
        custom: dict[int, Any] = {}
        if t.impact is not None:
            custom[self.impact_field] = self.desk.impact.values[t.impact]
        if t.urgency is not None:
            custom[self.urgency_field] = self.desk.urgency.values[t.urgency]
        org_id = self.fake.add_organization(t.organization) if t.organization else None
        ticket_id = self.fake.add_ticket(
            t.title,
            created=t.created,
            status=STATUS[t.status],
            priority=PRIORITY[t.priority] if t.priority else None,
            type="incident" if t.in_scope else "question",
            tags=[*t.tags, *(["vip"] if t.vip else [])],
            group_id=self.fake.group_id(GROUPS[t.team]) if t.team else None,
            organization_id=org_id,
            custom_fields=custom,
            description=t.description,
        )
        return str(ticket_id)

    def view(self, key: str) -> DeskView:
        ticket = self.fake.tickets[int(key)]
        group = self.fake.groups.get(ticket["group_id"] or -1, {}).get("name")
        comments = self.fake.comments[int(key)][1:]  # the first is the description
        return DeskView(
            title=ticket["subject"],
            status=NORMALIZED[ticket["status"]],
            team={g: t for t, g in GROUPS.items()}.get(group) if group else None,
            priority={v: k for k, v in PRIORITY.items()}.get(ticket["priority"]),
            escalation=marker.decode(ticket["tags"]),
            notes=tuple(c["body"] for c in comments if not c["public"]),
            replies=tuple(c["body"] for c in comments if c["public"]),
            tags=frozenset(ticket["tags"]),
        )

    def inject(self, fault: str, *, on: str = "read", times: int = 1) -> None:
        self.fake.inject(fault, method=METHODS[on], path=PATHS[on], times=times, retry_after=2)

    @property
    def calls(self) -> int:
        return self.fake.total_calls

    def edit(self, key: str, **changes: Any) -> None:
        renamed = {"subject" if k == "title" else k: v for k, v in changes.items()}
        if "status" in renamed:
            renamed["status"] = STATUS[renamed["status"]]
        self.fake.edit(int(key), **renamed)

    def change_status(self, key: str, status: str, at: datetime) -> None:
        """An agent sets the status at `at`: an audit whose Change event carries the
        status (tests/fakes/zendesk_audits.py), created at `at`."""
        later = self.fake.now
        self.fake.now = at - timedelta(seconds=1)  # the fake's write ticks one second
        self.fake.edit(int(key), status=STATUS[status])
        self.fake.now = max(later, self.fake.now)


@contextmanager
def open_harness(tmp_path: Path) -> Iterator[ZendeskHarness]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield ZendeskHarness(ZendeskFake(mock))
