"""One report from the streams: the audit log first (escalations), then the tickets
(SLA, recurring; their resolution times close the audit's open stays)."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from datetime import tzinfo
from typing import Any

from escalada.policy.model import Policy
from escalada.report.inputs import AuditEntry
from escalada.report.measures.escalations import AuditFigures
from escalada.report.measures.escalations import AuditTally
from escalada.report.measures.tickets import TicketFigures
from escalada.report.measures.tickets import tally_tickets
from escalada.ticket import Ticket

SHAPE = "escalada.report/v1"


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime | None = None  # inclusive
    end: datetime | None = None  # exclusive

    def holds(self, at: datetime) -> bool:
        return (self.start is None or at >= self.start) and (self.end is None or at < self.end)


@dataclass(frozen=True, slots=True)
class Report:
    generated: datetime
    window: Window
    zone: str
    sources: tuple[str, ...]  # what was read, as the command line named it
    audit: AuditFigures | None
    tickets: TicketFigures | None
    notes: tuple[str, ...]  # what could not be measured, and why

    def as_json(self) -> dict[str, Any]:
        from escalada.report.render.data import plain

        return {
            "shape": SHAPE,
            "generated": plain(self.generated),
            "from": plain(self.window.start),
            "to": plain(self.window.end),
            "timezone": self.zone,
            "sources": list(self.sources),
            "audit": self.audit.as_json() if self.audit else None,
            "tickets": self.tickets.as_json() if self.tickets else None,
            "notes": list(self.notes),
        }


def build_report(
    *,
    audit: Iterable[AuditEntry] | None = None,
    tickets: Iterable[Ticket] | None = None,
    policy: Policy | None = None,
    zone: tzinfo = timezone.utc,
    window: Window = Window(),
    now: datetime | None = None,
    sources: tuple[str, ...] = (),
    update_grace: timedelta | None = None,
) -> Report:
    now = now or datetime.now(timezone.utc)
    notes = []
    tally = None
    if audit is not None:
        tally = AuditTally(zone=zone, policy=policy, grace=update_grace)
        tally.add_all(e for e in audit if window.holds(e.time))
    else:
        notes.append(
            "no audit log: escalation volume, time at each level, updates and reason "
            "requests need --audit"
        )
    ticket_figures = None
    if tickets is not None:

        def escalated_at(ticket: Ticket) -> datetime | None:
            first = tally.first_escalation(ticket.desk, ticket.key) if tally else None
            state = ticket.escalation
            if first is None and (state.level > 0 or state.history):
                first = state.since or ticket.created
            return first

        ticket_figures = tally_tickets(
            _resolving(tickets, tally, window), policy=policy, now=now, escalated_at=escalated_at
        )
        if policy is None:
            notes.append("no policy: SLA attainment needs the targets (--policy PATH)")
        elif not ticket_figures.sla_by_service_level:
            notes.append(
                "no customer service levels: the policy's matrix has no service_levels "
                "and no ticket carries a service_level field"
            )
    else:
        notes.append(
            "no tickets: SLA attainment and recurring escalations need --tickets or --desk"
        )
    return Report(
        generated=now,
        window=window,
        zone=str(zone),
        sources=sources,
        audit=tally.figures() if tally else None,
        tickets=ticket_figures,
        notes=tuple(notes),
    )


def _resolving(
    tickets: Iterable[Ticket], tally: AuditTally | None, window: Window
) -> Iterator[Ticket]:
    """The tickets created in the window; each resolved one ends its stay in the tally."""
    for ticket in tickets:
        if not window.holds(ticket.created):
            continue
        if tally is not None and ticket.resolved is not None:
            tally.resolve(ticket.desk, ticket.key, ticket.resolved, ticket.priority)
        yield ticket
