"""SLA outcomes of one ticket: each target met, breached, or still running.

Targets are measured in business time on the priority's calendar, as the engine
measures them; a ticket breaches a target when the deadline passed before it was
responded to (resolved). Shared by the report and the runner's breach counter."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from typing import Literal

from escalada.engine.calendars import clock_for
from escalada.policy.model import Policy
from escalada.policy.model import Priority
from escalada.ticket import Ticket

Target = Literal["respond", "resolve"]
TARGETS: tuple[Target, ...] = ("respond", "resolve")
Outcome = Literal["met", "breached", "running"]


@dataclass(frozen=True, slots=True)
class TargetOutcome:
    target: Target
    outcome: Outcome
    deadline: datetime


def within(priority: Priority, target: Target) -> timedelta | None:
    return priority.respond_within if target == "respond" else priority.resolve_within


def outcomes(
    ticket: Ticket, policy: Policy, now: datetime, level: str | None = None
) -> tuple[TargetOutcome, ...]:
    """Each target the ticket's priority sets (under the customer service `level`,
    when given), as of `now` (a partial read's unknown `responded` leaves the
    respond target out)."""
    priority = _targets(policy, ticket.priority, level)
    if priority is None:
        return ()
    calendar = policy.calendars.get(priority.calendar)
    if calendar is None:
        return ()
    found = []
    for target in TARGETS:
        amount = within(priority, target)
        if amount is None or (target == "respond" and ticket.partial):
            continue
        done = ticket.responded if target == "respond" else ticket.resolved
        if target == "respond" and done is None and ticket.resolved is not None:
            done = ticket.resolved  # resolved without a recorded response: answered then
        deadline = clock_for(calendar).add(ticket.created, amount)
        if done is not None and done <= deadline:
            outcome: Outcome = "met"
        elif (done is not None and done > deadline) or now >= deadline:
            outcome = "breached"
        else:
            outcome = "running"
        found.append(TargetOutcome(target, outcome, deadline))
    return tuple(found)


def _targets(policy: Policy, priority: str | None, level: str | None) -> Priority | None:
    if level is not None and policy.matrix is not None:
        return policy.matrix.targets(priority, level)
    return policy.priority(priority)


def breached_now(ticket: Ticket, policy: Policy, now: datetime) -> tuple[Target, ...]:
    """The targets the ticket has breached by `now`; cheap for the common case
    (business time never runs faster than wall time, so a ticket younger than a
    target cannot have breached it)."""
    priority = policy.priority(ticket.priority)
    if priority is None:
        return ()
    age = now - ticket.created
    shortest = min(
        (amount for t in TARGETS if (amount := within(priority, t)) is not None), default=None
    )
    if shortest is None or age < shortest:
        return ()
    return tuple(o.target for o in outcomes(ticket, policy, now) if o.outcome == "breached")
