"""Synthetic audit records and tickets in the shapes escalada writes (the audit
log's JSON Lines, the normalized ticket file), for `bench/report.py` and for the
report's screenshot: weekday-office-hours arrivals, the example policy's paths,
priorities, triggers and teams, a few organisations that escalate far more than
the rest, stakeholder updates and resolutions.

Records come out in time order, as a runner appends them, while only the records
of tickets still open are held (a heap), so a year streams in bounded memory."""

from __future__ import annotations

import heapq
import json
import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any
from typing import TextIO

from escalada.audit import AuditRecord
from escalada.instants import to_iso

# path -> the teams of its levels (the example policy's)
PATHS = {
    "critical-outage": ("service-desk", "network-l2", "senior-engineers", "duty-managers"),
    "standard": ("service-desk", "app-support-l2", "senior-engineers", "it-management"),
    "compliance": ("compliance-officers", "it-management", "duty-managers"),
}
PRIORITIES = ("P1", "P2", "P3", "P4")
WEIGHTS = (0.08, 0.17, 0.4, 0.35)
UPDATE_EVERY = {"P1": timedelta(hours=1), "P2": timedelta(hours=4)}
# organisations with a skew: the first few raise many tickets, and escalate more
ORGS = ("Northwind", "Contoso", "Fabrikam", "Initech", "Umbrella", "Globex", "Hooli", "Vandelay")
ORG_WEIGHTS = (0.22, 0.18, 0.14, 0.12, 0.1, 0.1, 0.08, 0.06)
ORG_EXTRA = {"Northwind": 0.35, "Initech": 0.25}  # added chance to escalate
TAGS = ("vpn", "email", "billing", "login", "printer", "outage", "laptop", "sso")
CATEGORIES = ("network", "access", "hardware", "software", "billing")


@dataclass(frozen=True, slots=True)
class Shape:
    tickets_per_month: int = 10_000
    months: int = 12
    start: datetime = datetime(2025, 12, 1, tzinfo=timezone.utc)
    seed: int = 11
    desk: str = "zendesk-prod"


def generate(shape: Shape) -> Iterator[tuple[datetime, str, dict[str, Any]]]:
    """(time, kind, data) in time order: kind is "audit" (an audit record) or
    "ticket" (the ticket as an export writes it, emitted once it is resolved)."""
    rng = random.Random(shape.seed)
    pending: list[tuple[datetime, int, str, dict[str, Any]]] = []
    order = number = 0
    for created in _arrivals(rng, shape):
        number += 1
        while pending and pending[0][0] <= created:
            at, _, kind, data = heapq.heappop(pending)
            yield at, kind, data
        for at, kind, data in _ticket(rng, shape, number, created):
            order += 1
            heapq.heappush(pending, (at, order, kind, data))
    while pending:
        at, _, kind, data = heapq.heappop(pending)
        yield at, kind, data


def write(shape: Shape, audit: TextIO, tickets: TextIO | None = None) -> tuple[int, int]:
    """Write the audit log (and the tickets): (records, tickets) written."""
    records = count = 0
    for _, kind, data in generate(shape):
        line = json.dumps(data, ensure_ascii=False) + "\n"
        if kind == "audit":
            audit.write(line)
            records += 1
        elif tickets is not None:
            tickets.write(line)
            count += 1
    return records, count


def _arrivals(rng: random.Random, shape: Shape) -> Iterator[datetime]:
    """Ticket creation instants in order: weekdays busier than weekends, most
    tickets between 07:00 and 18:00 UTC, the total exactly the shape's."""
    days = round(30.44 * shape.months)
    weights = [
        1.0 if (shape.start + timedelta(days=d)).weekday() < 5 else 0.15 for d in range(days)
    ]
    total = shape.tickets_per_month * shape.months
    scale = total / sum(weights)
    made = 0
    running = 0.0
    for day, weight in enumerate(weights):
        running += weight
        count = round(running * scale) - made if day < days - 1 else total - made
        made += count
        base = shape.start + timedelta(days=day)
        minutes = sorted(
            rng.randrange(7 * 60, 18 * 60) if rng.random() < 0.85 else rng.randrange(24 * 60)
            for _ in range(count)
        )
        for minute in minutes:
            yield base + timedelta(minutes=minute, seconds=rng.randrange(60))


def _ticket(
    rng: random.Random, shape: Shape, number: int, created: datetime
) -> list[tuple[datetime, str, dict[str, Any]]]:
    key = f"{number}"
    priority = rng.choices(PRIORITIES, WEIGHTS)[0]
    org = rng.choices(ORGS, ORG_WEIGHTS)[0]
    tags = sorted(set(rng.sample(TAGS, rng.randrange(0, 3))))
    path = "critical-outage" if priority in ("P1", "P2") and "outage" in tags else "standard"
    trigger = None
    roll = rng.random()
    if roll < 0.01:
        trigger, path = "data-protection", "compliance"
    elif roll < 0.05:
        trigger = "vip-customer"
    elif roll < 0.07:
        trigger = "requested"
    chance = {"P1": 0.7, "P2": 0.45, "P3": 0.2, "P4": 0.08}[priority] + ORG_EXTRA.get(org, 0)
    hours = {"P1": 3.0, "P2": 7.0, "P3": 30.0, "P4": 80.0}[priority]
    resolved = created + timedelta(hours=rng.lognormvariate(0, 0.8) * hours)
    responded = created + timedelta(
        minutes=rng.lognormvariate(0, 1.0) * (10 if priority == "P1" else 45)
    )
    out: list[tuple[datetime, str, dict[str, Any]]] = []
    level, at = 0, created
    teams = PATHS[path]
    escalates = trigger is not None or rng.random() < chance
    first = None
    asked = trigger == "requested" and rng.random() < 0.4
    if escalates:
        if asked:
            out.append(_audit(created, shape, key, path, 0, 0, "ask_reason", priority, teams[0]))
        steps = rng.choices((1, 2, 3), (0.6, 0.28, 0.12))[0]
        for step in range(steps):
            gap = (
                timedelta(minutes=rng.randrange(5, 30))
                if step == 0 and trigger
                else (timedelta(hours=hours * rng.uniform(0.15, 0.5)))
            )
            at = at + gap
            if at >= resolved or level + 1 >= len(teams):
                break
            level_from, level = level, level + 1
            first = first or at
            cause = trigger if step == 0 else None
            for action in ("assign", "comment", "mark", "notify:sd-leads"):
                out.append(
                    _audit(
                        at,
                        shape,
                        key,
                        path,
                        level_from,
                        level,
                        action,
                        priority,
                        teams[level],
                        escalation=True,
                        trigger=cause,
                    )
                )
            every = UPDATE_EVERY.get(priority)
            if every is not None:
                update = at + every + timedelta(minutes=rng.choice((0, 0, 0, 5, 40)))
                while update < resolved and update < at + timedelta(hours=12):
                    out.append(
                        _audit(
                            update, shape, key, path, level, level, "update", priority, teams[level]
                        )
                    )
                    update += every + timedelta(minutes=rng.choice((0, 0, 0, 5, 40)))
        if level or path == "compliance":
            out.append(
                _audit(
                    resolved,
                    shape,
                    key,
                    path,
                    level,
                    0,
                    "clear",
                    priority,
                    teams[level],
                    status="resolved",
                )
            )
    ticket = {
        "desk": shape.desk,
        "key": key,
        "title": f"Ticket {key}",
        "status": "resolved",
        "priority": priority,
        "created": to_iso(created),
        "responded": to_iso(min(responded, resolved)),
        "resolved": to_iso(resolved),
        "tags": tags,
        "requester": {"organization": org, "vip": trigger == "vip-customer"},
        "fields": {"category": rng.choice(CATEGORIES)},
        "status_history": [
            {"status": "open", "since": to_iso(created)},
            {"status": "resolved", "since": to_iso(resolved)},
        ],
    }
    out.append((resolved, "ticket", ticket))
    return out


def _audit(
    at: datetime, shape: Shape, *args: Any, **options: Any
) -> tuple[datetime, str, dict[str, Any]]:
    return at, "audit", _record(at, shape, *args, **options)


def _record(
    at: datetime,
    shape: Shape,
    key: str,
    path: str,
    level_from: int,
    level_to: int,
    action: str,
    priority: str,
    team: str,
    *,
    escalation: bool = False,
    trigger: str | None = None,
    status: str = "open",
) -> dict[str, Any]:
    return AuditRecord(
        time=at,
        desk=shape.desk,
        ticket=key,
        path=path,
        level_from=level_from,
        level_to=level_to,
        action=action,
        reason=f"synthetic {action}",
        dry_run=False,
        result="sent" if ":" in action else "ok",
        priority=priority,
        team=team,
        status=status,
        escalation=escalation,
        trigger=trigger,
    ).as_json()
