"""A policy built straight from the model (no loader), shaped like DESIGN.md's
example, for the engine, explain and testing tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

from escalada.policy.model import ALWAYS_OPEN
from escalada.policy.model import BUILTIN_24X7
from escalada.policy.model import AllOf
from escalada.policy.model import Calendar
from escalada.policy.model import Channel
from escalada.policy.model import EscalationPath
from escalada.policy.model import FieldCondition
from escalada.policy.model import Level
from escalada.policy.model import Policy
from escalada.policy.model import Priority
from escalada.policy.model import PriorityMatrix
from escalada.policy.model import RotationShift
from escalada.policy.model import SecretRef
from escalada.policy.model import SlaShare
from escalada.policy.model import Team
from escalada.policy.model import Trigger
from escalada.policy.regex import compile_regex
from escalada.ticket import EscalationState
from escalada.ticket import Requester
from escalada.ticket import Ticket

UTC = timezone.utc
H = timedelta(hours=1)
M = timedelta(minutes=1)


def at(text: str) -> datetime:
    """An aware instant from ISO text (`Z` allowed)."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def weekdays(start: int, end: int) -> tuple[tuple[tuple[int, int], ...], ...]:
    """Mon-Fri open from `start` to `end` o'clock."""
    day = ((start * 60, end * 60),)
    return (day,) * 5 + ((), ())


def field(name: str, op: str, value: Any) -> FieldCondition:
    pattern = compile_regex(value) if op == "matches" else None
    return FieldCondition(name, op, value, pattern)  # type: ignore[arg-type]


def matrix(*, managed: bool = False, calendar: str | None = None) -> PriorityMatrix:
    """DESIGN.md's matrix; P1 on 24x7 and the others on `office`, or all on `calendar`."""
    impact = ("extensive", "significant", "moderate", "minor")
    urgency = ("critical", "high", "medium", "low")
    rows = {
        "extensive": ("P1", "P1", "P2", "P3"),
        "significant": ("P1", "P2", "P3", "P3"),
        "moderate": ("P2", "P3", "P3", "P4"),
        "minor": ("P3", "P4", "P4", "P4"),
    }
    cells = {(i, u): rows[i][n] for i in impact for n, u in enumerate(urgency)}
    office = calendar or "office"
    priorities = {
        "P1": Priority("P1", "Critical", 15 * M, 4 * H, H, calendar or "24x7", 0),
        "P2": Priority("P2", "High", H, 8 * H, 4 * H, office, 1),
        "P3": Priority("P3", "Medium", 4 * H, 72 * H, None, office, 2),
        "P4": Priority("P4", "Low", 24 * H, 240 * H, None, office, 3),
    }
    return PriorityMatrix("default", impact, urgency, cells, priorities, managed)


CALENDARS = {
    "24x7": BUILTIN_24X7,
    "office": Calendar(
        "office",
        "Europe/Stockholm",
        weekdays(8, 17),
        holiday_country="SE",
        holiday_dates=frozenset({date(2026, 12, 24), date(2026, 12, 31)}),
    ),
    "emea": Calendar("emea", "Europe/Stockholm", weekdays(8, 17)),
    "amer": Calendar("amer", "America/New_York", weekdays(8, 17)),
    "apac": Calendar("apac", "Asia/Singapore", weekdays(8, 17)),
    "nights": Calendar("nights", "Europe/Stockholm", ALWAYS_OPEN),
}

TEAMS = {
    "service-desk": Team(
        "service-desk",
        rotation=(
            RotationShift("service-desk-emea", "emea"),
            RotationShift("service-desk-amer", "amer"),
            RotationShift("service-desk-apac", "apac"),
        ),
        notify=("sd-leads",),
    ),
    "service-desk-emea": Team("service-desk-emea", notify=("sd-emea",)),
    "service-desk-amer": Team("service-desk-amer"),
    "service-desk-apac": Team("service-desk-apac"),
    "network-l2": Team("network-l2", notify=("net",)),
    "network-architects": Team("network-architects", notify=("net",)),
    "it-management": Team("it-management", notify=("mgmt",)),
    "compliance": Team("compliance", notify=("dpo",)),
    "compliance-officer": Team("compliance-officer", notify=("dpo",)),
}

CHANNELS = {
    name: Channel(name, "slack", SecretRef("env", name.upper()))
    for name in ("sd-leads", "sd-emea", "net", "mgmt", "dpo")
}


def critical_outage(**changes: Any) -> EscalationPath:
    path = EscalationPath(
        name="critical-outage",
        match=AllOf((field("priority", "in", ["P1", "P2"]), field("tags", "contains", "outage"))),
        precedence=100,
        levels=(
            Level(0, "service-desk"),
            Level(
                1,
                "network-l2",
                after=15 * M,
                unless="responded",
                actions=("assign", "comment", "notify"),
            ),
            Level(2, "network-architects", at=SlaShare(75, "resolve"), unless="resolved"),
            Level(3, "it-management", after=7 * H, unless="resolved"),
        ),
        triggers=(
            Trigger(
                "vip-customer",
                field("requester.vip", "equals", True),
                goto=2,
                reason="A VIP customer is affected",
            ),
            Trigger(
                "data-protection",
                field("text", "matches", "(?i)gdpr|personal data|breach"),
                path="compliance",
                reason="Possible personal-data incident",
            ),
            Trigger(
                "requested",
                field("tags", "contains", "escalate"),
                goto="next",
                reason_from="latest_comment",
            ),
        ),
    )
    return replace(path, **changes)


def compliance() -> EscalationPath:
    return EscalationPath(
        name="compliance",
        match=field("tags", "contains", "privacy"),
        precedence=50,
        levels=(
            Level(0, "compliance", actions=("assign", "comment", "notify")),
            Level(1, "compliance-officer", after=2 * H, unless="responded"),
            Level(2, "it-management", after=8 * H, unless="resolved"),
        ),
    )


def standard() -> EscalationPath:
    return EscalationPath(
        name="standard",
        match=None,
        precedence=0,
        levels=(
            Level(0, "service-desk"),
            Level(1, "network-l2", at=SlaShare(100, "respond"), unless="responded"),
            Level(2, "it-management", at=SlaShare(100, "resolve"), unless="resolved"),
        ),
        triggers=(
            Trigger(
                "requested",
                field("tags", "contains", "escalate"),
                goto="next",
                reason_from="latest_comment",
            ),
        ),
    )


def policy(*paths: EscalationPath, managed: bool = False, **changes: Any) -> Policy:
    chosen = paths or (critical_outage(), compliance(), standard())
    built = Policy(
        matrix=matrix(managed=managed),
        calendars=CALENDARS,
        teams=TEAMS,
        channels=CHANNELS,
        paths={p.name: p for p in chosen},
        desks={},
        tests={},
    )
    return replace(built, **changes)


def ticket(**changes: Any) -> Ticket:
    base = Ticket(
        desk="test",
        key="SD-123",
        title="VPN down for Stockholm office",
        created=at("2026-11-23T09:00:00Z"),  # a Monday
        priority="P1",
        impact="extensive",
        urgency="critical",
        tags=frozenset({"outage"}),
        requester=Requester("Acme AB"),
    )
    return replace(base, **changes)


def state(path: str, level: int, since: str | None = None, **changes: Any) -> EscalationState:
    return EscalationState(path=path, level=level, since=at(since) if since else None, **changes)
