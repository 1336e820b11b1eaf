"""`escalada sandbox seed`: realistic tickets for the sandbox desk.

Deterministic for a seed and a `now`: the same arguments write the same file.
The tickets use the example policy's names as the sandbox stores them
(priorities P1..P4 derived from impact x urgency through its matrix, the
regional service-desk teams as the level-0 groups) and cover what the example
paths react to: outages, VIP requesters, personal-data incidents, and
`escalate` requests with and without a reason in the latest comment.
"""

from __future__ import annotations

import random
from collections import Counter
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

from escalada.connectors.sandbox.store import NewTicket
from escalada.connectors.sandbox.store import ensure_groups
from escalada.connectors.sandbox.store import insert_tickets
from escalada.connectors.sandbox.store import open_db

# The example policy's matrix (examples/policy): rows are impact, columns urgency.
IMPACT = ("extensive", "significant", "moderate", "minor")
URGENCY = ("critical", "high", "medium", "low")
MATRIX = {
    "extensive": ("P1", "P1", "P2", "P3"),
    "significant": ("P1", "P2", "P3", "P3"),
    "moderate": ("P2", "P3", "P3", "P4"),
    "minor": ("P3", "P4", "P4", "P4"),
}
# Groups the sandbox desk has: the example policy's teams that hold work
# (apply would make missing ones: the embedded desk creates its own groups).
GROUPS = (
    "service-desk-emea",
    "service-desk-amer",
    "service-desk-apac",
    "network-l2",
    "app-support-l2",
    "senior-engineers",
    "duty-managers",
    "it-management",
    "compliance-officers",
)
SITES = {
    "Dublin": "emea",
    "Stockholm": "emea",
    "New York": "amer",
    "Toronto": "amer",
    "Sydney": "apac",
}
ORGANIZATIONS = ("Acme Retail", "Globex", "Initech", "Umbrella Health", "Northwind")
AGENTS = ("a.lindqvist", "m.berg", "j.okafor", "s.tremblay", "r.garcia")
WORKING_DAYS = 5


@dataclass(frozen=True, slots=True)
class Template:
    title: str
    description: str
    tags: tuple[str, ...]
    impact: tuple[str, ...]  # drawn from
    urgency: tuple[str, ...]
    comment: str | None = None  # the requester's latest comment
    weight: int = 4  # how often it comes up among routine tickets (outages are rarer)


ROUTINE = (
    Template(
        "Core switch down in the {site} data centre",
        "Every service hosted in {site} is unreachable since {time}.",
        ("outage", "network"),
        ("extensive",),
        ("critical", "high"),
        weight=1,
    ),
    Template(
        "Checkout returns HTTP 500 for {org} customers",
        "Orders fail at the payment step; the shop has taken no order since {time}.",
        ("outage", "web"),
        ("extensive", "significant"),
        ("critical",),
        weight=1,
    ),
    Template(
        "DNS lookups time out intermittently in {site}",
        "Roughly one lookup in five fails; internal tools load slowly or not at all.",
        ("outage", "network"),
        ("significant",),
        ("high", "critical"),
        weight=1,
    ),
    Template(
        "VPN drops every few minutes for {site} staff",
        "Remote staff reconnect several times an hour since {time}.",
        ("vpn", "network"),
        ("significant", "moderate"),
        ("high", "medium"),
    ),
    Template(
        "Cannot send email to external domains",
        "Messages to customers bounce with 550 5.7.1 since {time}.",
        ("email",),
        ("significant", "moderate"),
        ("high", "medium"),
    ),
    Template(
        "Outlook keeps asking for a password",
        "After the password change on Monday, Outlook prompts every few minutes.",
        ("email",),
        ("minor",),
        ("medium", "high"),
    ),
    Template(
        "Wi-Fi is slow in the {site} meeting rooms",
        "Video calls freeze in rooms on floor 4.",
        ("wifi", "network"),
        ("moderate", "minor"),
        ("low", "medium"),
    ),
    Template(
        "Laptop for a new starter on Monday",
        "Standard developer laptop with the usual software, please.",
        ("hardware", "request"),
        ("minor",),
        ("low",),
    ),
    Template(
        "Printer on floor 3 jams on every job",
        "Tried a new paper tray; it still jams.",
        ("hardware",),
        ("minor",),
        ("medium", "low"),
    ),
    Template(
        "Access to the finance reporting share",
        "I moved to the controlling team and need read access.",
        ("access", "request"),
        ("moderate", "minor"),
        ("medium", "low"),
    ),
)
PERSONAL_DATA = (
    Template(
        "Customer list emailed to the wrong recipient",
        "A spreadsheet with customer names, emails and phone numbers (personal data) went "
        "to an external address at {time}. Possible GDPR breach.",
        ("email", "security"),
        ("significant",),
        ("high",),
    ),
    Template(
        "Laptop with HR files stolen from a car",
        "The laptop held employee records (personal data); whether its disk was encrypted "
        "is unknown.",
        ("hardware", "security"),
        ("significant",),
        ("critical",),
    ),
)
REQUESTS = (
    Template(
        "Payroll export to the bank fails",
        "The export job stops with 'invalid IBAN format' on the first record.",
        ("escalate", "finance"),
        ("moderate",),
        ("high",),
        comment="Payroll must reach the bank by 15:00 today or 2,000 people are paid late.",
    ),
    Template(
        "Shared team calendar does not sync",
        "New meetings appear on the phone a day late.",
        ("escalate", "email"),
        ("minor",),
        ("medium",),
    ),
)


@dataclass(frozen=True, slots=True)
class SeedSummary:
    path: Path
    tickets: int
    open: int
    priorities: dict[str, int]  # open tickets by priority
    vip: int
    personal_data: int
    requests: int  # escalation requests (tags: escalate)
    requests_without_reason: int

    def __str__(self) -> str:
        spread = ", ".join(f"{name} {count}" for name, count in sorted(self.priorities.items()))
        return (
            f"seeded {self.tickets} tickets into {self.path}: {self.open} open ({spread}), "
            f"{self.vip} from VIP requesters, {self.personal_data} personal-data incidents, "
            f"{self.requests} escalation requests ({self.requests_without_reason} without a reason)"
        )


def seed(path: Path, *, tickets: int = 40, seed: int = 1, now: datetime) -> SeedSummary:
    """Replace the sandbox's tickets and notes with `tickets` new ones; keep its config."""
    if tickets < 1:
        raise ValueError("seed at least one ticket")
    if now.tzinfo is None:
        raise ValueError("now needs a timezone")
    now = now.astimezone(timezone.utc)
    rng = random.Random(seed)
    special = [*PERSONAL_DATA, *REQUESTS][: min(tickets // 5, len(PERSONAL_DATA) + len(REQUESTS))]
    routine = rng.choices(ROUTINE, [t.weight for t in ROUTINE], k=tickets - len(special))
    made = [_ticket(rng, template, now, special=True) for template in special]
    made += [_ticket(rng, template, now, special=False) for template in routine]
    for index in rng.sample(range(tickets), max(1, tickets // 10)):  # one in ten is a VIP's
        made[index] = replace(made[index], vip=True)
    db = open_db(path)
    try:
        db.execute("BEGIN IMMEDIATE")  # a runner reading meanwhile sees the old or the new set
        try:
            db.execute("DELETE FROM notes")
            db.execute("DELETE FROM tickets")
            ensure_groups(db, GROUPS)
            insert_tickets(db, made)
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
    finally:
        db.close()
    open_tickets = [t for t in made if t.status in ("open", "pending")]
    requests = [t for t in made if "escalate" in t.tags]
    return SeedSummary(
        path=path,
        tickets=len(made),
        open=len(open_tickets),
        priorities=dict(Counter(str(t.priority) for t in open_tickets)),
        vip=sum(t.vip for t in made),
        personal_data=sum(t.title in {p.title for p in PERSONAL_DATA} for t in made),
        requests=len(requests),
        requests_without_reason=sum(not t.comments for t in requests),
    )


def _ticket(rng: random.Random, template: Template, now: datetime, *, special: bool) -> NewTicket:
    """A special ticket (personal data, escalation request) is open, recent and unanswered."""
    site = rng.choice(list(SITES))
    created = _opened(rng, now, recent=special or rng.random() < 0.25)
    impact, urgency = rng.choice(template.impact), rng.choice(template.urgency)
    status = "open" if special else rng.choices(["open", "pending", "resolved"], [75, 12, 13])[0]
    responded = None
    if status != "open" or (not special and rng.random() < 0.4):
        responded = min(now, created + timedelta(minutes=rng.randint(5, 240)))
    resolved = None
    if status == "resolved":
        resolved = min(now, (responded or created) + timedelta(minutes=rng.randint(10, 600)))
    values = {"site": site, "org": rng.choice(ORGANIZATIONS), "time": f"{created:%H:%M} UTC"}
    comments = []
    if template.comment is not None:
        comments.append((min(now, created + timedelta(minutes=2)), template.comment))
    return NewTicket(
        title=template.title.format(**values),
        created=created,
        description=template.description.format(**values),
        status=status,
        priority=MATRIX[impact][URGENCY.index(urgency)],
        impact=impact,
        urgency=urgency,
        responded=responded,
        resolved=resolved,
        team=f"service-desk-{SITES[site]}",
        assignee=rng.choice(AGENTS) if responded else None,
        organization=values["org"],
        tags=template.tags,
        comments=comments,
    )


def _opened(rng: random.Random, now: datetime, *, recent: bool) -> datetime:
    """Within the last three hours, or during office hours (07-17 UTC) on one of
    the preceding working days."""
    if recent:
        return (now - timedelta(minutes=rng.randint(5, 180))).replace(microsecond=0)
    days: list[datetime] = []
    day = now
    while len(days) < WORKING_DAYS:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days.append(day)
    opened = rng.choice(days).replace(hour=7, minute=0, second=0, microsecond=0)
    return opened + timedelta(minutes=rng.randint(0, 600))
