"""ServiceNow: the tickets' state history, and the export's read of a window.

- State changes come from the audit (`sys_audit`, ServiceNowDocs
  c_UnderstandingTheSysAuditTable.md: one row per change of an audited field,
  with the table name, the field name, the record's sys_id as `documentkey`,
  the old and the new value; inserts are tracked too, with no old value), read
  through the Table API: `tablename=<table>^fieldname=state^documentkeyIN<ids>`,
  100 records a query (their sys_ids keep the URL short), paged as any table.
  Incident is audited in the base system; an instance that turned it off has no
  rows, and each ticket keeps its current state from its creation.
- The window: the candidates' query, and the scope's incidents in a done state
  resolved since the start (`resolved_at>=`, "at or after" in
  r_OpAvailableFiltersQueries.md). The instance reads that time in the account's
  zone, so the query starts a day early and the resolution time is checked here.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Protocol

from escalada.connectors.servicenow.options import Options
from escalada.connectors.servicenow.options import candidate_query
from escalada.connectors.servicenow.tickets import parse_time
from escalada.policy.model import Desk
from escalada.ticket import Status
from escalada.ticket import StatusChange
from escalada.ticket import Ticket

AUDIT_BATCH = 100  # records per sys_audit query
STAMP = "%Y-%m-%d %H:%M:%S"


class HistoryConnection(Protocol):
    """What the history read needs of the connector (which provides it)."""

    desk: Desk
    options: Options

    def rows(
        self,
        table: str,
        query: str,
        fields: Sequence[str],
        operation: str,
        *,
        limit: int | None = None,
        page: int | None = None,
    ) -> list[dict[str, tuple[str, str]]]: ...


def done_query(desk: Desk, options: Options, since: datetime) -> str | None:
    """The scope's incidents in a done state resolved since `since` (a day early)."""
    if not options.done_states:
        return None
    base = candidate_query(desk, options)
    scope = base.split("active=true", 1)[0].rstrip("^")
    start = (since - timedelta(days=1)).astimezone(timezone.utc).strftime(STAMP)
    terms = [scope] if scope else []
    terms += [f"stateIN{','.join(options.done_states)}", f"resolved_at>={start}"]
    return "^".join(terms)


def read_history(connection: HistoryConnection, tickets: Sequence[Ticket]) -> list[Ticket]:
    """The tickets with `status_history` from sys_audit, 100 records a query."""
    ids = {_sys_id(t): t for t in tickets}
    changes: dict[str, list[tuple[datetime, str, str]]] = {}
    keys = [key for key in ids if key]
    table = connection.options.table
    for start in range(0, len(keys), AUDIT_BATCH):
        batch = keys[start : start + AUDIT_BATCH]
        rows = connection.rows(
            "sys_audit",
            f"tablename={table}^fieldname=state^documentkeyIN{','.join(batch)}",
            ["documentkey", "oldvalue", "newvalue", "sys_created_on"],
            "read state history from sys_audit",
        )
        for row in rows:
            when = parse_time(row["sys_created_on"][0])
            if when is not None:
                entry = (when, row["oldvalue"][0], row["newvalue"][0])
                changes.setdefault(row["documentkey"][0], []).append(entry)
    states = connection.options.states
    return [_with_history(t, sorted(changes.get(_sys_id(t), [])), states) for t in tickets]


def _sys_id(ticket: Ticket) -> str:
    return (ticket.revision or "").split(":", 1)[0]


def _with_history(
    ticket: Ticket, moves: list[tuple[datetime, str, str]], states: Mapping[str, Status]
) -> Ticket:
    def kind(value: str) -> Status:
        return states.get(value, "open")

    first: Status = ticket.status
    if moves:
        first = kind(moves[0][1]) if moves[0][1] else kind(moves[0][2])
    spans = [StatusChange(first, ticket.created)]
    for when, _, new in moves:
        status = kind(new)
        if status != spans[-1].status:
            spans.append(StatusChange(status, max(when, spans[-1].since)))
    return replace(ticket, status_history=tuple(spans))


def in_window(ticket: Ticket, since: datetime | None) -> bool:
    if since is None or not ticket.done:
        return True
    return ticket.resolved is not None and ticket.resolved >= since
