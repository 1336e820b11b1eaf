"""The sandbox desk: a local SQLite file behind the Connector protocol, so the
demo, the runner and the reconciler work with no credentials and no network.

Desk document:

    kind: Desk
    metadata: {name: sandbox}
    spec:
      type: sandbox
      options: {path: .escalada/sandbox.sqlite}   # the default (relative to the working
                                                  # directory); created by the first write
                                                  # (reads of a missing file see an empty desk)
      scope: "tag:outage -tag:spam"               # optional: escalada.connectors.sandbox.scope
      teams: {network-l2: "Network L2"}           # optional: an unmapped policy name is
                                                  # stored as is (priorities alike)

`calls` counts the round trips a database client would make: each statement
that reads or writes data, and each write transaction as one (opening the file
is not counted). A candidate read is one statement per page of 500; an apply is
one transaction (the compare-and-set UPDATE and the INSERT of its notes), one
call; `clear_pending` is one UPDATE of all the tickets given (in one
transaction with the read of what it left, one call).
"""

from __future__ import annotations

import json
import sqlite3
import zlib
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from typing import Literal
from typing import TypeVar

from escalada.connectors.base import REAL
from escalada.connectors.base import ApplyResult
from escalada.connectors.base import CheckItem
from escalada.connectors.base import ConfigObject
from escalada.connectors.base import Shard
from escalada.connectors.base import Wiring
from escalada.connectors.mapping import ReadBack
from escalada.connectors.records import Rejects
from escalada.connectors.sandbox import check as sandbox_check
from escalada.connectors.sandbox.config import desired_config
from escalada.connectors.sandbox.options import db_path
from escalada.connectors.sandbox.scope import parse_scope
from escalada.connectors.sandbox.store import ESCALADA_AUTHOR
from escalada.connectors.sandbox.store import from_text
from escalada.connectors.sandbox.store import open_db
from escalada.connectors.sandbox.store import to_text
from escalada.engine.readneeds import NO_POLICY
from escalada.engine.readneeds import ReadNeeds
from escalada.errors import ConflictError
from escalada.errors import DeskError
from escalada.errors import RecordError
from escalada.errors import StoreError
from escalada.marker import PREFIX
from escalada.marker import decode
from escalada.marker import retag
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import NOTE_ACTIONS
from escalada.ticket import Action
from escalada.ticket import Requester
from escalada.ticket import Status
from escalada.ticket import StatusChange
from escalada.ticket import Ticket

PAGE_SIZE = 500
PENDING = f"{PREFIX}pending"  # the marker's pending token (escalada.marker)
T = TypeVar("T")
_COLUMNS = (
    "t.rowid AS position, t.key, t.title, t.description, t.status, t.priority, t.impact,"
    " t.urgency, t.created, t.updated, t.responded, t.resolved, t.team, t.assignee,"
    " t.requester_org, t.vip, t.tags, t.fields, t.revision"
)
# The latest public comment someone other than escalada wrote: the reason given
# with an explicit escalation request (`reason_from: latest_comment`).
_LATEST_COMMENT = (
    "(SELECT n.body FROM notes n WHERE n.ticket = t.key AND n.internal = 0"
    f" AND n.author != '{ESCALADA_AUTHOR}' ORDER BY n.id DESC LIMIT 1) AS latest_comment"
)


class SandboxConnector:
    """A Connector on a local SQLite sandbox (see the module docstring)."""

    def __init__(
        self,
        desk: Desk,
        *,
        needs: ReadNeeds = NO_POLICY,
        wiring: Wiring = REAL,
        page_size: int = PAGE_SIZE,
    ) -> None:
        # Of `wiring` only the clock: SQLite has no rate limit to back off from and
        # no secret. Of `needs` nothing: one query reads every field, the latest
        # comment included.
        self.desk = desk
        self.path = db_path(desk)
        self.page_size = page_size
        self._clock = wiring.clock
        self._scope = parse_scope(desk)
        self._calls = 0
        self.rejects = Rejects(desk.name)  # rows that do not read as tickets
        # desk value -> policy name; a value missing from a mapping passes as is
        self._priority_of = ReadBack(desk.priorities)
        self._team_of = ReadBack(desk.teams)
        self._impact_of = ReadBack(desk.impact.values if desk.impact else {})
        self._urgency_of = ReadBack(desk.urgency.values if desk.urgency else {})
        # A file that does not exist yet is an empty sandbox held in memory until the
        # first write: reads (`plan`, `desks check`, a dry run) create no file or folder.
        self._unborn = not self.path.exists()
        self._db = self._connect(Path(":memory:") if self._unborn else self.path)

    def _connect(self, path: Path) -> sqlite3.Connection:
        try:
            db = open_db(path)
        except StoreError as error:
            raise DeskError(
                self.desk.name,
                "open",
                str(error),
                hint="point the Desk's `options: {path: ...}` at a sandbox file or a new "
                "path, or create one with `escalada sandbox seed --db PATH`",
            ) from None
        db.create_function(
            "escalada_crc32", 1, lambda key: zlib.crc32(key.encode("utf-8")), deterministic=True
        )
        return db

    def _writable(self) -> None:
        """Before a write: the file itself, created (with its folder) if it is new."""
        if self._unborn:
            self._db.close()
            self._db = self._connect(self.path)
            self._unborn = False

    @property
    def calls(self) -> int:
        return self._calls

    def close(self) -> None:
        self._db.close()

    def refresh(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """Candidates are read in full, never partial: nothing to re-read."""
        return list(tickets)

    # --- tickets --------------------------------------------------------------

    def candidates(self, *, shard: Shard | None = None) -> Iterator[Ticket]:
        for page in self._pages("t.status IN ('open', 'pending')", [], shard, "read candidates"):
            yield from page

    def window(self, *, since: datetime | None = None) -> Iterator[Ticket]:
        """The scope's open tickets and, with `since`, those resolved since then, each
        with its status history: per page, one statement for the tickets and one
        for their status log."""
        if since is None:
            where, params = "t.status IN ('open', 'pending')", []
        else:
            where = "(t.status IN ('open', 'pending') OR t.resolved >= ? OR t.updated >= ?)"
            params = [to_text(since), to_text(since)]
        for page in self._pages(where, params, None, "read tickets"):
            yield from self.history(page)

    def history(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """The tickets with `status_history` filled from the status log, one statement
        per 500 tickets."""
        out: list[Ticket] = []
        for start in range(0, len(tickets), self.page_size):
            batch = tickets[start : start + self.page_size]
            marks = ", ".join("?" for _ in batch)
            rows = self._run(
                "read status history",
                f"SELECT ticket, at, status FROM status_log WHERE ticket IN ({marks})"
                " ORDER BY ticket, at, id",
                [t.key for t in batch],
            ).fetchall()
            changes: dict[str, list[StatusChange]] = {}
            for row in rows:
                changes.setdefault(row["ticket"], []).append(
                    StatusChange(row["status"], _required(from_text(row["at"])))
                )
            out += [replace(t, status_history=tuple(changes.get(t.key, ()))) for t in batch]
        return out

    def _pages(
        self, where: str, params: list[Any], shard: Shard | None, operation: str
    ) -> Iterator[list[Ticket]]:
        scope, scope_params = self._scope
        clauses = [where, "t.rowid > ?", *scope]
        if shard is not None:
            clauses.append("escalada_crc32(t.key) % ? = ?")
        sql = (
            f"SELECT {_COLUMNS}, {_LATEST_COMMENT} FROM tickets t"
            f" WHERE {' AND '.join(clauses)} ORDER BY t.rowid LIMIT ?"
        )
        shard_params = [shard.count, shard.index] if shard is not None else []
        after = 0
        while True:
            # One row past the page tells whether another page follows, so a read
            # of N tickets is exactly ceil(N / page) statements.
            values = [*params, after, *scope_params, *shard_params, self.page_size + 1]
            rows = self._run(operation, sql, values).fetchall()
            read = [self.rejects.read(row["key"], partial(self._ticket, row)) for row in rows]
            yield [ticket for ticket in read[: self.page_size] if ticket is not None]
            if len(rows) <= self.page_size:
                return
            after = rows[self.page_size - 1]["position"]

    def _ticket(self, row: sqlite3.Row) -> Ticket:
        """One row as a Ticket; a RecordError names the column that does not read."""
        key = row["key"]
        tags = self._json(key, row, "tags", list)
        fields = self._json(key, row, "fields", dict)
        if not all(isinstance(tag, str) for tag in tags):
            raise self._bad(key, f"tags {row['tags'][:80]!r}: not a JSON list of strings")
        revision = row["revision"]
        if not isinstance(revision, int):
            raise self._bad(key, f"revision {str(revision)[:40]!r}: not a whole number")
        status: Status = row["status"]
        return Ticket(
            desk=self.desk.name,
            key=row["key"],
            title=row["title"],
            description=row["description"],
            status=status,
            priority=self._policy_value(self._priority_of, row["priority"]),
            impact=self._policy_value(self._impact_of, row["impact"]),
            urgency=self._policy_value(self._urgency_of, row["urgency"]),
            created=self._created(key, row),
            updated=self._moment(key, row, "updated"),
            responded=self._moment(key, row, "responded"),
            resolved=self._moment(key, row, "resolved"),
            team=self._policy_value(self._team_of, row["team"]),
            assignee=row["assignee"],
            tags=frozenset(tags),
            requester=Requester(organization=row["requester_org"], vip=bool(row["vip"])),
            fields=fields,
            escalation=decode(tags),
            latest_comment=row["latest_comment"],
            revision=str(revision),
        )

    def _created(self, key: str, row: sqlite3.Row) -> datetime:
        created = self._moment(key, row, "created")
        if created is None:  # NOT NULL in the schema; a file edited by another tool
            raise self._bad(key, "created is empty")
        return created

    def _json(self, key: str, row: sqlite3.Row, column: str, kind: type) -> Any:
        """A JSON column that must hold a `kind` (list or dict)."""
        try:
            value = json.loads(row[column])
        except (TypeError, ValueError):
            value = None
        if not isinstance(value, kind):
            shown = str(row[column])[:80]
            raise self._bad(key, f"{column} {shown!r}: not a JSON {kind.__name__}")
        return value

    def _moment(self, key: str, row: sqlite3.Row, column: str) -> datetime | None:
        text = row[column]
        try:
            moment = from_text(text)
        except (TypeError, ValueError):
            moment = None
        if text is not None and (moment is None or moment.tzinfo is None):
            raise self._bad(key, f"{column} {str(text)[:40]!r}: not an ISO-8601 time with a zone")
        return moment

    def _bad(self, key: str, message: str) -> RecordError:
        return RecordError(self.desk.name, key, message, hint=_ROW_HINT.format(path=self.path))

    @staticmethod
    def _policy_value(read: ReadBack, value: str | None) -> str | None:
        return None if value is None else (read(value) or value)

    def apply(self, ticket: Ticket, actions: Sequence[Action]) -> ApplyResult:
        """One transaction: a compare-and-set UPDATE on the revision read, then the notes.

        Writes: assign (team), set_priority (priority), mark/clear (marker tags),
        comment/update (internal notes), ask_reason (a public reply). notify is
        the runner's notifier's job and is not written here."""
        sets: dict[str, Any] = {}
        notes: list[tuple[str, int]] = []  # (body, internal)
        tags = set(ticket.tags)
        written: list[str] = []
        for action in actions:
            if action.type == "notify":
                continue
            if action.type == "assign":
                sets["team"] = self.desk.teams.get(_need(action.team, action), action.team)
            elif action.type == "set_priority":
                name = _need(action.priority, action)
                sets["priority"] = self.desk.priorities.get(name, name)
            elif action.type in NOTE_ACTIONS:
                notes.append((action.reason, 1))
            elif action.type == "ask_reason":
                notes.append((action.reason, 0))
            elif action.type in ("mark", "clear"):
                add, remove = retag(tags, action.state or NOT_ESCALATED)
                tags = (tags - remove) | add
                sets["tags"] = json.dumps(sorted(tags))
            written.append(action.type)
        if not written:
            return ApplyResult(ticket.key, (), 0)
        before = self._calls
        now = to_text(self._clock())
        assignments = "".join(f"{column} = ?, " for column in sets)
        sql = f"UPDATE tickets SET {assignments}updated = ?, revision = revision + 1 WHERE key = ?"
        params: list[Any] = [*sets.values(), now, ticket.key]
        if ticket.revision is not None:  # a ticket built by hand has none: last write wins
            sql += " AND revision = ?"
            params.append(int(ticket.revision))
        operation = f"update {ticket.key}"
        rows = [(ticket.key, now, ESCALADA_AUTHOR, body, internal) for body, internal in notes]

        def write(db: sqlite3.Connection) -> bool:
            if db.execute(sql, params).rowcount == 0:
                return False
            if rows:
                db.executemany(
                    "INSERT INTO notes (ticket, at, author, body, internal) VALUES (?, ?, ?, ?, ?)",
                    rows,
                )
            return True

        if not self._transaction(operation, write):  # rolled back: nothing written
            raise self._missed(ticket, operation)
        revision = None if ticket.revision is None else str(int(ticket.revision) + 1)
        return ApplyResult(ticket.key, tuple(written), self._calls - before, revision)

    def _missed(self, ticket: Ticket, operation: str) -> DeskError:
        row = self._run(
            operation, "SELECT revision FROM tickets WHERE key = ?", [ticket.key]
        ).fetchone()
        if row is None:
            return DeskError(
                self.desk.name,
                operation,
                "no such ticket",
                status=404,
                hint="it was deleted from the sandbox (re-seeded?); the next cycle re-reads it",
            )
        return ConflictError(
            self.desk.name,
            operation,
            f"the ticket changed since it was read (revision {ticket.revision}, now "
            f"{row['revision']})",
            status=409,
            hint="another runner or a person edited it; the next cycle re-reads it",
        )

    def clear_pending(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        """One UPDATE removing the `pending` token from every ticket given that still
        carries it (the rest of its marker and its other tags kept; a new revision
        each), and the read of what it wrote, in one transaction: one call. No
        compare-and-set: removing one token cannot undo anyone's edit, so a ticket
        edited since the runner wrote it is cleared too."""
        keys = list(dict.fromkeys(t.key for t in tickets))
        if not keys:
            return []
        now = to_text(self._clock())
        cleared: list[Ticket] = []
        for start in range(0, len(keys), self.page_size):  # SQLite's bound-parameter limit
            batch = keys[start : start + self.page_size]
            rows = self._transaction("clear pending", partial(_clear_pending, batch, now))
            cleared += [self._ticket(row) for row in rows]
        return cleared

    # --- checks and configuration ----------------------------------------------

    def check(self, policy: Policy | None = None) -> list[CheckItem]:
        """The file, and every mapped group and priority (with `policy`, every
        team that holds work and every priority the policy uses) exists."""
        counts = self._run(
            "check",
            "SELECT count(*) FILTER (WHERE status IN ('open', 'pending')), count(*) FROM tickets",
            [],
        ).fetchone()
        return sandbox_check.check(
            self.desk,
            self.path,
            tuple(counts),
            self.current_config(),
            policy,
            exists=not self._unborn,
        )

    def desired_config(self, policy: Policy) -> list[ConfigObject]:
        return desired_config(self.desk, policy)

    def current_config(self) -> list[ConfigObject]:
        rows = self._run(
            "read config", "SELECT id, kind, name, attrs, managed FROM config ORDER BY id", []
        ).fetchall()
        return [
            ConfigObject(
                kind=row["kind"],
                name=row["name"],
                attrs=json.loads(row["attrs"]),
                id=str(row["id"]),
                managed=bool(row["managed"]),
                verify_only=row["kind"] == "group",
            )
            for row in rows
        ]

    def write_config(
        self, op: Literal["create", "update", "delete"], obj: ConfigObject
    ) -> ConfigObject:
        operation = f"{op} {obj.key}"
        self._writable()
        if obj.kind == "group" and op == "create" and obj.create_missing:
            # the embedded desk's own group (owner: the desk), as a real desk's admins
            # would add it: never changed or deleted by escalada afterwards
            cursor = self._run(
                operation,
                "INSERT INTO config (kind, name, attrs, managed) VALUES ('group', ?, '{}', 0)",
                [obj.name],
                taken="a group of that name already exists",
            )
            return replace(obj, id=str(cursor.lastrowid), managed=False)
        if obj.verify_only or obj.kind == "group":
            raise DeskError(
                self.desk.name,
                operation,
                "groups are verified, never created or changed by escalada",
                hint="add the group with `escalada sandbox seed`, or map the team to an "
                "existing group",
            )
        attrs = json.dumps(dict(obj.attrs), sort_keys=True)
        if op == "create":
            cursor = self._run(
                operation,
                "INSERT INTO config (kind, name, attrs, managed) VALUES (?, ?, ?, 1)",
                [obj.kind, obj.name, attrs],
                taken="an object of that kind and name already exists",
            )
            return replace(obj, id=str(cursor.lastrowid), managed=True)
        if obj.id is None:
            raise DeskError(self.desk.name, operation, "no id: plan from current_config()")
        if op == "update":  # also how --adopt takes over an object: it becomes escalada's
            sql = "UPDATE config SET attrs = ?, managed = 1 WHERE id = ? AND kind = ? AND name = ?"
            params = [attrs, obj.id, obj.kind, obj.name]
        else:  # deletes stay limited to escalada's own objects, whatever the plan says
            sql = "DELETE FROM config WHERE id = ? AND kind = ? AND name = ? AND managed = 1"
            params = [obj.id, obj.kind, obj.name]
        if self._run(operation, sql, params).rowcount == 0:
            raise DeskError(
                self.desk.name,
                operation,
                "no such object" + (" managed by escalada" if op == "delete" else ""),
                status=404,
                hint="it was removed or renamed on the desk; re-run `escalada plan`",
            )
        return replace(obj, managed=True)

    # --- plumbing ---------------------------------------------------------------

    def _transaction(self, operation: str, work: Callable[[sqlite3.Connection], T]) -> T:
        """`work` in one write transaction, counted as one call (a client sends a
        transaction in one round trip): committed when it returns something true,
        rolled back when it returns something false or raises."""
        self._writable()
        result: list[T] = []

        def run(db: sqlite3.Connection) -> None:
            db.execute("BEGIN IMMEDIATE")  # waits out another writer
            try:
                result.append(work(db))
                db.execute("COMMIT" if result[0] else "ROLLBACK")
            except BaseException:
                db.execute("ROLLBACK")
                raise

        self._run(operation, "", [], work=run)
        return result[0]

    def _run(
        self,
        operation: str,
        sql: str,
        params: Sequence[Any],
        *,
        many: bool = False,
        taken: str | None = None,
        counted: bool = True,
        work: Callable[[sqlite3.Connection], None] | None = None,
    ) -> sqlite3.Cursor:
        self._calls += counted
        if self._unborn and self.path.exists():  # created since (a seed, another runner)
            self._writable()
        try:
            if work is not None:  # a transaction (see _transaction)
                work(self._db)
                return self._db.cursor()
            if many:
                return self._db.executemany(sql, params)
            return self._db.execute(sql, params)
        except sqlite3.IntegrityError as error:
            if taken is None or "UNIQUE" not in str(error):  # not a name collision
                raise DeskError(self.desk.name, operation, str(error)) from None
            raise DeskError(
                self.desk.name,
                operation,
                taken,
                status=409,
                hint="escalada does not own it: `escalada plan` shows it as a conflict",
            ) from None
        except sqlite3.Error as error:
            raise DeskError(
                self.desk.name,
                operation,
                f"{type(error).__name__}: {error}",
                hint=f"the sandbox file {self.path} is damaged or locked; re-create it with "
                "`escalada sandbox seed`",
            ) from None


def _clear_pending(
    keys: Sequence[str], now: str | None, db: sqlite3.Connection
) -> list[sqlite3.Row]:
    """The statements of one clear_pending batch: which of `keys` carry the token, the
    UPDATE removing it from them, and their rows as written."""
    marks = ", ".join("?" for _ in keys)
    carries = "EXISTS (SELECT 1 FROM json_each(t.tags) WHERE value = ?)"
    wanted = db.execute(
        f"SELECT t.key FROM tickets t WHERE t.key IN ({marks}) AND {carries}", [*keys, PENDING]
    ).fetchall()
    if not wanted:
        return []
    db.execute(
        "UPDATE tickets AS t SET tags = (SELECT json_group_array(value) FROM"
        " (SELECT value FROM json_each(t.tags) WHERE value != ? ORDER BY value)),"
        f" updated = ?, revision = revision + 1 WHERE t.key IN ({marks}) AND {carries}",
        [PENDING, now, *keys, PENDING],
    )
    done = [row["key"] for row in wanted]
    return db.execute(
        f"SELECT {_COLUMNS}, {_LATEST_COMMENT} FROM tickets t"
        f" WHERE t.key IN ({', '.join('?' for _ in done)}) ORDER BY t.rowid",
        done,
    ).fetchall()


_ROW_HINT = "fix the row in {path}, or re-create the file with `escalada sandbox seed`"


def _need(value: str | None, action: Action) -> str:
    if value is None:
        raise ValueError(f"a {action.type} action needs a value: {action!r}")
    return value


def _required(moment: datetime | None) -> datetime:
    assert moment is not None  # created is NOT NULL in the schema
    return moment
