"""The sandbox seed: realistic, deterministic tickets, read back through the sandbox
connector (the `escalada sandbox` commands: tests/commands/test_sandbox.py)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

from escalada.connectors.base import ConfigObject
from escalada.connectors.sandbox.connector import SandboxConnector
from escalada.connectors.sandbox.seed import GROUPS
from escalada.connectors.sandbox.seed import MATRIX
from escalada.connectors.sandbox.seed import URGENCY
from escalada.connectors.sandbox.seed import seed
from escalada.policy.model import Desk
from escalada.ticket import Action
from escalada.ticket import EscalationState
from tests.paths import EXAMPLE

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)  # a Monday


def rows(path: Path, sql: str = "SELECT * FROM tickets ORDER BY rowid") -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        found = [tuple(row) for row in db.execute(sql)]
    db.close()
    return found


def connector(path: Path) -> SandboxConnector:
    return SandboxConnector(Desk(name="sandbox", type="sandbox", options={"path": str(path)}))


def test_the_same_seed_and_now_write_the_same_tickets(tmp_path: Path) -> None:
    first, second, other = tmp_path / "a.sqlite", tmp_path / "b.sqlite", tmp_path / "c.sqlite"
    seed(first, seed=7, now=NOW)
    seed(second, seed=7, now=NOW)
    seed(other, seed=8, now=NOW)
    assert rows(first) == rows(second)
    assert rows(first, "SELECT * FROM notes") == rows(second, "SELECT * FROM notes")
    assert rows(first) != rows(other)


def test_tickets_are_realistic(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.sqlite"
    summary = seed(path, tickets=40, now=NOW)
    assert summary.tickets == 40 and summary.vip == 4
    assert (summary.personal_data, summary.requests, summary.requests_without_reason) == (2, 2, 1)
    table = rows(path, "SELECT priority, impact, urgency, created, responded, status FROM tickets")
    for priority, impact, urgency, created, responded, _ in table:
        assert priority == MATRIX[str(impact)][URGENCY.index(str(urgency))]
        opened = datetime.fromisoformat(str(created))
        assert NOW - timedelta(days=8) < opened < NOW
        assert opened.weekday() < 5  # opened on working days
        if responded is not None:
            assert opened < datetime.fromisoformat(str(responded)) <= NOW
    assert {row[0] for row in table} == {"P1", "P2", "P3", "P4"}
    assert {row[5] for row in table} == {"open", "pending", "resolved"}
    assert any(row[4] is not None for row in table if row[5] == "open")  # some answered


def test_the_connector_reads_what_the_demo_paths_react_to(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.sqlite"
    summary = seed(path, now=NOW)
    desk = connector(path)
    tickets = list(desk.candidates())
    desk.close()
    assert len(tickets) == summary.open
    requests = [t for t in tickets if "escalate" in t.tags]
    assert sorted(str(t.latest_comment)[:7] for t in requests) == ["None", "Payroll"]
    assert sum("personal data" in t.text.lower() for t in tickets) >= 1
    assert any("outage" in t.tags for t in tickets)
    assert any(t.requester.vip for t in tickets)
    assert {t.team for t in tickets} <= set(GROUPS)


def test_seeding_again_replaces_tickets_and_keeps_the_config(tmp_path: Path) -> None:
    path = tmp_path / "sandbox.sqlite"
    seed(path, tickets=10, now=NOW)
    desk = connector(path)
    ticket = next(desk.candidates())
    desk.apply(ticket, [Action("mark", "r", state=EscalationState(path="p", level=1))])
    desk.write_config("create", ConfigObject("priority", "P1", {"rank": 0}))
    desk.close()
    seed(path, tickets=5, now=NOW)
    assert rows(path, "SELECT key FROM tickets") == [(f"SB-{i}",) for i in range(1, 6)]
    assert rows(path, "SELECT count(*) FROM notes WHERE author = 'escalada'") == [(0,)]
    assert ("priority", "P1", 1) in rows(path, "SELECT kind, name, managed FROM config")


def test_the_seed_matches_the_example_policy() -> None:
    from escalada.connectors.sandbox.config import work_teams
    from escalada.connectors.sandbox.seed import IMPACT
    from escalada.policy.validate import load_policy

    example = load_policy([str(EXAMPLE)])
    assert example.matrix is not None
    assert (example.matrix.impact, example.matrix.urgency) == (IMPACT, URGENCY)
    assert {
        (impact, urgency): MATRIX[impact][URGENCY.index(urgency)]
        for impact in IMPACT
        for urgency in URGENCY
    } == dict(example.matrix.cells)
    assert set(GROUPS) == set(work_teams(example))
