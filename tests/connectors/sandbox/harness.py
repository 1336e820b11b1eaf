"""The sandbox desk under the connector contract: a SQLite file in tmp_path.

The sandbox has no HTTP, so it injects no faults (those scenarios skip); its
`calls` are the SQL statements its connectors ran."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from escalada.connectors import connect
from escalada.connectors.base import Connector
from escalada.connectors.base import Wiring
from escalada.connectors.sandbox.connector import PAGE_SIZE
from escalada.connectors.sandbox.connector import SandboxConnector
from escalada.connectors.sandbox.store import NewTicket
from escalada.connectors.sandbox.store import insert_tickets
from escalada.connectors.sandbox.store import open_db
from escalada.connectors.sandbox.store import to_text
from escalada.marker import decode
from tests.connectors.contract import NOW
from tests.connectors.contract import DeskView
from tests.connectors.contract import TicketSpec
from tests.connectors.contract import contract_desk

PRIORITIES = {"P1": "Critical", "P2": "High", "P3": "Medium", "P4": "Low"}
TEAMS = {"service-desk": "Service Desk", "network-l2": "Network L2", "it-management": "IT Mgmt"}
OUT_OF_SCOPE_TAG = "spam"


class SandboxHarness:
    name = "sandbox"
    read_overhead = 0
    apply_calls = (
        1  # one transaction (the compare-and-set UPDATE and the INSERT of notes): one call
    )
    clear_calls = 1  # one UPDATE (and the read of what it wrote) in one transaction
    on_conflict = "error"
    faults: frozenset[str] = frozenset()

    def __init__(self, tmp_path: Path) -> None:
        self.path = tmp_path / "sandbox.sqlite"
        self.desk = contract_desk(
            "sandbox-contract",
            "sandbox",
            priorities=PRIORITIES,
            teams=TEAMS,
            scope=f"-tag:{OUT_OF_SCOPE_TAG}",
            options={"path": str(self.path)},
        )
        self.page_size = PAGE_SIZE
        self.sleeps: list[float] = []
        self.db = open_db(self.path)
        self.db.execute("PRAGMA synchronous = OFF")  # test data: no fsync per added ticket
        self.connectors: list[SandboxConnector] = []

    def close(self) -> None:
        for connector in self.connectors:
            connector.close()
        self.db.close()

    def set_page_size(self, size: int) -> None:
        self.page_size = size

    def connector(self) -> Connector:
        connector = connect(
            self.desk,
            wiring=Wiring(clock=lambda: NOW, sleep=self.sleeps.append),
            page_size=self.page_size,
        )
        assert isinstance(connector, SandboxConnector)
        self.connectors.append(connector)
        return connector

    @property
    def calls(self) -> int:
        return sum(connector.calls for connector in self.connectors)

    def add_ticket(self, **fields: Any) -> str:
        t = TicketSpec(**fields)
        ticket = NewTicket(
            title=t.title,
            created=t.created,
            description=t.description,
            status=t.status,
            priority=None if t.priority is None else PRIORITIES[t.priority],
            impact=t.impact,
            urgency=t.urgency,
            team=None if t.team is None else TEAMS[t.team],
            organization=t.organization,
            vip=t.vip,
            tags=[*t.tags, *(() if t.in_scope else (OUT_OF_SCOPE_TAG,))],
        )
        return insert_tickets(self.db, [ticket])[0]

    def view(self, key: str) -> DeskView:
        row = self.db.execute("SELECT * FROM tickets WHERE key = ?", [key]).fetchone()
        notes = self.db.execute(
            "SELECT body, internal FROM notes WHERE ticket = ? ORDER BY id", [key]
        ).fetchall()
        tags = frozenset(json.loads(row["tags"]))
        return DeskView(
            title=row["title"],
            status=row["status"],
            team={v: k for k, v in TEAMS.items()}.get(row["team"]),
            priority={v: k for k, v in PRIORITIES.items()}.get(row["priority"]),
            escalation=decode(tags),
            notes=tuple(n["body"] for n in notes if n["internal"]),
            replies=tuple(n["body"] for n in notes if not n["internal"]),
            tags=tags,
        )

    def inject(self, fault: str, *, on: str = "read", times: int = 1) -> None:
        raise AssertionError(f"the sandbox has no HTTP transport to fail with {fault}")

    def edit(self, key: str, **changes: Any) -> None:
        columns = {"title": "title", "status": "status", "tags": "tags"}
        values = {
            columns[name]: json.dumps(sorted(value)) if name == "tags" else value
            for name, value in changes.items()
        }
        assignments = "".join(f"{column} = ?, " for column in values)
        self.db.execute(
            f"UPDATE tickets SET {assignments}revision = revision + 1 WHERE key = ?",
            [*values.values(), key],
        )

    def change_status(self, key: str, status: str, at: datetime) -> None:
        """Someone sets the status at `at`: the row's status and updated stamp (the
        status log's trigger writes the change at `updated`), and `resolved` when it
        becomes resolved; a reopen leaves the old `resolved` stamp, as a row does."""
        when = to_text(at)
        self.db.execute(
            "UPDATE tickets SET status = ?, updated = ?, resolved = CASE WHEN ? THEN ? "
            "ELSE resolved END, revision = revision + 1 WHERE key = ?",
            [status, when, status in ("resolved", "closed"), when, key],
        )


@contextmanager
def open_harness(tmp_path: Path) -> Iterator[SandboxHarness]:
    harness = SandboxHarness(tmp_path)
    try:
        yield harness
    finally:
        harness.close()
