"""`escalada sandbox show`: the sandbox's tickets with their escalation state,
or its configuration objects, as a plain table (for the demo and for people)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

from escalada.connectors.sandbox.store import ESCALADA_AUTHOR
from escalada.connectors.sandbox.store import from_text
from escalada.connectors.sandbox.store import open_db
from escalada.marker import decode
from escalada.tables import table


def show_tickets(path: Path, *, include_done: bool = False) -> str:
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
        state = decode(json.loads(row["tags"]))
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
                _short(from_text(row["created"])),
                escalation,
                str(row["notes"]),
                row["title"],
            )
        )
    header = ("KEY", "PRI", "STATUS", "TEAM", "VIP", "OPENED", "ESCALATION", "NOTES", "TITLE")
    return table(header, lines) + f"\n{len(lines)} tickets in {path}"


def show_config(path: Path) -> str:
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
