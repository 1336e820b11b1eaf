"""The ServiceNow desk under the connector contract: pysnc against the stateful
fake in tests/fakes/servicenow.py.

The contract desk keeps the marker in a field (`u_escalada`), so a candidate
read costs one call per page plus one group lookup; `ServiceNowHarness(...,
marker_field=None)` keeps it in work notes instead (tests/connectors/
test_servicenow.py uses both)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from datetime import timezone
from pathlib import Path
from typing import Any

import responses

from escalada.connectors import connect
from escalada.connectors.base import Wiring
from escalada.connectors.servicenow.connector import ServiceNowConnector
from escalada.engine.readneeds import read_needs
from escalada.marker import NOTE_PREFIX
from escalada.marker import decode
from escalada.marker import decode_note
from escalada.policy.model import Policy
from escalada.policy.model import SecretRef
from escalada.policy.model import ValueMapping
from tests.connectors.contract import NOW
from tests.connectors.contract import RETRY_AFTER
from tests.connectors.contract import DeskView
from tests.connectors.contract import TicketSpec
from tests.connectors.contract import contract_desk
from tests.fakes.servicenow import PASSWORD
from tests.fakes.servicenow import URL
from tests.fakes.servicenow import USER
from tests.fakes.servicenow import ServiceNowFake
from tests.fakes.servicenow_tables import BASE_PRIORITY_LOOKUP

PRIORITIES = {"P1": "1", "P2": "2", "P3": "3", "P4": "4"}
TEAMS = {
    "service-desk": "Service Desk",
    "network-l2": "Network L2",
    "it-management": "IT Management",
}
LEVELS = {"high": "1", "medium": "2", "low": "3"}
STATES = {"open": "1", "pending": "3", "on-hold": "3", "resolved": "6", "closed": "7"}
STATUS_OF = {
    "1": "open",
    "2": "open",
    "3": "on-hold",
    "6": "resolved",
    "7": "closed",
    "8": "closed",
}
ENV = {"SN_USER": USER, "SN_PASSWORD": PASSWORD}
SCOPE = "category=network"
MARKER_FIELD = "u_escalada"


class ServiceNowHarness:
    name = "servicenow"
    read_overhead = 1  # the assignment-group lookup, once per connector
    apply_calls = 2  # the re-read (this ticket and the next 99 candidates), then one PATCH
    # tickets read again since their write: their re-read, then one Batch API call (a PATCH
    # of the marker per ticket); right after the same connector wrote them, the batch alone
    clear_calls = 2
    on_conflict = "error"
    faults = frozenset({"429", "503", "502", "reset", "timeout", "401", "403", "404"})

    def __init__(
        self,
        mock: responses.RequestsMock,
        *,
        marker_field: str | None = MARKER_FIELD,
        options: dict[str, Any] | None = None,
    ) -> None:
        extra = {marker_field: "str"} if marker_field else {}
        self.fake = ServiceNowFake(mock, incident_fields=extra)
        self.marker_field = marker_field
        self.page_size = 10_000
        self.sleeps: list[float] = []
        self.connectors: list[ServiceNowConnector] = []
        self.desk = contract_desk(
            "servicenow-contract",
            "servicenow",
            url=URL,
            auth={"user": SecretRef("env", "SN_USER"), "password": SecretRef("env", "SN_PASSWORD")},
            scope=SCOPE,
            priorities=PRIORITIES,
            teams=TEAMS,
            impact=ValueMapping("impact", LEVELS),
            urgency=ValueMapping("urgency", LEVELS),
            options={**({"marker_field": marker_field} if marker_field else {}), **(options or {})},
        )
        self.groups = {
            name: self.fake.insert("sys_user_group", name=name, active=True)
            for name in TEAMS.values()
        }
        self.callers: dict[tuple[bool, str | None], str] = {}

    def set_page_size(self, size: int) -> None:
        self.page_size = size
        self.desk = dataclasses.replace(self.desk, options={**self.desk.options, "page_size": size})

    def connector(self, policy: Policy | None = None) -> ServiceNowConnector:
        connector = connect(
            self.desk,
            needs=read_needs(policy),
            wiring=Wiring(
                sleep=self.sleeps.append, jitter=lambda: 0.5, environ=ENV, clock=lambda: NOW
            ),
        )
        assert isinstance(connector, ServiceNowConnector)
        self.connectors.append(connector)
        return connector

    @property
    def calls(self) -> int:
        return self.fake.total_calls

    def caller(self, vip: bool, organization: str | None) -> str:
        key = (vip, organization)
        if key not in self.callers:
            company = self.fake.insert("core_company", name=organization) if organization else ""
            self.callers[key] = self.fake.insert(
                "sys_user",
                user_name=f"caller{len(self.callers)}",
                name=f"Caller {len(self.callers)}",
                vip=vip,
                company=company,
            )
        return self.callers[key]

    def add_ticket(self, **fields: Any) -> str:
        t = TicketSpec(**fields)
        cell = ("", "")
        if t.impact or t.urgency:
            cell = (LEVELS.get(t.impact or "", ""), LEVELS.get(t.urgency or "", ""))
        elif t.priority is not None:
            cell = next((i, u) for i, u, p in BASE_PRIORITY_LOOKUP if p == PRIORITIES[t.priority])
        stamp = t.created.strftime("%Y-%m-%d %H:%M:%S")
        sys_id = self.fake.insert(
            "incident",
            short_description=t.title,
            description=t.description,
            state=STATES[t.status],
            active=t.status != "closed",
            impact=cell[0],
            urgency=cell[1],
            priority=PRIORITIES[t.priority] if t.priority else "",
            assignment_group=self.groups[TEAMS[t.team]] if t.team else "",
            caller_id=self.caller(t.vip, t.organization),
            opened_at=stamp,
            sys_created_on=stamp,
            category="network" if t.in_scope else "software",
            sys_tags=", ".join(t.tags),
        )
        return self.fake.tables["incident"][sys_id]["number"]

    def incident(self, key: str) -> dict[str, str]:
        (row,) = self.fake.find("incident", number=key)
        return row

    def view(self, key: str) -> DeskView:
        row = self.incident(key)
        groups = {sys_id: name for name, sys_id in self.groups.items()}
        tags = {t.strip() for t in row["sys_tags"].split(",") if t.strip()}
        if self.marker_field:
            markers = row[self.marker_field].split()
            escalation = decode(markers)
            tags |= set(markers)
        else:
            lines = [n for n in self.fake.journal(row["sys_id"], "work_notes")]
            marked = [n for n in lines if n.startswith(NOTE_PREFIX)]
            escalation = (decode_note(marked[-1]) if marked else None) or decode(())
        return DeskView(
            title=row["short_description"],
            status=STATUS_OF[row["state"]],
            team={v: k for k, v in TEAMS.items()}.get(groups.get(row["assignment_group"], "")),
            priority={v: k for k, v in PRIORITIES.items()}.get(row["priority"]),
            escalation=escalation,
            notes=tuple(self.fake.journal(row["sys_id"], "work_notes")),
            replies=tuple(self.fake.journal(row["sys_id"], "comments")),
            tags=frozenset(tags),
        )

    def inject(self, fault: str, *, on: str = "read", times: int = 1) -> None:
        method, path = ("GET", r"^/api/now/table/incident$")
        if on == "write":
            method, path = ("PATCH", r"^/api/now/table/incident/")
        self.fake.inject(fault, method=method, path=path, times=times, retry_after=RETRY_AFTER)

    def edit(self, key: str, **changes: Any) -> None:
        columns = {"title": "short_description", "status": "state", "tags": "sys_tags"}
        values = {}
        for name, value in changes.items():
            if name == "tags":
                value = ", ".join(value)
            elif name == "status":
                value = STATES[value]
            values[columns[name]] = value
        self.fake.edit("incident", self.incident(key)["sys_id"], **values)

    def change_status(self, key: str, status: str, at: datetime) -> None:
        """An agent sets the state at `at`: a sys_audit row of `state` (old and new
        value) at that instant, as the base system audits incidents; resolving stamps
        resolved_at. Reopening goes to In Progress (2) and leaves resolved_at as it
        was: the engine goes by the state, so a stale stamp must not stop the clock."""
        later = self.fake.now
        self.fake.now = at
        values = {"state": "2" if status == "open" else STATES[status]}
        if status == "resolved":
            values["resolved_at"] = at.astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")
        self.fake.edit("incident", self.incident(key)["sys_id"], **values)
        self.fake.now = max(later, self.fake.now)


@contextmanager
def open_harness(tmp_path: Path, **options: Any) -> Iterator[ServiceNowHarness]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield ServiceNowHarness(mock, **options)
