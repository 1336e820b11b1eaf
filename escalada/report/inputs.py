"""Stream the report's inputs one line at a time: audit records (JSON Lines from
`escalada run --audit`) and normalized tickets (JSON Lines from `escalada tickets
export`, read through `ticket_input.parse_ticket` like every ticket file).

A line that is not what it should be is one EscaladaError naming file:line:col
and the fix; nothing is held in memory but the current line."""

from __future__ import annotations

import re
from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from escalada.errors import EscaladaError
from escalada.instants import from_iso
from escalada.jsonlines import loads
from escalada.jsonlines import read_lines
from escalada.policy.model import Policy
from escalada.ticket import Ticket

# results of actions that did not happen (the runner retries or reports them)
_NOT_DONE = ("failed", "conflict", "not sent")
# logs written before the audit carried `trigger`: the default reason texts name it
_TRIGGER_TEXT = re.compile(r"\bby trigger ([\w.-]+)|^trigger ([\w.-]+):|\(trigger ([\w.-]+)\)")


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One audit record, as the report reads it."""

    time: datetime
    desk: str
    ticket: str
    path: str | None
    level_from: int
    level_to: int
    action: str  # the base action: comment, assign, notify, update, mark, ask_reason, clear...
    channel: str | None  # notify:CHANNEL and update:CHANNEL records
    done: bool  # the action took effect (not failed, refused or unsent)
    priority: str | None
    team: str | None
    status: str | None
    escalation: bool  # part of an escalation to a new level or path
    trigger: str | None


def read_audit(
    paths: Iterable[str | Path], *, include_dry_run: bool = False
) -> Iterator[AuditEntry]:
    for path in paths:
        for where, line in read_lines(path, "audit log"):
            data = _json_line(line, where)
            entry = _entry(data, where)
            if entry is None or (data.get("dry_run") and not include_dry_run):
                continue
            yield entry


def read_tickets(path: str | Path, *, policy: Policy | None = None) -> Iterator[Ticket]:
    from escalada.policy.ticket_input import parse_ticket

    for where, line in read_lines(path, "ticket file"):
        yield parse_ticket(_json_line(line, where), policy=policy, source=where)


def _json_line(line: str, where: str) -> dict[str, Any]:
    data = loads(line, where, hint="each line must be one JSON object (JSON Lines)")
    if not isinstance(data, dict):
        raise EscaladaError(
            "each line must be a JSON object", where=f"{where}:1", hint="one record per line"
        )
    return data


def _entry(data: dict[str, Any], where: str) -> AuditEntry | None:
    def fail(field: str, problem: str) -> EscaladaError:
        return EscaladaError(
            f"audit field {field!r}: {problem}",
            where=f"{where}:1",
            hint="is this a file written by `escalada run --audit`?",
        )

    for field in ("time", "desk", "ticket", "action"):
        if not isinstance(data.get(field), str):
            raise fail(field, "is missing or not a string")
    try:
        time = from_iso(data["time"])
    except ValueError:
        raise fail("time", f"{data['time']!r} is not an ISO-8601 time") from None
    if time.tzinfo is None:
        raise fail("time", f"{data['time']!r} has no UTC offset")
    levels = []
    for field in ("level_from", "level_to"):
        value = data.get(field, 0)
        if isinstance(value, bool) or not isinstance(value, int):
            raise fail(field, f"must be a whole number, not {value!r}")
        levels.append(value)
    action, _, channel = data["action"].partition(":")
    result = str(data.get("result", "ok"))
    reason = str(data.get("reason", ""))
    escalation = data.get("escalation")
    if not isinstance(escalation, bool):  # older logs: a level climbed is an escalation
        escalation = levels[1] > levels[0] and action in ("assign", "comment", "notify", "mark")
    trigger = data.get("trigger")
    if escalation and trigger is None and "escalation" not in data:
        found = _TRIGGER_TEXT.search(reason)
        trigger = next((g for g in found.groups() if g), None) if found else None
    return AuditEntry(
        time=time,
        desk=data["desk"],
        ticket=data["ticket"],
        path=_text(data.get("path")),
        level_from=levels[0],
        level_to=levels[1],
        action=action,
        channel=channel or None,
        done=not result.startswith(_NOT_DONE),
        priority=_text(data.get("priority")),
        team=_text(data.get("team")),
        status=_text(data.get("status")),
        escalation=escalation,
        trigger=_text(trigger),
    )


def _text(value: Any) -> str | None:
    return None if value is None else str(value)
