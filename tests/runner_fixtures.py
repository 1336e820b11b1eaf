"""What the runner tests share: a small policy over the contract harnesses' teams,
a recording notifier, crash injection (a `Crash` is a process dying: it is a
BaseException, so no `except Exception` in the runner can swallow it) and
counters of the writes a desk fake really served.

The policy, on 24x7 so business time plays no part:

- `critical-outage` (tickets tagged `outage`): L0 service-desk; L1 network-l2
  after 15m unless responded (assign, comment, notify: channels `net` and
  `sd-leads`); L2 it-management after 2h unless resolved (comment, notify:
  `mgmt`); a VIP requester jumps to L2 at once.
- `standard` (every other ticket): L0 service-desk; L1 network-l2 after 4h
  unless responded (comment, notify: `net`, `sd-leads`); L2 it-management
  after 1d.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import responses

from escalada.audit import AuditLog
from escalada.connectors.base import ApplyResult
from escalada.connectors.base import Connector
from escalada.connectors.base import Shard
from escalada.notify import Notification
from escalada.notify import NotifyResult
from escalada.policy.model import BUILTIN_24X7
from escalada.policy.model import Channel
from escalada.policy.model import Desk
from escalada.policy.model import EscalationPath
from escalada.policy.model import FieldCondition
from escalada.policy.model import Level
from escalada.policy.model import Policy
from escalada.policy.model import SecretRef
from escalada.policy.model import Team
from escalada.policy.model import Trigger
from escalada.runner import CycleReport
from escalada.runner import RunOptions
from escalada.runner import run_cycle
from escalada.ticket import Action
from escalada.ticket import Ticket
from tests.connectors.contract import DESKS
from tests.connectors.contract import NOW
from tests.connectors.contract import DeskView
from tests.connectors.contract import Harness
from tests.connectors.contract import harness_module
from tests.engine.fixtures import matrix

H = timedelta(hours=1)
M = timedelta(minutes=1)
WRITE_METHODS = frozenset({"PUT", "PATCH", "POST", "DELETE"})
READ_ONLY_POSTS = (
    "/search",
    "/batch",
    "/oauth_token.do",
    "/changelog/bulkfetch",
    "/issue/bulkfetch",
)  # POSTs that read


def runner_policy(*desks: Desk) -> Policy:
    outage = EscalationPath(
        name="critical-outage",
        match=FieldCondition("tags", "contains", "outage"),
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
            Level(2, "it-management", after=2 * H, unless="resolved"),
        ),
        triggers=(
            Trigger(
                "vip-customer",
                FieldCondition("requester.vip", "equals", True),
                goto=2,
                reason="A VIP customer is affected",
            ),
        ),
    )
    standard = EscalationPath(
        name="standard",
        match=None,
        precedence=0,
        levels=(
            Level(0, "service-desk"),
            Level(1, "network-l2", after=4 * H, unless="responded"),
            Level(2, "it-management", after=24 * H, unless="resolved"),
        ),
    )
    teams = {
        "service-desk": Team("service-desk", notify=("sd-leads",)),
        "network-l2": Team("network-l2", notify=("net", "sd-leads")),
        "it-management": Team("it-management", notify=("mgmt",)),
    }
    channels = {
        name: Channel(name, "webhook", SecretRef("env", f"HOOK_{name.upper().replace('-', '_')}"))
        for name in ("sd-leads", "net", "mgmt")
    }
    return Policy(
        matrix=matrix(calendar="24x7"),
        calendars={"24x7": BUILTIN_24X7},
        teams=teams,
        channels=channels,
        paths={outage.name: outage, standard.name: standard},
        desks={desk.name: desk for desk in desks},
        tests={},
    )


# --- harnesses ------------------------------------------------------------------


def harness_params() -> list[Any]:
    """One pytest param per desk harness."""
    return [pytest.param(desk, id=desk) for desk in DESKS]


@contextmanager
def open_desk(desk: str, tmp_path: Path) -> Iterator[Harness]:
    with harness_module(desk).open_harness(tmp_path) as harness:
        yield harness


def seed(h: Harness, now: datetime = NOW) -> dict[str, str]:
    """Four tickets; at `now` three have something due, none in the next 12 minutes:

    outage   P1 outage, opened 40m ago, unanswered  -> critical-outage L1 (net, sd-leads)
    vip      P1 outage from a VIP, opened 5m ago     -> critical-outage L2 (mgmt)
    slow     P3, opened 5h ago, unanswered           -> standard L1 (net, sd-leads)
    quiet    P3, opened 1h ago                       -> nothing yet
    """
    return {
        "outage": h.add_ticket(
            title="Core switch down in Oslo", created=now - 40 * M, priority="P1", tags=["outage"]
        ),
        "vip": h.add_ticket(
            title="CEO cannot reach the VPN",
            created=now - 5 * M,
            priority="P1",
            tags=["outage"],
            vip=True,
        ),
        "slow": h.add_ticket(title="Printer queue stuck", created=now - 5 * H, priority="P3"),
        "quiet": h.add_ticket(title="New laptop request", created=now - H, priority="P3"),
    }


# --- notifications ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sent:
    channel: str
    ticket: str
    level: int
    action: str
    reason: str

    @property
    def key(self) -> tuple[str, str, int, str]:
        """What makes two messages the same announcement (the reason of a re-send differs)."""
        return (self.channel, self.ticket, self.level, self.action)


@dataclass
class RecordingNotifier:
    """Stands in for the chat tools: records each message; can refuse channels,
    and runs `before_send` (e.g. a crash, or another runner's cycle) first."""

    sent: list[Sent] = field(default_factory=list)
    failing: set[str] = field(default_factory=set)
    # channels whose receiver posts the message but answers too late (a read timeout)
    unconfirmed: set[str] = field(default_factory=set)
    before_send: Callable[[str, Notification], None] | None = None

    def send(self, channel: str, message: Notification) -> NotifyResult:
        if self.before_send is not None:
            self.before_send(channel, message)
        if channel in self.failing:
            return NotifyResult(False, channel, f"channel {channel!r}: HTTP 503", 3)
        self.sent.append(
            Sent(channel, message.ticket, message.level, message.action, message.reason)
        )
        if channel in self.unconfirmed:
            late = f"channel {channel!r}: no answer within 10s (may have been delivered)"
            return NotifyResult(False, channel, late, 1, maybe_delivered=True)
        return NotifyResult(True, channel, None, 1)

    def keys(self) -> Counter[tuple[str, str, int, str]]:
        return Counter(s.key for s in self.sent)


# --- crashes ------------------------------------------------------------------------


class Crash(BaseException):
    """The runner's process dies here (SIGKILL, OOM, a node going away)."""


@dataclass
class Tripwire:
    """Counts the effects of a run (desk writes and channel messages, in order) and
    kills the run just before effect number `at` takes place. A write names the
    tickets it is for, separated by spaces (a `clear_pending` call names several)."""

    at: int | None = None
    events: list[tuple[str, str]] = field(default_factory=list)  # (kind, tickets)
    current: str = ""  # the ticket(s) being written (HTTP writes name no ticket key)
    killed: tuple[str, str] | None = None  # the effect the kill prevented

    def event(self, kind: str, ticket: str) -> None:
        if self.at is not None and len(self.events) == self.at:
            self.killed = (kind, ticket)
            raise Crash(f"killed before {kind} #{self.at} ({ticket})")
        self.events.append((kind, ticket))


def arm(
    h: Harness, notifier: RecordingNotifier, wire: Tripwire, *, bulk: bool = True
) -> Callable[[Desk], Connector]:
    """Route the run's desk writes and channel messages through the tripwire; returns
    the `connect` function for run_cycle (`bulk=False`: a desk without `clear_pending`)."""
    notifier.before_send = lambda channel, message: wire.event("send", message.ticket)
    http = wrap_http_writes(h, lambda url: wire.event("write", wire.current))
    return lambda desk: TrippedConnector(h.connector(), wire, count=not http, bulk=bulk)


class TrippedConnector:
    """A connector that tells the tripwire which ticket is being written, and, where
    the desk has no HTTP requests to trip on (the sandbox: its apply is one
    transaction, and a crash inside it is a rollback), counts the apply itself.
    It has `clear_pending` when the desk has it (and `bulk` is on)."""

    def __init__(self, inner: Connector, wire: Tripwire, *, count: bool, bulk: bool = True) -> None:
        self.inner = inner
        self.desk = inner.desk
        self.wire = wire
        self.count = count
        self.bulk = bulk

    @property
    def calls(self) -> int:
        return self.inner.calls

    def candidates(self, *, shard: Shard | None = None) -> Iterator[Ticket]:
        return self.inner.candidates(shard=shard)

    def apply(self, ticket: Ticket, actions: Sequence[Action]) -> ApplyResult:
        self.wire.current = ticket.key
        if self.count:
            self.wire.event("write", ticket.key)
        return self.inner.apply(ticket, actions)

    def __getattr__(self, name: str) -> Any:
        if name == "clear_pending":
            clear = getattr(self.inner, name) if self.bulk else None  # AttributeError: none
            if clear is None:
                raise AttributeError(name)
            return lambda tickets: self._clear_pending(clear, tickets)
        return getattr(self.inner, name)

    def _clear_pending(self, clear: Callable[[Any], Any], tickets: Sequence[Ticket]) -> Any:
        self.wire.current = " ".join(t.key for t in tickets)
        if self.count:
            self.wire.event("write", self.wire.current)
        return clear(tickets)


def http_write(method: str, url: str, body: Any = None) -> bool:
    """A write request: a write method, except the POSTs that read, and a ServiceNow
    Batch API POST that carries a write (its rest_requests' methods)."""
    if method not in WRITE_METHODS:
        return False
    if "/batch" in url and body:
        import json

        text = body.decode("utf-8") if isinstance(body, bytes) else str(body)
        requests = json.loads(text).get("rest_requests", [])
        return any(r.get("method") in WRITE_METHODS for r in requests)
    return not any(part in url for part in READ_ONLY_POSTS)


def wrap_http_writes(h: Harness, on_write: Callable[[str], None]) -> bool:
    """Call `on_write(url)` before each write request the desk's fake serves.

    False for the sandbox (no HTTP): use TrippedConnector there."""
    fake = getattr(h, "fake", None)
    if fake is None:
        return False
    for route in fake.mock.registered():
        if not isinstance(route, responses.CallbackResponse) or route.method not in WRITE_METHODS:
            continue
        inner = route.callback

        def callback(request: Any, inner: Callable[[Any], Any] = inner) -> Any:
            if http_write(request.method, request.url, request.body):
                on_write(request.url)
            return inner(request)

        route.callback = callback
    return True


@dataclass
class WriteCounter:
    """Write requests the fake served (HTTP desks) or revision bumps (the sandbox)."""

    h: Harness
    keys: Sequence[str]
    http: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.is_http = wrap_http_writes(self.h, self.http.append)

    def total(self) -> int:
        if self.is_http:
            return len(self.http)
        db = self.h.db  # type: ignore[attr-defined]
        marks = ",".join("?" * len(self.keys))
        row = db.execute(
            f"SELECT sum(revision) FROM tickets WHERE key IN ({marks})", list(self.keys)
        ).fetchone()
        return int(row[0]) - len(self.keys)  # every ticket starts at revision 1


def clearing_writes(h: Harness, tickets: int) -> int:
    """The writes that clear one chunk's `tickets` pending tokens: one `clear_pending`
    call where the desk clears in bulk, else one clearing apply per ticket."""
    connector = h.connector()
    try:
        return 1 if getattr(connector, "clear_pending", None) is not None else tickets
    finally:
        connector.close()


# --- running --------------------------------------------------------------------------


def run(
    h: Harness,
    policy: Policy,
    now: datetime,
    notifier: Any,
    *,
    connect: Callable[[Desk], Connector] | None = None,
    options: RunOptions | None = None,
    audit: AuditLog | None = None,
) -> CycleReport:
    return run_cycle(
        policy,
        now=now,
        connect=connect or (lambda desk: h.connector()),
        notifier=notifier,
        audit=audit,
        options=options or RunOptions(),
    )


def views(h: Harness, keys: dict[str, str]) -> dict[str, DeskView]:
    return {name: h.view(key) for name, key in keys.items()}


# --- a policy on disk, for `escalada run` ---------------------------------------------

POLICY_YAML = """\
apiVersion: escalada/v1
kind: PriorityMatrix
metadata: {name: default}
spec:
  impact: [extensive, significant, moderate, minor]
  urgency: [critical, high, medium, low]
  matrix:
    extensive:   [P1, P1, P2, P3]
    significant: [P1, P2, P3, P3]
    moderate:    [P2, P3, P3, P4]
    minor:       [P3, P4, P4, P4]
  priorities:
    P1: {title: Critical, respond_within: 15m, resolve_within: 4h, update_every: 1h, calendar: 24x7}
    P2: {title: High, respond_within: 1h, resolve_within: 8h, update_every: 4h, calendar: 24x7}
    P3: {title: Medium, respond_within: 4h, resolve_within: 3d, calendar: 24x7}
    P4: {title: Low, respond_within: 1d, resolve_within: 10d, calendar: 24x7}
---
apiVersion: escalada/v1
kind: Team
metadata: {name: service-desk}
spec: {notify: [sd-leads]}
---
apiVersion: escalada/v1
kind: Team
metadata: {name: network-l2}
spec: {notify: [net, sd-leads]}
---
apiVersion: escalada/v1
kind: Team
metadata: {name: it-management}
spec: {notify: [mgmt]}
---
apiVersion: escalada/v1
kind: Channel
metadata: {name: sd-leads}
spec: {type: slack, url: {env: HOOK_SD_LEADS}}
---
apiVersion: escalada/v1
kind: Channel
metadata: {name: net}
spec: {type: webhook, url: {env: HOOK_NET}}
---
apiVersion: escalada/v1
kind: Channel
metadata: {name: mgmt}
spec: {type: webhook, url: {env: HOOK_MGMT}}
---
apiVersion: escalada/v1
kind: EscalationPath
metadata: {name: critical-outage}
spec:
  match: {field: tags, contains: outage}
  precedence: 100
  levels:
    - team: service-desk
    - {team: network-l2, after: 15m, unless: responded, actions: [assign, comment, notify]}
    - {team: it-management, after: 2h, unless: resolved}
  triggers:
    - name: vip-customer
      if: {field: requester.vip, equals: true}
      goto: 2
      reason: A VIP customer is affected
---
apiVersion: escalada/v1
kind: EscalationPath
metadata: {name: standard}
spec:
  precedence: 0
  levels:
    - team: service-desk
    - {team: network-l2, after: 4h, unless: responded}
    - {team: it-management, after: 1d, unless: resolved}
"""
DESK_YAML = """\
---
apiVersion: escalada/v1
kind: Desk
metadata: {name: NAME}
spec:
  type: sandbox
  options: {path: "PATH"}
"""
HOOKS = {
    "HOOK_SD_LEADS": "https://hooks.slack.test/services/T0/B0/sdleads",
    "HOOK_NET": "https://hooks.example.test/net",
    "HOOK_MGMT": "https://hooks.example.test/mgmt",
}


@contextmanager
def webhooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    """The policy's three channel webhooks (HOOKS, set in the environment), answering
    200 and recording every post."""
    for name, url in HOOKS.items():
        monkeypatch.setenv(name, url)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for url in HOOKS.values():
            mock.add(responses.POST, url, body="ok")
        yield mock


def write_policy(directory: Path, desks: dict[str, Path]) -> Path:
    """The policy above with one sandbox Desk per entry (name -> its SQLite file)."""
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "policy.yaml").write_text(POLICY_YAML, encoding="utf-8")
    text = "".join(
        DESK_YAML.replace("NAME", name).replace("PATH", str(path)) for name, path in desks.items()
    )
    (directory / "desks.yaml").write_text(text.removeprefix("---\n"), encoding="utf-8")
    return directory


def seed_sandbox(path: Path, now: datetime) -> dict[str, str]:
    """`seed()`'s four tickets, written straight into a sandbox file."""
    from escalada.connectors.sandbox.store import NewTicket
    from escalada.connectors.sandbox.store import insert_tickets
    from escalada.connectors.sandbox.store import open_db

    vip: dict[str, Any] = {"priority": "P1", "tags": ["outage"], "vip": True}
    db = open_db(path)
    try:
        keys = insert_tickets(
            db,
            [
                NewTicket("Core switch down in Oslo", now - 40 * M, priority="P1", tags=["outage"]),
                NewTicket("CEO cannot reach the VPN", now - 5 * M, **vip),
                NewTicket("Printer queue stuck", now - 5 * H, priority="P3"),
                NewTicket("New laptop request", now - H, priority="P3"),
            ],
        )
    finally:
        db.close()
    return dict(zip(("outage", "vip", "slow", "quiet"), keys, strict=True))


def sandbox_rows(path: Path) -> dict[str, tuple[Any, ...]]:
    """Each ticket's team, tags and revision, and its notes: what a run changes."""
    import json
    import sqlite3

    db = sqlite3.connect(path)
    try:
        rows = db.execute("SELECT key, team, tags, revision FROM tickets").fetchall()
        notes = db.execute("SELECT ticket, body FROM notes ORDER BY id").fetchall()
    finally:
        db.close()
    return {
        key: (team, tuple(json.loads(tags)), revision, tuple(b for t, b in notes if t == key))
        for key, team, tags, revision in rows
    }
