"""Journal reads (sys_journal_field) for a page of candidates, one query per page:
the newest escalation marker in work notes (when the Desk has no marker
field), and the newest customer-visible comment not written by escalada (for
`reason_from: latest_comment` triggers).

A page's sys_id list makes the URL long; pysnc then sends the query through
the Batch API, still one call. The Batch API cancels an item past 30 s or
10 MB and returns it unserviced (batch-api.md, "Size and processing limits"),
so an item is kept small: at most JOURNAL_IDS sys_ids and JOURNAL_ROWS rows
(1,000 journal values of up to 4,000 characters, twice with display values,
stay under 10 MB). An item that still comes back unserviced has its sys_ids
split in two and read again, down to one. A refused or failed
batched query is an error (connector.py's `call`), never an empty answer."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence

from escalada.connectors.servicenow.client import BatchUnserviced
from escalada.connectors.servicenow.client import Connection
from escalada.connectors.servicenow.options import query_safe
from escalada.connectors.servicenow.tickets import latest_markers
from escalada.marker import NOTE_PREFIX
from escalada.ticket import EscalationState

FIELDS = ("element_id", "sys_created_on", "value")
JOURNAL_IDS = 1000
JOURNAL_ROWS = 1000


def _pages(sn: Connection, ids: Sequence[str]) -> list[list[str]]:
    size = min(sn.options.page_size, JOURNAL_IDS)
    return [list(ids[start : start + size]) for start in range(0, len(ids), size)]


def _rows(
    sn: Connection, ids: list[str], query: Callable[[str], str], operation: str
) -> list[dict[str, tuple[str, str]]]:
    """The journal rows for `ids`, halving the sys_id list while the Batch API leaves it
    unserviced."""
    try:
        listed = query(",".join(ids))
        return sn.rows("sys_journal_field", listed, FIELDS, operation, page=JOURNAL_ROWS)
    except BatchUnserviced:
        if len(ids) < 2:
            raise
    half = len(ids) // 2
    return [*_rows(sn, ids[:half], query, operation), *_rows(sn, ids[half:], query, operation)]


def note_markers(sn: Connection, ids: Sequence[str]) -> dict[str, EscalationState]:
    """The newest work-note marker of each ticket (by sys_id)."""
    found = []

    def query(listed: str) -> str:
        return (
            f"element=work_notes^element_idIN{listed}"
            f"^valueSTARTSWITH{NOTE_PREFIX}^ORDERBYDESCsys_created_on"
        )

    for page in _pages(sn, ids):
        for row in _rows(sn, page, query, "read work-note markers"):
            found.append((row["element_id"][0], row["sys_created_on"][0], row["value"][0]))
    return latest_markers(found)


def latest_comments(sn: Connection, ids: Sequence[str]) -> dict[str, str]:
    """The newest `comments` entry of each ticket that escalada's account did not write."""
    user = sn.user or sn.options.user
    mine = f"^sys_created_by!={query_safe(user, 'user')}" if user else ""
    newest: dict[str, tuple[str, str]] = {}

    def query(listed: str) -> str:
        return f"element=comments^element_idIN{listed}{mine}^ORDERBYDESCsys_created_on"

    for page in _pages(sn, ids):
        for row in _rows(sn, page, query, "read the latest comments"):
            key, stamp = row["element_id"][0], row["sys_created_on"][0]
            if key not in newest or stamp > newest[key][0]:
                newest[key] = (stamp, row["value"][0])
    return {key: text for key, (_, text) in newest.items()}
