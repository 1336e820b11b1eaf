"""Jira Cloud under the connector contract: the real `jira` client against JiraFake.

Teams live in a group picker custom field, VIP in a checkbox, the organization
in JSM's Organizations field, impact and urgency in select fields; internal
notes and replies go through the JSM service desk API. A candidate read costs
serverInfo and the field list (the library's field cache) besides its pages; an
assign + comment + mark re-reads the labels (batched, 100 candidates a call), then
makes one PUT and one JSM comment POST (an internal note cannot ride in the edit)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import responses

from escalada.connectors import connect
from escalada.connectors.base import Connector
from escalada.connectors.base import Wiring
from escalada.marker import decode
from escalada.policy.model import SecretRef
from escalada.policy.model import ValueMapping
from tests.connectors.contract import FAULTS
from tests.connectors.contract import RETRY_AFTER
from tests.connectors.contract import DeskView
from tests.connectors.contract import TicketSpec
from tests.connectors.contract import contract_desk
from tests.fakes.jira import BASE
from tests.fakes.jira import EMAIL
from tests.fakes.jira import TOKEN
from tests.fakes.jira import JiraFake
from tests.fakes.jira_jql import FIELDS_PAGE_CAP

PRIORITIES = {"P1": "Highest", "P2": "High", "P3": "Medium", "P4": "Low"}
TEAMS = {"service-desk": "sd-agents", "network-l2": "network-l2", "it-management": "it-mgmt"}
TEAM_FIELD = "customfield_10050"
VIP_FIELD = "customfield_10060"
ORG_FIELD = "customfield_10002"
IMPACT_FIELD = "customfield_10004"
URGENCY_FIELD = "customfield_10005"
RESPONDED_FIELD = "customfield_10030"
IMPACT = {"extensive": "Extensive", "significant": "Significant", "moderate": "Moderate"}
URGENCY = {"critical": "Critical", "high": "High", "medium": "Medium", "low": "Low"}
SCOPE = "project = SD AND issuetype = Incident"
ENVIRON = {"JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": TOKEN}
STATUS_NAMES = {
    "open": "Open",
    "pending": "Waiting for customer",
    "resolved": "Resolved",
    "closed": "Closed",
}
READ_PATH = r"/search/jql$"
WRITE_PATH = r"/rest/api/2/issue/[A-Z][A-Z0-9]*-\d+(/comment)?$|/servicedeskapi/request/.+/comment$"


def jira_desk(**options: Any) -> Any:
    return contract_desk(
        "jira-contract",
        "jira",
        priorities=PRIORITIES,
        teams=TEAMS,
        url=BASE,
        auth={"email": SecretRef("env", "JIRA_EMAIL"), "token": SecretRef("env", "JIRA_API_TOKEN")},
        scope=SCOPE,
        impact=ValueMapping(IMPACT_FIELD, IMPACT),
        urgency=ValueMapping(URGENCY_FIELD, URGENCY),
        fields={"vip": VIP_FIELD, "organization": ORG_FIELD, "responded": RESPONDED_FIELD},
        options={"team_mode": "field", "team_field": TEAM_FIELD, "project": "SD", **options},
    )


def seed(fake: JiraFake) -> None:
    """The custom fields and groups the contract desk maps."""
    fake.add_group_picker(TEAM_FIELD, "Assigned group")
    fake.add_field(VIP_FIELD, "VIP", {"type": "array", "items": "option", "custom": "checkboxes"})
    fake.add_field(
        ORG_FIELD, "Organizations", {"type": "array", "items": "sd-customerorganization"}
    )
    fake.add_field(IMPACT_FIELD, "Impact", {"type": "option", "custom": "select"})
    fake.add_field(URGENCY_FIELD, "Urgency", {"type": "option", "custom": "select"})
    fake.add_field(RESPONDED_FIELD, "Time to first response", {"type": "sd-servicelevelagreement"})
    for group in TEAMS.values():
        fake.add_group(group)


class JiraHarness:
    name = "jira"
    read_overhead = 2  # serverInfo (client start) + the field list (the library's field cache)
    # the labels re-read (one per 100 candidates: this is the first), PUT issue (team +
    # labels), POST the JSM internal note (it cannot ride in the edit)
    apply_calls = 3
    on_conflict = "overwrite"  # a title edit is no conflict: only escalada's labels are compared
    faults: frozenset[str] = frozenset(FAULTS)

    def __init__(self, mock: responses.RequestsMock) -> None:
        self.fake = JiraFake(mock)
        seed(self.fake)
        self.desk = jira_desk()
        self.page_size = FIELDS_PAGE_CAP
        self.sleeps: list[float] = []

    def set_page_size(self, size: int) -> None:
        """The server's clamp for pages with fields; the connector always asks the ceiling."""
        self.fake.fields_page_cap = size
        self.page_size = size

    def connector(self) -> Connector:
        return connect(
            self.desk, wiring=Wiring(sleep=self.sleeps.append, jitter=lambda: 0.5, environ=ENVIRON)
        )

    @property
    def calls(self) -> int:
        return self.fake.total_calls

    def add_ticket(self, **fields: Any) -> str:
        t = TicketSpec(**fields)
        custom: dict[str, Any] = {
            TEAM_FIELD: None,
            VIP_FIELD: [{"value": "VIP", "id": "10100"}] if t.vip else None,
            ORG_FIELD: [{"id": "3", "name": t.organization}] if t.organization else [],
            IMPACT_FIELD: {"value": IMPACT[t.impact], "id": "10200"} if t.impact else None,
            URGENCY_FIELD: {"value": URGENCY[t.urgency], "id": "10300"} if t.urgency else None,
            RESPONDED_FIELD: {"id": "2", "name": "Time to first response", "completedCycles": []},
        }
        if t.team is not None:
            group = TEAMS[t.team]
            custom[TEAM_FIELD] = {"name": group, "groupId": self.fake.groups[group]}
        return self.fake.add_issue(
            summary=t.title,
            created=t.created,
            project="SD" if t.in_scope else "OPS",
            status=STATUS_NAMES[t.status],
            priority=None if t.priority is None else PRIORITIES[t.priority],
            labels=t.tags,
            description=t.description or None,
            custom=custom,
        )

    def view(self, key: str) -> DeskView:
        issue = self.fake.issues[key]
        fields = issue.fields
        group = (fields.get(TEAM_FIELD) or {}).get("name")
        priority = (fields.get("priority") or {}).get("name")
        labels = frozenset(fields.get("labels") or ())
        return DeskView(
            title=fields["summary"],
            status={v: k for k, v in STATUS_NAMES.items()}[fields["status"]["name"]],
            team={v: k for k, v in TEAMS.items()}.get(group or ""),
            priority={v: k for k, v in PRIORITIES.items()}.get(priority or ""),
            escalation=decode(labels),
            notes=tuple(c["body"] for c in issue.comments if not c["_public"]),
            replies=tuple(c["body"] for c in issue.comments if c["_public"]),
            tags=labels,
        )

    def inject(self, fault: str, *, on: str = "read", times: int = 1) -> None:
        path = READ_PATH if on == "read" else WRITE_PATH
        self.fake.inject(fault, path=path, times=times, retry_after=RETRY_AFTER)

    def edit(self, key: str, **changes: Any) -> None:
        self.fake.edit_issue(key, **changes)

    def change_status(self, key: str, status: str, at: datetime) -> None:
        """A workflow transition at `at`: a changelog entry of the status field, and
        resolutiondate set by a done status, cleared by leaving it (tests/fakes/jira.py)."""
        self.fake.transition(key, STATUS_NAMES[status], at)


@contextmanager
def open_harness(tmp_path: Path) -> Iterator[JiraHarness]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield JiraHarness(mock)
