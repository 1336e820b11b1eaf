"""The flat mappings that reason templates are rendered over.

Every value is a string, so a template can only place text: the rule, the
business time elapsed, the target and the time left or overdue, the ticket's
title, priority, impact and requester organisation, and the levels before."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from functools import lru_cache

from escalada.policy.durations import format_duration
from escalada.policy.engine_levels import human
from escalada.policy.engine_levels import stamp
from escalada.policy.model import Priority
from escalada.policy.model import SlaTarget
from escalada.ticket import Ticket

UNKNOWN = "unknown"


def ticket_values(
    ticket: Ticket, priority_name: str | None, priority: Priority | None, now: datetime
) -> dict[str, str]:
    """The placeholders every reason can use."""
    return {
        "key": ticket.key,
        "title": ticket.title,
        "url": ticket.url or "",
        "status": ticket.status,
        "priority": priority_name or "no priority",
        "priority_title": priority.title if priority else "",
        "impact": ticket.impact or UNKNOWN,
        "urgency": ticket.urgency or UNKNOWN,
        "organization": ticket.requester.organization or UNKNOWN,
        "vip": "VIP" if ticket.requester.vip else "",
        "now": stamp(now),
    }


def sla_texts(
    priority: Priority | None,
    target: SlaTarget,
    elapsed: timedelta,
    *,
    named_in_rule: bool,
) -> tuple[str, str]:
    """(`left`, `target`) texts: "58m left" / "2m overdue" and "4h resolve target for P1".

    `left` names the target itself unless the rule already does (`at:` rules)."""
    within = None
    if priority is not None:
        within = priority.respond_within if target == "respond" else priority.resolve_within
    if priority is None or within is None:
        about = f"no {target} target" if priority else "no SLA target (no priority)"
        return about, about
    target_text = _target_text(within, target, priority.name)
    remaining = within - elapsed
    left = f"{human(remaining)} left" if remaining > timedelta(0) else f"{human(remaining)} overdue"
    if not named_in_rule:
        left += f" on the {target_text}"
    return left, target_text


@lru_cache(maxsize=256)
def _target_text(within: timedelta, target: str, priority: str) -> str:
    return f"{format_duration(within)} {target} target for {priority}"
