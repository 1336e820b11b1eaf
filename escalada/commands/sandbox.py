"""`escalada sandbox seed` and `show`: fill the sandbox file with realistic tickets
(`escalada.connectors.sandbox.seed`), and list its tickets with their escalation
state, or its configuration objects, as a plain table (for the demo and for people)."""

from __future__ import annotations

import json
from datetime import datetime
from datetime import timezone
from pathlib import Path

import click

from escalada.connectors.sandbox.options import DEFAULT_PATH
from escalada.connectors.sandbox.store import ESCALADA_AUTHOR
from escalada.connectors.sandbox.store import from_text
from escalada.connectors.sandbox.store import open_db
from escalada.errors import EscaladaError
from escalada.errors import StoreError
from escalada.marker import decode
from escalada.tables import table


def seed(db: str | None, *, tickets: int, seed_value: int, now: datetime | None) -> int:
    """Replace the sandbox's tickets and notes with `tickets` seeded ones."""
    from escalada.connectors.sandbox.seed import seed as seed_sandbox

    try:
        summary = seed_sandbox(
            Path(db or DEFAULT_PATH),
            tickets=tickets,
            seed=seed_value,
            now=now or datetime.now(timezone.utc),
        )
    except StoreError as error:
        raise EscaladaError(str(error), hint="choose another --db path") from None
    click.echo(str(summary))
    return 0


def show(db: str | None, *, include_done: bool, show_config: bool) -> int:
    """Print the tickets (or, with `show_config`, the configuration objects)."""
    path = Path(db or DEFAULT_PATH)
    if not path.exists():
        raise EscaladaError(
            f"no sandbox at {path}", hint="create one with `escalada sandbox seed`, or pass --db"
        )
    bad: list[str] = []
    try:
        click.echo(
            config_table(path)
            if show_config
            else tickets_table(path, include_done=include_done, bad=bad)
        )
    except StoreError as error:
        raise EscaladaError(str(error), hint="pass --db with a sandbox file") from None
    for line in bad:
        click.echo(f"error: {line}", err=True)
    if bad:
        raise EscaladaError(
            f"{len(bad)} row(s) of {path} cannot be read",
            hint="fix them, or re-create the file with `escalada sandbox seed`",
        )
    return 0


def tickets_table(path: Path, *, include_done: bool = False, bad: list[str] | None = None) -> str:
    """The tickets as a table; a row that does not read is left out and said in `bad`."""
    db = open_db(path)
    try:
        rows = db.execute(
            "SELECT t.key, t.priority, t.status, t.team, t.vip, t.tags, t.created, t.title,"
            " (SELECT count(*) FROM notes n WHERE n.ticket = t.key AND n.author = ?)"
            " AS notes FROM tickets t"
            + ("" if include_done else " WHERE t.status IN ('open', 'pending')")
            + " ORDER BY t.rowid",
            [ESCALADA_AUTHOR],
        ).fetchall()
    finally:
        db.close()
    lines = []
    for row in rows:
        tags, created = _tags(row["tags"]), _created(row["created"])
        if tags is None or created is None:
            column, want = ("tags", "a JSON list") if tags is None else ("created", "a time")
            if bad is not None:
                bad.append(f"{row['key']}: {column} {str(row[column])[:80]!r} is not {want}")
            continue
        state = decode(tags)
        escalation = "-"
        if state.path is not None:
            escalation = f"{state.path} L{state.level}"
            if state.since is not None:
                escalation += f" since {_short(state.since)}"
        if state.asked:
            escalation += " (reason asked)"
        lines.append(
            (
                row["key"],
                row["priority"] or "-",
                row["status"],
                row["team"] or "-",
                "vip" if row["vip"] else "",
                _short(created),
                escalation,
                str(row["notes"]),
                row["title"],
            )
        )
    header = ("KEY", "PRI", "STATUS", "TEAM", "VIP", "OPENED", "ESCALATION", "NOTES", "TITLE")
    return table(header, lines) + f"\n{len(lines)} tickets in {path}"


def config_table(path: Path) -> str:
    db = open_db(path)
    try:
        rows = db.execute("SELECT kind, name, managed, attrs FROM config ORDER BY id").fetchall()
    finally:
        db.close()
    lines = [
        (row["kind"], row["name"], "escalada" if row["managed"] else "desk", row["attrs"])
        for row in rows
    ]
    return table(("KIND", "NAME", "OWNER", "ATTRS"), lines) + f"\n{len(lines)} objects in {path}"


def _short(moment: datetime | None) -> str:
    return "-" if moment is None else f"{moment:%Y-%m-%d %H:%M}"


def _tags(text: str) -> list[str] | None:
    try:
        tags = json.loads(text)
    except (TypeError, ValueError):
        return None
    ok = isinstance(tags, list) and all(isinstance(t, str) for t in tags)
    return tags if ok else None


def _created(text: str) -> datetime | None:
    try:
        return from_text(text)
    except (TypeError, ValueError):
        return None
