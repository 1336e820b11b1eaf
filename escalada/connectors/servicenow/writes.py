"""ServiceNow: the re-reads before writing, batched, and the `pending` tokens
cleared through the Batch API (PendingClearing).

Re-reads. ServiceNow's Table API has no compare-and-set, so a write is preceded
by a read of the record's `sys_mod_count`: a ticket whose count moved since the
candidate read is not written (ConflictError; the next cycle re-reads it). That
read is one Table API query for the ticket and the next candidates not re-read
yet, `sys_idIN<up to 100 sys_ids>` in the candidates' order (the order the
runner writes them in), with every field an apply may write: the writes of the
next tickets then need no read of their own. Each record is kept as its own
pysnc GlideRecord (`pop_record`), which the PATCH updates with what ServiceNow
answered, so a second write of the same ticket in the cycle (the runner's
clearing of `pending` without clear_pending) needs no read either. The re-reads
are dropped whenever messages have gone out, which the connector sees as the
write clearing a `pending` token (an apply's mark, or clear_pending): another
runner may have run its whole cycle while this one was sending, so the next
write re-reads (two runners on one desk still announce everything once). So
the batching pays where the runner writes several escalations before it sends
their messages; where it clears each ticket's token right after its messages,
each written ticket still costs its own re-read. What this
costs in guarantee: an edit landing between a chunk's read and the write of one
of its tickets (seconds: the time the writes before it in the chunk take) is
not detected, where one read per ticket left milliseconds. The PATCH carries
only escalada's own fields either way, so such an edit is kept; a double
announcement would show as two work notes.

Clearing. `clear_pending` writes each ticket's marker without the `pending`
token (the marker field, or a marker line in the work notes) as one PATCH per
ticket inside one Batch API call (`POST /api/now/v1/batch`, batch-api.md
"Batch - POST /now/batch"; pysnc's `batch_api`) per 100 tickets: one call. A
ticket whose item failed, or that ServiceNow left unserviced (pysnc retries
those twice, then hands None), is left out and keeps its token. No re-read:
only the marker is written, and the ticket was written by this runner moments
before."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from escalada import marker
from escalada.ticket import Ticket

log = logging.getLogger("escalada.servicenow")

REREAD_BATCH = 100  # sys_ids per re-read query (about 3,300 characters of URL)
CLEAR_BATCH = 100  # PATCH items per Batch API call


class Rereads:
    """The candidates' order and the records re-read for writing, by sys_id (None:
    the record was not found, i.e. deleted)."""

    def __init__(self) -> None:
        self.order: list[str] = []
        self.position: dict[str, int] = {}
        self.records: dict[str, Any | None] = {}
        self.lock = threading.Lock()

    def candidates(self, ids: Sequence[str]) -> None:
        with self.lock:
            self.order = list(ids)
            self.position = {sys_id: n for n, sys_id in enumerate(self.order)}
            self.records.clear()

    def chunk(self, sys_id: str) -> list[str]:
        """`sys_id` and the candidates after it not re-read yet, REREAD_BATCH in all."""
        out = [sys_id]
        start = self.position.get(sys_id)
        if start is None:
            return out
        for other in self.order[start + 1 :]:
            if len(out) >= REREAD_BATCH:
                break
            if other not in self.records:
                out.append(other)
        return out

    def drop(self) -> None:
        """Forget every record re-read: messages went out since (see the module docstring)."""
        with self.lock:
            self.records.clear()

    def forget(self, sys_id: str) -> None:
        with self.lock:
            self.records.pop(sys_id, None)


def unchanged(record: Any, fields: Sequence[str]) -> Any:
    """A popped record with no field marked changed. pysnc 1.2.1's pop_record copies
    each field with set_display_value, which marks every field whose display value
    differs from its value (a reference, a choice) as changed, so its PATCH would
    send them all back; the flag has no public setter."""
    for name in fields:
        element = record.get_element(name)
        if element is not None:
            element._changed = False
    return record


def without_token(ticket: Ticket) -> Ticket:
    return replace(
        ticket,
        tags=ticket.tags - {f"{marker.PREFIX}pending"},
        escalation=replace(ticket.escalation, pending=False),
    )


def cleared_marker(ticket: Ticket, marker_field: str | None) -> tuple[str, str]:
    """The field and value writing the ticket's marker without its pending token."""
    state = replace(ticket.escalation, pending=False)
    if marker_field:
        return marker_field, " ".join(marker.encode(state))
    return "work_notes", marker.note_line(state)


def revision_of(response: Any) -> str | None:
    """`sys_id:sys_mod_count` from a PATCH answer (display_value=all pairs)."""
    try:
        result = response.json()["result"]
    except (ValueError, KeyError, TypeError):
        return None

    def value(name: str) -> str:
        item = result.get(name)
        return str(item.get("value") if isinstance(item, dict) else item or "")

    return f"{value('sys_id')}:{value('sys_mod_count')}"


def batched(items: Sequence[Any], size: int) -> list[Sequence[Any]]:
    return [items[start : start + size] for start in range(0, len(items), size)]
