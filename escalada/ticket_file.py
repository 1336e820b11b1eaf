"""Ticket files: the normalized tickets as JSON Lines, one object per line.

`escalada tickets export` writes them; `simulate --tickets`, `report --tickets`
and `explain` (one line saved as a file) read them. A line is exactly the shape
`escalada.policy.ticket_input.parse_ticket` reads, and `record` is its inverse:
`parse_ticket(record(t)) == t` for every ticket a desk read in full (the
round-trip test in tests/test_ticket_file.py holds it to that). The fields are
documented in docs/tickets.md."""

from __future__ import annotations

import json
from collections.abc import Iterable
from collections.abc import Iterator
from datetime import datetime
from typing import IO
from typing import Any

from escalada.instants import to_iso
from escalada.jsonlines import loads
from escalada.jsonlines import read_lines
from escalada.policy.model import Policy
from escalada.policy.ticket_input import parse_ticket
from escalada.ticket import EscalationState
from escalada.ticket import Ticket


def _moment(value: datetime | None) -> str | None:
    if value is None:
        return None
    if value.microsecond:
        return value.isoformat().replace("+00:00", "Z")
    return to_iso(value)


def escalation_record(state: EscalationState) -> dict[str, Any]:
    return {
        "path": state.path,
        "level": state.level,
        "since": _moment(state.since),
        "updated": _moment(state.updated),
        "asked": state.asked,
        "pending": state.pending,
        "history": list(state.history),
        "policy": state.policy,
    }


def record(ticket: Ticket) -> dict[str, Any]:
    """The ticket as plain JSON data, every field written (null when unknown)."""
    return {
        "desk": ticket.desk,
        "key": ticket.key,
        "url": ticket.url,
        "title": ticket.title,
        "description": ticket.description,
        "status": ticket.status,
        "priority": ticket.priority,
        "impact": ticket.impact,
        "urgency": ticket.urgency,
        "created": _moment(ticket.created),
        "updated": _moment(ticket.updated),
        "responded": _moment(ticket.responded),
        "resolved": _moment(ticket.resolved),
        "team": ticket.team,
        "assignee": ticket.assignee,
        "tags": sorted(ticket.tags),
        "requester": {
            "organization": ticket.requester.organization,
            "vip": ticket.requester.vip,
        },
        "fields": dict(ticket.fields),
        "escalation": escalation_record(ticket.escalation),
        "latest_comment": ticket.latest_comment,
        "revision": ticket.revision,
        "status_history": [
            {"status": change.status, "since": _moment(change.since)}
            for change in ticket.status_history
        ],
    }


# Characters str.splitlines() breaks on that JSON leaves raw: escaped, so any line reader
# sees one ticket per line.
_SEPARATORS = str.maketrans({"\x85": "\\u0085", "\u2028": "\\u2028", "\u2029": "\\u2029"})


def dumps(ticket: Ticket) -> str:
    """One line of a ticket file (no newline)."""
    line = json.dumps(record(ticket), ensure_ascii=False, separators=(",", ":"))
    return line.translate(_SEPARATORS)


def write_tickets(tickets: Iterable[Ticket], out: IO[str]) -> int:
    """Write one line per ticket; returns how many."""
    count = 0
    for ticket in tickets:
        out.write(dumps(ticket) + "\n")
        count += 1
    return count


_HINT = "a ticket file holds one JSON object per line (escalada tickets export)"


def parse_lines(
    lines: Iterable[str], *, source: str, policy: Policy | None = None
) -> Iterator[Ticket]:
    """The tickets of a JSON Lines text; a bad line is one EscaladaError at FILE:LINE."""
    for number, line in enumerate(lines, 1):
        if line.strip():
            yield _ticket(line, f"{source}:{number}", policy)


def _ticket(line: str, where: str, policy: Policy | None) -> Ticket:
    data = loads(line, where, hint=_HINT)
    return parse_ticket(data, policy=policy, source=where, marks={"": f"{where}:1"})


def read_tickets(path: str, *, policy: Policy | None = None) -> list[Ticket]:
    """Every ticket of a JSON Lines file (`-` for stdin); only a regular file is read."""
    missing = "write one with `escalada tickets export --desk NAME --output FILE`"
    lines = read_lines(path, "ticket file", missing=missing)
    return [_ticket(line, where, policy) for where, line in lines]
