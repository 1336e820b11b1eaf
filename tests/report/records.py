"""Small audit logs and ticket files written by hand in the shapes escalada writes."""

from __future__ import annotations

import json
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from typing import Any

from escalada.audit import AuditRecord

MONDAY = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)  # 10:00 in Stockholm


def record(at: datetime, ticket: str, action: str, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict(
        time=at,
        desk="zendesk-prod",
        ticket=ticket,
        path="critical-outage",
        level_from=0,
        level_to=0,
        action=action,
        reason="why",
        dry_run=False,
        result="sent" if ":" in action else "ok",
        priority="P1",
        team="service-desk",
        status="open",
    )
    values.update(changes)
    return AuditRecord(**values).as_json()


def escalation(
    at: datetime, ticket: str, level_from: int, level_to: int, **changes: Any
) -> list[dict[str, Any]]:
    """The records one escalation writes: note, state, notification, cleared token."""
    return [
        record(
            at, ticket, action, level_from=level_from, level_to=level_to, escalation=True, **changes
        )
        for action in ("comment", "mark", "notify:sd-leads", "mark")
    ]


def hours(n: float) -> timedelta:
    return timedelta(hours=n)


def write_lines(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(row) + "\n" for row in rows), encoding="utf-8")
    return path


def sample_audit() -> list[dict[str, Any]]:
    """Three tickets: A climbs by time to the top and is resolved; B jumps by a
    trigger; C asks for a reason that never comes. Plus a dry run and a failure."""
    t = MONDAY
    rows = []
    rows += escalation(t, "A", 0, 1, team="network-l2")
    rows.append(record(t + hours(1), "A", "update", level_from=1, level_to=1))
    rows.append(record(t + hours(1), "A", "update:sd-leads", level_from=1, level_to=1))
    rows += escalation(t + hours(2), "A", 1, 2, team="senior-engineers")
    rows.append(
        record(t + hours(3), "A", "update", level_from=2, level_to=2)
    )  # 1h after L2: on time
    rows += escalation(t + hours(3.5), "A", 2, 3, team="duty-managers")
    rows.append(record(t + hours(5), "A", "update", level_from=3, level_to=3))  # 1h30m: late
    rows.append(record(t + hours(6), "A", "clear", level_from=3, level_to=0, status="resolved"))
    rows += escalation(t + hours(1), "B", 0, 2, trigger="vip-customer", priority="P2")
    rows.append(record(t, "C", "ask_reason", priority="P3", path="standard"))
    rows.append(
        record(t, "D", "comment", level_to=1, escalation=True, dry_run=True, result="dry-run")
    )
    rows.append(record(t, "E", "comment", level_to=1, escalation=True, result="failed: 500"))
    return rows


def ticket(key: str, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "desk": "zendesk-prod",
        "key": key,
        "title": f"Ticket {key}",
        "status": "open",
        "priority": "P1",
        "created": "2026-11-23T08:30:00Z",
        "requester": {"organization": "Northwind"},
        "tags": ["vpn"],
    }
    values.update(changes)
    return values
