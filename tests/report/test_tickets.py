"""The ticket figures: SLA attainment against the example policy's targets (in
business time on each priority's calendar) and the recurring escalations."""

from __future__ import annotations

from datetime import datetime
from datetime import timezone

import pytest

from escalada.policy.ticket_input import parse_ticket
from escalada.policy.validate import load_policy
from escalada.report.measures.tickets import tally_tickets
from tests.paths import EXAMPLE
from tests.report.records import ticket

NOW = datetime(2026, 11, 27, 12, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def policy():
    return load_policy([str(EXAMPLE)])


def run(policy, rows, escalated=()):
    tickets = [parse_ticket(row, policy=policy) for row in rows]
    firsts = dict(escalated)
    return tally_tickets(tickets, policy=policy, now=NOW, escalated_at=lambda t: firsts.get(t.key))


def at(text):
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_sla_per_priority_met_breached_running_and_warned(policy):
    rows = [
        # P1 (24x7, respond 15m, resolve 4h): responded in 10m, resolved after 5h30m
        ticket(
            "A",
            responded="2026-11-23T08:40:00Z",
            resolved="2026-11-23T14:00:00Z",
            status="resolved",
        ),
        # P1 resolved in time, responded late
        ticket(
            "B",
            responded="2026-11-23T09:00:00Z",
            resolved="2026-11-23T10:00:00Z",
            status="resolved",
        ),
        # P3 (office, resolve 3d business time) opened Thursday: still running on Friday
        ticket(
            "C", priority="P3", created="2026-11-26T09:00:00Z", responded="2026-11-26T09:30:00Z"
        ),
    ]
    found = run(policy, rows, escalated=[("A", at("2026-11-23T11:00:00Z"))])
    p1, p3 = found.sla_by_priority
    assert (p1.group, p1.tickets) == ("P1", 2)
    assert p1.respond == {"met": 1, "breached": 1, "running": 0}
    assert p1.resolve == {"met": 1, "breached": 1, "running": 0}
    assert p1.breaches == 2 and p1.breach_rate == 0.5
    # A's escalation at 11:00 came before its resolve deadline (12:30): warned first
    assert p1.warned == 1
    assert p3.respond["met"] == 1 and p3.resolve == {"met": 0, "breached": 0, "running": 1}
    # the example policy has one service level (Contoso Retail); these tickets are under none
    assert [r.group for r in found.sla_by_service_level] == ["-"]


def test_business_time_decides_a_breach(policy):
    # P2 on the office calendar (08:00-17:00 Stockholm), 1h respond: opened Friday
    # 16:30 local, answered Monday 08:20 local is within the hour of business time
    row = ticket(
        "A", priority="P2", created="2026-11-27T15:30:00Z", responded="2026-11-30T07:20:00Z"
    )
    (p2,) = run(policy, [row]).sla_by_priority
    assert p2.respond["met"] == 1


def test_per_customer_service_level_of_the_policy(policy):
    # Contoso Retail's contract: P1 resolved within 2h (the matrix says 4h)
    rows = [
        ticket(
            "A",
            requester={"organization": "Contoso Retail"},
            status="resolved",
            responded="2026-11-23T08:40:00Z",
            resolved="2026-11-23T11:30:00Z",
        ),
        ticket(
            "B",
            status="resolved",
            responded="2026-11-23T08:40:00Z",
            resolved="2026-11-23T11:30:00Z",
        ),
    ]
    found = run(policy, rows)
    levels = {
        r.group: (r.resolve["met"], r.resolve["breached"]) for r in found.sla_by_service_level
    }
    assert levels == {"contoso-contract": (0, 1), "-": (1, 0)}
    (p1,) = found.sla_by_priority
    assert p1.resolve == {"met": 1, "breached": 1, "running": 0}


def test_per_customer_service_level_when_tickets_carry_one(policy):
    import dataclasses

    policy = dataclasses.replace(
        policy, matrix=dataclasses.replace(policy.matrix, service_levels=())
    )
    rows = [
        ticket("A", fields={"service_level": "gold"}, responded="2026-11-23T08:40:00Z"),
        ticket("B", fields={"service_level": "silver"}, responded="2026-11-23T09:40:00Z"),
    ]
    found = run(policy, rows)
    assert [
        (r.group, r.respond["met"], r.respond["breached"]) for r in found.sla_by_service_level
    ] == [("gold", 1, 0), ("silver", 0, 1)]


def test_recurring_escalations_ranked_with_their_share(policy):
    rows = [
        ticket("1", requester={"organization": "Northwind"}, tags=["vpn"]),
        ticket("2", requester={"organization": "Northwind"}, tags=["vpn"]),
        ticket("3", requester={"organization": "Northwind"}, tags=["email"]),
        ticket("4", requester={"organization": "Contoso"}, tags=["vpn", "escalada-standard-1"]),
        ticket("5", requester={"organization": "Contoso"}, tags=[], fields={"category": "network"}),
    ]
    when = at("2026-11-23T10:00:00Z")
    found = run(policy, rows, escalated=[("1", when), ("2", when), ("4", when)])
    ranked = [(r.dimension, r.value, r.tickets, r.escalated, r.share) for r in found.recurring]
    # vpn: 3 of 3 escalated; Northwind 2 of 3; Contoso has only one escalated ticket
    assert ranked == [("tag", "vpn", 3, 3, 1.0), ("organization", "Northwind", 3, 2, 0.6667)]
    assert found.tickets == 5 and found.escalated == 3


def test_without_a_policy_no_sla_but_recurring(policy):
    tickets = [parse_ticket(ticket(str(n))) for n in range(3)]
    found = tally_tickets(tickets, policy=None, now=NOW, escalated_at=lambda t: NOW)
    assert found.sla_by_priority == () and found.recurring
