"""The sandbox desk's SQLite file: schema, opening, and writing new tickets.

Shared by the sandbox connector, `escalada sandbox seed`/`show` and the tests.
Values in the file are the sandbox desk's own (desk priority and group names,
as a Desk document maps them); statuses are the normalized ones. Times are
stored as UTC ISO-8601 text (`2026-11-23T10:00:00+00:00`), which sorts in time
order and reads back with `datetime.fromisoformat` on Python 3.10.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timezone
from pathlib import Path
from typing import Any

from escalada.errors import StoreError

KEY_PREFIX = "SB-"
ESCALADA_AUTHOR = "escalada"  # notes escalada writes; never read back as a requester's comment
SCHEMA_VERSION = 2

SCHEMA = """
CREATE TABLE tickets (
    key TEXT PRIMARY KEY,
    title TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    status TEXT NOT NULL DEFAULT 'open'
        CHECK (status IN ('open', 'pending', 'resolved', 'closed')),
    priority TEXT,
    impact TEXT,
    urgency TEXT,
    created TEXT NOT NULL,
    updated TEXT,
    responded TEXT,
    resolved TEXT,
    team TEXT,
    assignee TEXT,
    requester_org TEXT,
    vip INTEGER NOT NULL DEFAULT 0,
    tags TEXT NOT NULL DEFAULT '[]',
    fields TEXT NOT NULL DEFAULT '{}',
    revision INTEGER NOT NULL DEFAULT 1
);
CREATE INDEX tickets_open ON tickets (status);
CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    ticket TEXT NOT NULL REFERENCES tickets (key),
    at TEXT NOT NULL,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    internal INTEGER NOT NULL
);
CREATE INDEX notes_ticket ON notes (ticket, id);
CREATE TABLE status_log (
    id INTEGER PRIMARY KEY,
    ticket TEXT NOT NULL REFERENCES tickets (key),
    at TEXT NOT NULL,
    status TEXT NOT NULL
);
CREATE INDEX status_log_ticket ON status_log (ticket, id);
CREATE TRIGGER status_logged AFTER UPDATE OF status ON tickets
WHEN new.status != old.status
BEGIN
    INSERT INTO status_log (ticket, at, status)
    VALUES (new.key, coalesce(new.updated, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')), new.status);
END;
CREATE TABLE config (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL,
    name TEXT NOT NULL,
    attrs TEXT NOT NULL DEFAULT '{}',
    managed INTEGER NOT NULL DEFAULT 0,
    UNIQUE (kind, name)
);
"""


def to_text(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no timezone")
    return moment.astimezone(timezone.utc).isoformat(timespec="seconds")


def from_text(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def open_db(path: Path) -> sqlite3.Connection:
    """Open (creating on demand) a sandbox database; autocommit, explicit transactions."""
    if path.exists() and not path.is_file():  # /dev/null, a directory, a FIFO
        raise StoreError(f"{path} is not a regular file")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # One connector uses its connection from one thread at a time, though not
        # always the thread that opened it (a runner's worker pool).
        conn = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
    except (OSError, sqlite3.Error) as error:
        raise StoreError(f"cannot open {path}: {error}") from None
    conn.row_factory = sqlite3.Row
    try:
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        if version == 0:
            tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
            if tables:
                raise StoreError(f"{path} is an SQLite file but not an escalada sandbox")
            conn.execute("PRAGMA journal_mode = WAL")  # runners read while another writes
            conn.executescript(f"BEGIN; {SCHEMA} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;")
        elif version == 1:
            _upgrade_from_1(conn)
        elif version != SCHEMA_VERSION:
            raise StoreError(
                f"{path} is a sandbox of schema version {version}; this escalada reads "
                f"version {SCHEMA_VERSION}"
            )
    except sqlite3.Error as error:
        conn.close()
        raise StoreError(f"{path} is not a sandbox database: {error}") from None
    except StoreError:
        conn.close()
        raise
    return conn


# Version 2 adds the status log (the desk's history of status changes, as a real
# desk's audit keeps it). A version-1 file gets the table, the trigger, and a log
# read from what each ticket row knows: opened at `created`, its current status
# since it was resolved (or last updated).
_STATUS_LOG = SCHEMA[SCHEMA.index("CREATE TABLE status_log") : SCHEMA.index("CREATE TABLE config")]
_BACKFILL = """
INSERT INTO status_log (ticket, at, status) SELECT key, created, 'open' FROM tickets;
INSERT INTO status_log (ticket, at, status)
    SELECT key, coalesce(resolved, updated, created), status FROM tickets WHERE status != 'open';
"""


def _upgrade_from_1(conn: sqlite3.Connection) -> None:
    conn.executescript(
        f"BEGIN; {_STATUS_LOG} {_BACKFILL} PRAGMA user_version = {SCHEMA_VERSION}; COMMIT;"
    )


def initial_history(ticket: NewTicket) -> list[tuple[datetime, str]]:
    """The status changes a new ticket is written with: its own `history`, or opened at
    `created` and, when it is not open, its status since it was resolved (a resolved
    ticket) or first answered (a pending one)."""
    if ticket.history:
        return list(ticket.history)
    spans = [(ticket.created, "open")]
    if ticket.status != "open":
        since = ticket.resolved if ticket.status in ("resolved", "closed") else ticket.responded
        spans.append((max(since or ticket.created, ticket.created), ticket.status))
    return spans


@dataclass(frozen=True, slots=True)
class NewTicket:
    """A ticket as the desk holds it (desk-native priority and group names)."""

    title: str
    created: datetime
    description: str = ""
    status: str = "open"
    priority: str | None = None
    impact: str | None = None
    urgency: str | None = None
    responded: datetime | None = None
    resolved: datetime | None = None
    team: str | None = None
    assignee: str | None = None
    organization: str | None = None
    vip: bool = False
    tags: Sequence[str] = ()
    fields: Mapping[str, Any] = field(default_factory=dict)
    comments: Sequence[tuple[datetime, str]] = ()  # the requester's public comments
    history: Sequence[tuple[datetime, str]] = ()  # (since, status), oldest first; default:
    # see initial_history


def insert_tickets(conn: sqlite3.Connection, tickets: Iterable[NewTicket]) -> list[str]:
    """Add tickets with the next free keys (SB-1, SB-2, ...) in one transaction
    (the caller's, when one is open)."""
    keys: list[str] = []
    own = not conn.in_transaction
    if own:
        conn.execute("BEGIN IMMEDIATE")
    try:
        number = conn.execute("SELECT coalesce(max(rowid), 0) FROM tickets").fetchone()[0]
        for ticket in tickets:
            number += 1
            key = f"{KEY_PREFIX}{number}"
            conn.execute(
                "INSERT INTO tickets (rowid, key, title, description, status, priority, impact,"
                " urgency, created, updated, responded, resolved, team, assignee, requester_org,"
                " vip, tags, fields) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    number,
                    key,
                    ticket.title,
                    ticket.description,
                    ticket.status,
                    ticket.priority,
                    ticket.impact,
                    ticket.urgency,
                    to_text(ticket.created),
                    to_text(max([ticket.created, *(at for at, _ in ticket.comments)])),
                    to_text(ticket.responded),
                    to_text(ticket.resolved),
                    ticket.team,
                    ticket.assignee,
                    ticket.organization,
                    int(ticket.vip),
                    json.dumps(sorted(set(ticket.tags))),
                    json.dumps(dict(ticket.fields), sort_keys=True),
                ),
            )
            conn.executemany(
                "INSERT INTO notes (ticket, at, author, body, internal) VALUES (?, ?, ?, ?, 0)",
                [(key, to_text(at), "requester", body) for at, body in ticket.comments],
            )
            conn.executemany(
                "INSERT INTO status_log (ticket, at, status) VALUES (?, ?, ?)",
                [(key, to_text(at), status) for at, status in initial_history(ticket)],
            )
            keys.append(key)
        if own:
            conn.execute("COMMIT")
    except BaseException:
        if own:
            conn.execute("ROLLBACK")
        raise
    return keys


def ensure_groups(conn: sqlite3.Connection, names: Iterable[str]) -> None:
    """Groups are the desk's own (escalada verifies them, never creates them)."""
    conn.executemany(
        "INSERT OR IGNORE INTO config (kind, name, attrs, managed) VALUES ('group', ?, '{}', 0)",
        [(name,) for name in names],
    )
