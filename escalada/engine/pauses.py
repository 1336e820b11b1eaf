"""When a ticket's SLA clock stood still: the spans of its status history in a
pausing status (the policy's, per priority) or resolved/closed (a reopened
ticket resumes where it stopped).

The history (`Ticket.status_history`, oldest first) covers what the desk
reported; before its first change the clock ran. Empty, only the current
status is known: a ticket in a pausing status now is frozen (no time rule
falls due while it stays there), and no paused time before now is counted.
A current status the history's last change does not show changed after it,
at the latest when the ticket was last updated (`Ticket.updated`)."""

from __future__ import annotations

from datetime import datetime

from escalada.engine.levels import Spans
from escalada.engine.levels import utc
from escalada.ticket import DONE_STATUSES
from escalada.ticket import Ticket


def pauses(ticket: Ticket, pausing: frozenset[str], now: datetime) -> tuple[Spans, bool]:
    """(the spans in [created, now] the clock stood still, whether it stands still at now)."""
    history = ticket.status_history
    if not history:
        return (), ticket.status in pausing or ticket.status in DONE_STATUSES
    created = utc(ticket.created)
    now = utc(now)
    spans: list[tuple[datetime, datetime]] = []
    began: datetime | None = None  # the start of the pause in progress
    last = None
    for change in history:
        since = utc(change.since)
        if since > now:
            break
        last = change.status
        at = since if since > created else created
        stops = change.status in pausing or change.status in DONE_STATUSES
        if stops and began is None:
            began = at
        elif not stops and began is not None:
            if at > began:
                spans.append((began, at))
            began = None
    if last is not None and last != ticket.status and utc(history[-1].since) <= now:
        # the history missed the change to the current status
        stops_now = ticket.status in pausing or ticket.status in DONE_STATUSES
        if began is not None and not stops_now:
            updated = utc(ticket.updated) if ticket.updated is not None else began
            end = min(max(updated, began), now)
            if end > began:
                spans.append((began, end))
            began = None
        elif began is None and stops_now:
            return tuple(spans), True  # paused since an unknown instant
    if began is not None:
        if now > began:
            spans.append((began, now))
        return tuple(spans), True
    return tuple(spans), False
