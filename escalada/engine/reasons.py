"""The flat mappings that reason templates are rendered over.

Every value is a string, so a template can only place text: the rule, the
business time elapsed, the target and the time left or overdue, the ticket's
title, priority, impact and requester organisation, and the levels before."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta

from escalada.engine.levels import ZERO
from escalada.instants import human
from escalada.instants import stamp
from escalada.policy.durations import format_duration
from escalada.policy.model import Priority
from escalada.policy.model import SlaTarget
from escalada.ticket import Ticket

UNKNOWN = "unknown"


def ticket_values(
    ticket: Ticket, priority_name: str | None, priority: Priority | None, now: datetime
) -> dict[str, str]:
    """The placeholders every reason can use."""
    requester = ticket.requester
    return {
        "key": ticket.key,
        "title": ticket.title,
        "url": ticket.url or "",
        "status": ticket.status,
        "priority": priority_name or "no priority",
        "priority_title": priority.title if priority else "",
        "impact": ticket.impact or UNKNOWN,
        "urgency": ticket.urgency or UNKNOWN,
        "organization": requester.organization or UNKNOWN,
        "vip": "VIP" if requester.vip else "",
        "now": stamp(now),
    }


# (priority identity, target) -> (the priority, within, target text, " on the " + target text)
_Target = tuple["Priority | None", "timedelta | None", str, str]
_TARGETS: dict[tuple[int, str], _Target] = {}


def sla_target(priority: Priority | None, target: SlaTarget) -> _Target:
    """The SLA target's duration and texts, computed once per priority and target."""
    key = (id(priority), target)
    found = _TARGETS.get(key)
    if found is not None and found[0] is priority:
        return found
    within = None
    if priority is not None:
        within = priority.respond_within if target == "respond" else priority.resolve_within
    if priority is None or within is None:
        text = f"no {target} target" if priority else "no SLA target (no priority)"
        found = (priority, None, text, "")
    else:
        text = f"{format_duration(within)} {target} target for {priority.name}"
        found = (priority, within, text, f" on the {text}")
    if len(_TARGETS) > 1024:
        _TARGETS.clear()
    _TARGETS[key] = found
    return found


def sla_texts(
    priority: Priority | None,
    target: SlaTarget,
    elapsed: timedelta,
    *,
    named_in_rule: bool,
) -> tuple[str, str]:
    """(`left`, `target`) texts: "58m left" / "2m overdue" and "4h resolve target for P1".

    `left` names the target itself unless the rule already does (`at:` rules)."""
    _, within, text, on_the = sla_target(priority, target)
    if within is None:
        return text, text
    remaining = within - elapsed
    left = human(remaining) + (" left" if remaining > ZERO else " overdue")
    return (left if named_in_rule else left + on_the), text
