"""A chunk's writes in flight at once (RunOptions.writers, or what the desk
account's budget can use), on every desk type that declares concurrent writes,
against its stateful fake: each due ticket is escalated once, with the same
desk, messages and audit trail as one write at a time; a rerun writes nothing;
an edit between read and write is still a conflict; a stop or a desk going down
starts no new write and flushes what was written. The sandbox stays sequential.

Overlap is proved, not timed: the first writes meet at a barrier that only
writes in flight together can pass. The budget's own test (never exceeded with
several writes in flight) is tests/connectors/zendesk/test_account_limit.py."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from typing import cast

import pytest

from escalada.audit import AuditLog
from escalada.connectors.base import ApplyResult
from escalada.connectors.base import Connector
from escalada.connectors.base import Shard
from escalada.connectors.registry import desk_kind
from escalada.pacing import RateBudget
from escalada.pacing import parse_rate
from escalada.runner import CycleReport
from escalada.runner import RunOptions
from escalada.runner import run_cycle
from escalada.ticket import Action
from escalada.ticket import EscalationState
from escalada.ticket import Ticket
from tests.connectors.contract import DESKS
from tests.connectors.contract import NOW
from tests.connectors.contract import DeskView
from tests.connectors.contract import Harness
from tests.runner_fixtures import M
from tests.runner_fixtures import RecordingNotifier
from tests.runner_fixtures import WriteCounter
from tests.runner_fixtures import open_desk
from tests.runner_fixtures import runner_policy
from tests.runner_fixtures import seed
from tests.runner_fixtures import views

CONCURRENT = [desk for desk in DESKS if desk_kind(desk).concurrent_writes]
OUTAGES = 24  # overdue outages besides seed()'s: 27 tickets due in one chunk
WRITERS = 4


class Watched:
    """A connector whose writes are seen: the threads they ran on, and (`meet`) the
    first ones wait at a barrier that only writes in flight together pass."""

    def __init__(self, inner: Connector, *, meet: int = 0, before: Any = None) -> None:
        self.inner = inner
        self.desk = inner.desk
        self.threads: list[str] = []
        self.read_on = ""
        self._barrier = threading.Barrier(meet) if meet > 1 else None
        self._met = 0
        self._lock = threading.Lock()
        self.before = before  # called with each write's ticket before it goes

    @property
    def calls(self) -> int:
        return self.inner.calls

    def candidates(self, *, shard: Shard | None = None) -> Iterator[Ticket]:
        self.read_on = threading.current_thread().name
        return self.inner.candidates(shard=shard)

    def apply(self, ticket: Ticket, actions: Sequence[Action]) -> ApplyResult:
        with self._lock:
            self.threads.append(threading.current_thread().name)
            waits = self._barrier is not None and self._met < self._barrier.parties
            self._met += 1
        if waits:
            assert self._barrier is not None
            self._barrier.wait(timeout=30)  # broken (an error) if the writes do not overlap
        if self.before is not None:
            self.before(ticket)
        return self.inner.apply(ticket, actions)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # refresh, history, clear_pending, budget, close


def backlog(h: Harness) -> dict[str, str]:
    keys = seed(h)
    for n in range(OUTAGES):
        keys[f"outage-{n}"] = h.add_ticket(
            title=f"Site {n} offline", created=NOW - 40 * M, priority="P1", tags=["outage"]
        )
    return keys


def cycle(
    h: Harness,
    connect: Any,
    notifier: RecordingNotifier,
    *,
    writers: int | None,
    audit: AuditLog | None = None,
    stop: threading.Event | None = None,
) -> CycleReport:
    return run_cycle(
        runner_policy(h.desk),
        now=NOW,
        connect=connect,
        notifier=notifier,
        audit=audit,
        options=RunOptions(writers=writers, budget=None),
        stop=stop,
    )


def trail(path: Path) -> list[tuple[str, str, str]]:
    """The audit records as (ticket, action, result), in the order written."""
    rows = [json.loads(line) for line in path.read_text().splitlines()]
    return [(row["ticket"], row["action"], row["result"]) for row in rows]


def by_ticket(rows: list[tuple[str, str, str]]) -> dict[str, list[tuple[str, str]]]:
    grouped: dict[str, list[tuple[str, str]]] = {}
    for ticket, action, result in rows:
        grouped.setdefault(ticket, []).append((action, result))
    return grouped


def outcome(
    desk: str, folder: Path, writers: int | None
) -> tuple[dict[str, DeskView], Any, list[tuple[str, str, str]], CycleReport, Watched]:
    with open_desk(desk, folder) as h:
        keys = backlog(h)
        notifier = RecordingNotifier()
        audit = AuditLog(folder / "audit.jsonl")
        meet = WRITERS if writers is not None else 0
        watched: list[Watched] = []

        def connect(d: Any) -> Connector:
            watched.append(Watched(h.connector(), meet=meet))
            return cast(Connector, watched[-1])

        report = cycle(h, connect, notifier, writers=writers, audit=audit)
        audit.close()
        assert report.ok, report.desks[0]
        return views(h, keys), notifier.keys(), trail(folder / "audit.jsonl"), report, watched[0]


@pytest.mark.parametrize("desk", CONCURRENT)
def test_concurrent_writes_leave_what_one_at_a_time_leaves(desk: str, tmp_path: Path) -> None:
    one = outcome(desk, tmp_path / "one", None)
    many = outcome(desk, tmp_path / "many", WRITERS)
    (one_views, one_sent, one_trail, one_report, one_seen) = one
    (many_views, many_sent, many_trail, many_report, many_seen) = many
    # the default on a fake whose calls take no time on its clock: one write at a time,
    # on the desk's own thread (what keeps the kill-at-every-effect tests deterministic)
    assert set(one_seen.threads) == {one_seen.read_on}
    # forced: the writes ran on the writing threads, WRITERS of them at once (the barrier)
    assert one_seen.read_on not in many_seen.threads and len(set(many_seen.threads)) > 1
    assert many_views == one_views
    assert many_sent == one_sent and max(many_sent.values()) == 1  # each message once
    assert sum(many_sent.values()) == 5 + 2 * OUTAGES
    # the same audit records for each ticket, in ticket order (the order read: the
    # decisions'; ServiceNow's fake breaks ties of its read order at random)
    assert by_ticket(many_trail) == by_ticket(one_trail)
    d1, d4 = one_report.desks[0], many_report.desks[0]
    assert (d4.escalated, d4.writes, d4.errors, d4.conflicts) == (
        d1.escalated,
        d1.writes,
        0,
        0,
    )
    assert d4.escalated == 3 + OUTAGES
    for trail_, report in ((one_trail, d1), (many_trail, d4)):
        assert list(dict.fromkeys(ticket for ticket, _, _ in trail_)) == [
            x.ticket for x in report.decisions
        ]
    # jira and servicenow re-read before writing, 100 candidates a call: a write that
    # overtakes an earlier one's re-read costs at most one more per write in flight
    assert d1.calls <= d4.calls <= d1.calls + WRITERS - 1


@pytest.mark.parametrize("desk", CONCURRENT)
def test_a_rerun_after_concurrent_writes_writes_nothing(desk: str, tmp_path: Path) -> None:
    with open_desk(desk, tmp_path) as h:
        keys = backlog(h)
        notifier = RecordingNotifier()
        first = cycle(h, lambda d: h.connector(), notifier, writers=WRITERS)
        assert first.ok and first.desks[0].escalated == 3 + OUTAGES
        counter = WriteCounter(h, list(keys.values()))
        before, sent = views(h, keys), len(notifier.sent)
        again = cycle(h, lambda d: h.connector(), notifier, writers=WRITERS)
        report = again.desks[0]
        assert (report.escalated, report.writes, report.errors) == (0, 0, 0)
        assert counter.total() == 0 and len(notifier.sent) == sent
        assert views(h, keys) == before


@pytest.mark.parametrize("desk", CONCURRENT)
def test_tickets_another_runner_wrote_after_the_read_are_conflicts(
    desk: str, tmp_path: Path
) -> None:
    """Another runner escalates five tickets between this one's read and its writes:
    each desk's concurrency check refuses those five writes, with several in flight."""
    with open_desk(desk, tmp_path) as h:
        keys = backlog(h)
        taken = [keys[f"outage-{n}"] for n in (0, 5, 10, 15, 20)]
        other = h.connector()
        theirs = EscalationState(path="critical-outage", level=1, since=NOW)
        mark = Action("mark", "another runner", state=theirs)
        done: set[str] = set()
        lock = threading.Lock()

        def other_runner_first(ticket: Ticket) -> None:
            with lock:
                if done:
                    return
                done.add(ticket.key)
                read = {t.key: t for t in other.candidates()}
                for key in taken:
                    other.apply(read[key], [mark])

        notifier = RecordingNotifier()
        report = cycle(
            h,
            lambda d: cast(Connector, Watched(h.connector(), before=other_runner_first)),
            notifier,
            writers=WRITERS,
        )
        desk_report = report.desks[0]
        assert (desk_report.conflicts, desk_report.errors) == (5, 0) and report.ok
        assert desk_report.escalated == 3 + OUTAGES - 5
        assert not {s.ticket for s in notifier.sent} & set(taken)
        for key in taken:  # theirs stands
            state = h.view(key).escalation
            assert (state.path, state.level) == (theirs.path, theirs.level)
        other.close()


def settled(h: Harness, keys: dict[str, str], notifier: RecordingNotifier) -> set[str]:
    """The due tickets written: each either untouched, or escalated with its messages
    sent and its pending token cleared (flushed). Returns those written."""
    sent = {s.ticket for s in notifier.sent}
    written = set()
    for name, key in keys.items():
        view = h.view(key)
        if name == "quiet":
            continue
        if view.escalation.level == 0 and view.escalation.path is None:
            assert key not in sent, name
            continue
        assert not view.escalation.pending and key in sent, name
        written.add(key)
    return written


@pytest.mark.parametrize("desk", CONCURRENT)
def test_a_stop_during_concurrent_writes_starts_no_new_write_and_flushes_the_written(
    desk: str, tmp_path: Path
) -> None:
    with open_desk(desk, tmp_path) as h:
        keys = backlog(h)
        stop = threading.Event()
        started: list[str] = []
        lock = threading.Lock()

        def stop_at_the_fifth(ticket: Ticket) -> None:
            with lock:
                started.append(ticket.key)
                if len(started) == 5:
                    stop.set()  # a SIGTERM arrives as the fifth write goes

        notifier = RecordingNotifier()
        report = cycle(
            h,
            lambda d: cast(Connector, Watched(h.connector(), before=stop_at_the_fifth)),
            notifier,
            writers=WRITERS,
            stop=stop,
        )
        assert report.ok
        written = settled(h, keys, notifier)
        # the fifth and those already past the stop check when it came: no more
        assert 5 <= len(written) == len(started) <= 5 + WRITERS - 1
        assert report.desks[0].escalated == len(written)
        again = cycle(h, lambda d: h.connector(), notifier, writers=WRITERS)
        assert again.ok and again.desks[0].escalated == 3 + OUTAGES - len(written)
        assert len(settled(h, keys, notifier)) == 3 + OUTAGES
        assert max(notifier.keys().values()) == 1  # nothing announced twice


def test_a_desk_gone_down_during_concurrent_writes_flushes_what_was_written(
    tmp_path: Path,
) -> None:
    """Zendesk answers 503 to every ticket update after the first two: the writes in
    flight finish (and fail), no new one starts, and the two written are confirmed."""
    with open_desk("zendesk", tmp_path) as h:
        keys = backlog(h)
        fake = cast(Any, h).fake
        fake.inject("503", method="PUT", path=r"/tickets/\d+\.json$", times=10_000, after=2)
        notifier = RecordingNotifier()
        report = cycle(h, lambda d: h.connector(), notifier, writers=WRITERS)
        desk = report.desks[0]
        assert not report.ok and desk.failed is not None and "HTTP 503" in desk.failed
        assert len(settled(h, keys, notifier)) == desk.escalated == 2
        assert 1 <= desk.errors <= WRITERS  # the writes in flight when it went down
        assert fake.faulted["503"] <= 5 * WRITERS  # their attempts, not every ticket's
        fake.faults.clear()
        again = cycle(h, lambda d: h.connector(), notifier, writers=WRITERS)
        assert again.ok and again.desks[0].escalated == 3 + OUTAGES - 2
        assert max(notifier.keys().values()) == 1


def test_the_budget_sizes_the_writes_in_flight(tmp_path: Path) -> None:
    """No RunOptions.writers: the account's budget says how many writes at once it can
    use, from its rate and the calls' latency (here 2500/min at 50 ms: three)."""
    with open_desk("zendesk", tmp_path) as h:
        backlog(h)
        budget = RateBudget(parse_rate("2500/min"), clock=lambda: 0.0, sleep=lambda s: None)
        for _ in range(20):
            budget.served(0.05)
        assert budget.in_flight() == 3
        watched: list[Watched] = []

        def connect(d: Any) -> Connector:
            watched.append(Watched(h.connector(), meet=3))
            watched[-1].budget = budget  # type: ignore[attr-defined]
            return cast(Connector, watched[-1])

        report = cycle(h, connect, RecordingNotifier(), writers=None)
        assert report.ok and report.desks[0].escalated == 3 + OUTAGES
        assert len(set(watched[0].threads)) == 3 and watched[0].read_on not in watched[0].threads


def test_the_sandbox_writes_one_at_a_time_whatever_is_asked(tmp_path: Path) -> None:
    """An embedded SQLite file: its type does not declare concurrent writes."""
    assert not desk_kind("sandbox").concurrent_writes
    with open_desk("sandbox", tmp_path) as h:
        backlog(h)
        watched: list[Watched] = []

        def connect(d: Any) -> Connector:
            watched.append(Watched(h.connector()))
            return cast(Connector, watched[-1])

        report = cycle(h, connect, RecordingNotifier(), writers=8)
        assert report.ok and report.desks[0].escalated == 3 + OUTAGES
        assert set(watched[0].threads) == {watched[0].read_on}


class FillingAudit(AuditLog):
    """An audit log whose disk fills up after `room` records."""

    def __init__(self, path: Path, room: int) -> None:
        super().__init__(path)
        self.room = room

    def write(self, record: Any) -> None:
        if self.records >= self.room:
            raise self._error(OSError(28, "No space left on device"))
        super().write(record)


def test_a_failed_audit_write_ends_the_desk_and_starts_no_new_write(tmp_path: Path) -> None:
    with open_desk("zendesk", tmp_path) as h:
        keys = backlog(h)
        audit = FillingAudit(tmp_path / "audit.jsonl", room=2)
        watched: list[Watched] = []

        def connect(d: Any) -> Connector:
            watched.append(Watched(h.connector()))
            return cast(Connector, watched[-1])

        notifier = RecordingNotifier()
        report = cycle(h, connect, notifier, writers=WRITERS, audit=audit)
        audit.close()
        (desk,) = report.desks
        assert not report.ok and desk.failed is not None
        assert desk.failed.startswith("cannot write the audit log")
        # the writes never run more than WRITERS ahead of the results taken: past the
        # ticket whose audit failed, only the writes in flight then went out
        assert desk.escalated <= len(watched[0].threads) <= desk.escalated + WRITERS - 1
        assert notifier.sent == []  # nothing the audit cannot record is announced
        assert len(keys) == 4 + OUTAGES
