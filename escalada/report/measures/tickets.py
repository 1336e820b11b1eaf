"""Figures from exported tickets: SLA attainment per priority and per customer
service level, and the recurring escalations (organisations, requesters, tags,
categories whose tickets escalate again and again).

One pass over the tickets; per value of each dimension two counts are kept."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from escalada.policy.model import Policy
from escalada.report.sla import TARGETS
from escalada.report.sla import outcomes
from escalada.ticket import Ticket

NO_VALUE = "-"
# where a customer's service level is read from, first found wins (a ticket field
# a desk maps, e.g. Zendesk's organization field or a ServiceNow contract)
SERVICE_LEVEL_FIELDS = ("service_level", "sla_tier", "support_tier")
# recurring dimensions: name -> the values a ticket has for it
DIMENSIONS: dict[str, Callable[[Ticket], Iterable[str]]] = {
    "organization": lambda t: [t.requester.organization] if t.requester.organization else [],
    "requester": lambda t: [str(t.fields["requester"])] if t.fields.get("requester") else [],
    "tag": lambda t: sorted(t.tags - {tag for tag in t.tags if tag.startswith("escalada-")}),
    "category": lambda t: [str(t.fields["category"])] if t.fields.get("category") else [],
}


@dataclass(frozen=True, slots=True)
class SlaRow:
    group: str  # the priority, or the service level
    tickets: int
    respond: dict[str, int]  # met / breached / running
    resolve: dict[str, int]
    breach_rate: float | None  # breached targets / decided targets (met or breached)
    breaches: int
    warned: int  # breaches preceded by an escalation of the ticket before the deadline


@dataclass(frozen=True, slots=True)
class Recurring:
    dimension: str
    value: str
    tickets: int
    escalated: int
    share: float


@dataclass(frozen=True, slots=True)
class TicketFigures:
    tickets: int
    escalated: int
    sla_by_priority: tuple[SlaRow, ...]
    sla_by_service_level: tuple[SlaRow, ...]  # empty when no ticket carries a service level
    recurring: tuple[Recurring, ...]  # ranked: most escalations first

    def as_json(self) -> dict[str, Any]:
        from escalada.report.render.data import plain

        found: dict[str, Any] = plain(self)
        return found


@dataclass
class _Sla:
    tickets: int = 0
    counts: Counter[str] = field(default_factory=Counter)  # "respond:met", ...
    warned: int = 0

    def row(self, group: str) -> SlaRow:
        breaches = sum(self.counts[f"{t}:breached"] for t in TARGETS)
        decided = breaches + sum(self.counts[f"{t}:met"] for t in TARGETS)
        return SlaRow(
            group=group,
            tickets=self.tickets,
            respond={o: self.counts[f"respond:{o}"] for o in ("met", "breached", "running")},
            resolve={o: self.counts[f"resolve:{o}"] for o in ("met", "breached", "running")},
            breach_rate=round(breaches / decided, 4) if decided else None,
            breaches=breaches,
            warned=self.warned,
        )


def service_levels(policy: Policy | None) -> Callable[[Ticket], str | None] | None:
    """The policy's customer service levels as one function: the first level whose
    `match` holds (the engine's rule); None when the policy defines none."""
    from escalada.policy.conditions import compile_condition
    from escalada.policy.conditions import scales

    matrix = policy.matrix if policy is not None else None
    levels = getattr(matrix, "service_levels", ()) if matrix is not None else ()
    if not levels:
        return None
    ranks = scales(matrix)
    compiled = [(level.name, compile_condition(level.match, ranks)) for level in levels]

    def level_of(ticket: Ticket) -> str | None:
        for name, holds in compiled:
            if holds(ticket, ticket.priority):
                return str(name)
        return None

    return level_of


def service_level(ticket: Ticket) -> str | None:
    """A service level written on the ticket itself (policies without levels)."""
    for name in SERVICE_LEVEL_FIELDS:
        value = ticket.fields.get(name)
        if value not in (None, ""):
            return str(value)
    return None


def tally_tickets(
    tickets: Iterable[Ticket],
    *,
    policy: Policy | None,
    now: datetime,
    escalated_at: Callable[[Ticket], datetime | None],
    top: int = 10,
    at_least: int = 2,
) -> TicketFigures:
    """`escalated_at(ticket)` is the ticket's first escalation (from the audit log,
    else from its own marker), None when it never escalated. Recurring values need
    `at_least` escalated tickets; the `top` of each dimension are kept."""
    by_priority: dict[str, _Sla] = {}
    by_level: dict[str, _Sla] = {}
    seen: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    climbed: dict[str, Counter[str]] = {d: Counter() for d in DIMENSIONS}
    count = escalated = 0
    level_of = service_levels(policy)
    for ticket in tickets:
        count += 1
        first = escalated_at(ticket)
        if first is not None:
            escalated += 1
        for dimension, values in DIMENSIONS.items():
            for value in values(ticket):
                seen[dimension][value] += 1
                if first is not None:
                    climbed[dimension][value] += 1
        if policy is None:
            continue
        level = level_of(ticket) if level_of is not None else service_level(ticket)
        found = _outcomes(ticket, policy, now, level if level_of is not None else None)
        if not found:
            continue
        groups = [by_priority.setdefault(ticket.priority or NO_VALUE, _Sla())]
        if level is not None or level_of is not None:
            groups.append(by_level.setdefault(level or NO_VALUE, _Sla()))
        for group in groups:
            group.tickets += 1
            for result in found:
                group.counts[f"{result.target}:{result.outcome}"] += 1
                if result.outcome == "breached" and first is not None and first < result.deadline:
                    group.warned += 1
    recurring = []
    for dimension in DIMENSIONS:
        ranked = [
            Recurring(
                dimension, value, seen[dimension][value], n, round(n / seen[dimension][value], 4)
            )
            for value, n in climbed[dimension].items()
            if n >= at_least
        ]
        ranked.sort(key=lambda r: (-r.escalated, -r.share, r.value))
        recurring += ranked[:top]
    recurring.sort(key=lambda r: (-r.escalated, -r.share, r.dimension, r.value))
    return TicketFigures(
        tickets=count,
        escalated=escalated,
        sla_by_priority=tuple(by_priority[p].row(p) for p in _ordered(by_priority, policy)),
        sla_by_service_level=tuple(by_level[k].row(k) for k in sorted(by_level)),
        recurring=tuple(recurring),
    )


def _outcomes(ticket: Ticket, policy: Policy, now: datetime, level: str | None) -> tuple[Any, ...]:
    try:
        return outcomes(ticket, policy, now, level)
    except ValueError:  # a calendar that never opens: `escalada validate` reports it
        return ()


def _ordered(groups: dict[str, _Sla], policy: Policy | None) -> list[str]:
    """Priorities in the matrix's order (highest first), unknown ones after."""
    known = list(policy.matrix.priorities) if policy and policy.matrix else []
    return [p for p in known if p in groups] + sorted(p for p in groups if p not in known)
