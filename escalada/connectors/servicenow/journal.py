"""Journal reads (sys_journal_field) for a page of candidates, one query per page:
the newest escalation marker in work notes (when the Desk has no marker
field), and the newest customer-visible comment not written by escalada (for
`reason_from: latest_comment` triggers).

A page's sys_id list makes the URL long; pysnc then sends the query through
the Batch API, still one call. A refused or failed batched query is an error
(servicenow.py's `call`), never an empty answer."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from escalada.connectors.servicenow.options import query_safe
from escalada.connectors.servicenow.tickets import latest_markers
from escalada.marker import NOTE_PREFIX
from escalada.ticket import EscalationState

if TYPE_CHECKING:
    from escalada.connectors.servicenow.connector import ServiceNowConnector

FIELDS = ("element_id", "sys_created_on", "value")


def _pages(sn: ServiceNowConnector, ids: Sequence[str]) -> list[str]:
    size = sn.options.page_size
    return [",".join(ids[start : start + size]) for start in range(0, len(ids), size)]


def note_markers(sn: ServiceNowConnector, ids: Sequence[str]) -> dict[str, EscalationState]:
    """The newest work-note marker of each ticket (by sys_id)."""
    found = []
    for page in _pages(sn, ids):
        query = (
            f"element=work_notes^element_idIN{page}"
            f"^valueSTARTSWITH{NOTE_PREFIX}^ORDERBYDESCsys_created_on"
        )
        for row in sn.rows("sys_journal_field", query, FIELDS, "read work-note markers"):
            found.append((row["element_id"][0], row["sys_created_on"][0], row["value"][0]))
    return latest_markers(found)


def latest_comments(sn: ServiceNowConnector, ids: Sequence[str]) -> dict[str, str]:
    """The newest `comments` entry of each ticket that escalada's account did not write."""
    user = sn.user or sn.options.user
    mine = f"^sys_created_by!={query_safe(user, 'user')}" if user else ""
    newest: dict[str, tuple[str, str]] = {}
    for page in _pages(sn, ids):
        query = f"element=comments^element_idIN{page}{mine}^ORDERBYDESCsys_created_on"
        for row in sn.rows("sys_journal_field", query, FIELDS, "read the latest comments"):
            key, stamp = row["element_id"][0], row["sys_created_on"][0]
            if key not in newest or stamp > newest[key][0]:
                newest[key] = (stamp, row["value"][0])
    return {key: text for key, (_, text) in newest.items()}
