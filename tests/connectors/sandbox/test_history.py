"""The sandbox's status log: what `tickets export`, `simulate --desk` and the SLA
pausing read (Connector capability TicketHistory)."""

from __future__ import annotations

import sqlite3
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

from escalada.connectors.sandbox.connector import SandboxConnector
from escalada.connectors.sandbox.store import NewTicket
from escalada.connectors.sandbox.store import insert_tickets
from escalada.connectors.sandbox.store import open_db
from escalada.policy.model import Desk
from escalada.ticket import StatusChange

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


def desk(tmp_path: Path) -> Desk:
    return Desk(name="sandbox", type="sandbox", options={"path": str(tmp_path / "s.sqlite")})


def seed(tmp_path: Path) -> list[str]:
    db = open_db(tmp_path / "s.sqlite")
    try:
        return insert_tickets(
            db,
            [
                NewTicket(title="open", created=NOW - 5 * H),
                NewTicket(
                    title="waiting",
                    created=NOW - 4 * H,
                    status="pending",
                    history=[(NOW - 4 * H, "open"), (NOW - 3 * H, "pending")],
                ),
                NewTicket(
                    title="solved yesterday",
                    created=NOW - 30 * H,
                    status="resolved",
                    responded=NOW - 29 * H,
                    resolved=NOW - 26 * H,
                ),
                NewTicket(
                    title="solved last month",
                    created=NOW - 40 * 24 * H,
                    status="resolved",
                    resolved=NOW - 39 * 24 * H,
                ),
            ],
        )
    finally:
        db.close()


def test_window_reads_open_and_recently_resolved_tickets_with_their_history(tmp_path):
    keys = seed(tmp_path)
    connector = SandboxConnector(desk(tmp_path))
    try:
        got = {t.key: t for t in connector.window(since=NOW - 2 * 24 * H)}
        assert sorted(got) == sorted(keys[:3])
        assert got[keys[0]].status_history == (StatusChange("open", NOW - 5 * H),)
        assert got[keys[1]].status_history == (
            StatusChange("open", NOW - 4 * H),
            StatusChange("pending", NOW - 3 * H),
        )
        assert got[keys[2]].status_history == (
            StatusChange("open", NOW - 30 * H),
            StatusChange("resolved", NOW - 26 * H),
        )
        # one statement for the page of tickets, one for their status log
        assert connector.calls == 2
        assert sorted(t.key for t in connector.window()) == sorted(keys[:2])
    finally:
        connector.close()


def test_a_status_change_on_the_desk_lands_in_the_log(tmp_path):
    keys = seed(tmp_path)
    db = sqlite3.connect(tmp_path / "s.sqlite")
    db.execute(
        "UPDATE tickets SET status = 'pending', updated = ? WHERE key = ?",
        ((NOW + H).isoformat(), keys[0]),
    )
    db.commit()
    db.close()
    connector = SandboxConnector(desk(tmp_path))
    try:
        (ticket,) = connector.history([next(t for t in connector.candidates() if t.key == keys[0])])
        assert ticket.status_history[-1] == StatusChange("pending", NOW + H)
    finally:
        connector.close()


def test_a_version_1_file_gets_a_log_from_its_rows(tmp_path):
    path = tmp_path / "s.sqlite"
    seed(tmp_path)
    db = sqlite3.connect(path)
    db.executescript("DROP TRIGGER status_logged; DROP TABLE status_log; PRAGMA user_version = 1;")
    db.close()
    connector = SandboxConnector(desk(tmp_path))
    try:
        by_title = {t.title: t for t in connector.window(since=NOW - 2 * 24 * H)}
        assert by_title["solved yesterday"].status_history == (
            StatusChange("open", NOW - 30 * H),
            StatusChange("resolved", NOW - 26 * H),
        )
    finally:
        connector.close()
