"""The runner's cycle: per-ticket and per-desk isolation, bounded concurrency, the
stop signal, dry runs, the pending token's re-send rules, conflicts, audit and
the summary; and on every desk harness, an immediate second run writes nothing."""

from __future__ import annotations

import threading
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any
from typing import cast

import pytest

from escalada import marker
from escalada.audit import AuditLog
from escalada.connectors.base import ApplyResult
from escalada.connectors.base import Connector
from escalada.connectors.base import Shard
from escalada.errors import DeskError
from escalada.policy.model import Desk
from escalada.policy.model import Team
from escalada.runner import RESEND_AFTER
from escalada.runner import CycleReport
from escalada.runner import DeskReport
from escalada.runner import RunOptions
from escalada.runner import run_cycle
from escalada.ticket import Action
from escalada.ticket import EscalationState
from escalada.ticket import Ticket
from tests.connectors.contract import NOW
from tests.connectors.contract import Harness
from tests.runner_fixtures import H
from tests.runner_fixtures import M
from tests.runner_fixtures import RecordingNotifier
from tests.runner_fixtures import WriteCounter
from tests.runner_fixtures import clearing_writes
from tests.runner_fixtures import harness_params
from tests.runner_fixtures import open_desk
from tests.runner_fixtures import run
from tests.runner_fixtures import runner_policy
from tests.runner_fixtures import seed
from tests.runner_fixtures import views


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Harness]:
    with open_desk("sandbox", tmp_path) as h:
        yield h


@pytest.mark.parametrize("desk", harness_params())
def test_an_immediate_second_run_writes_nothing(desk: str, tmp_path: Path) -> None:
    with open_desk(desk, tmp_path) as h:
        keys = seed(h)
        policy = runner_policy(h.desk)
        counter = WriteCounter(h, list(keys.values()))
        notifier = RecordingNotifier()
        first = run(h, policy, NOW, notifier)
        assert first.desks[0].escalated == 3
        # Jira: a note is its own request; a bulk clearing is one write for the three
        assert counter.total() >= first.desks[0].writes == 3 + clearing_writes(h, 3)
        before, written, sent = views(h, keys), counter.total(), len(notifier.sent)
        second = run(h, policy, NOW, notifier)
        report = second.desks[0]
        assert (report.seen, report.escalated, report.writes, report.errors) == (4, 0, 0, 0)
        assert counter.total() == written  # the fake served no write
        assert len(notifier.sent) == sent and views(h, keys) == before


# --- isolation ----------------------------------------------------------------------------


class Failing:
    """A connector that fails the apply of chosen tickets (with `error`)."""

    def __init__(self, inner: Connector, keys: set[str], error: BaseException) -> None:
        self.inner, self.keys, self.error = inner, keys, error
        self.desk = inner.desk

    @property
    def calls(self) -> int:
        return self.inner.calls

    def candidates(self, *, shard: Shard | None = None) -> Iterator[Ticket]:
        return self.inner.candidates(shard=shard)

    def apply(self, ticket: Ticket, actions: Sequence[Action]) -> ApplyResult:
        if ticket.key in self.keys:
            raise self.error
        return self.inner.apply(ticket, actions)

    def refresh(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        return self.inner.refresh(tickets)

    def close(self) -> None:
        self.inner.close()


@pytest.mark.parametrize(
    "error",
    [
        DeskError("sandbox-contract", "update SB-1", "HTTP 403", status=403),
        ValueError("a bug in a connector"),
    ],
    ids=["desk-error", "bug"],
)
def test_a_failing_ticket_is_counted_and_the_others_go_on(
    sandbox: Harness, error: Exception, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    keys = seed(sandbox)
    audit = AuditLog(tmp_path / "audit.jsonl")
    notifier = RecordingNotifier()
    report = run(
        sandbox,
        runner_policy(sandbox.desk),
        NOW,
        notifier,
        connect=lambda d: cast(Connector, Failing(sandbox.connector(), {keys["outage"]}, error)),
        audit=audit,
    )
    desk = report.desks[0]
    # the others go on; the cycle is not ok (`run` exits 1: issue 12)
    assert not report.ok and (desk.errors, desk.escalated) == (1, 2)
    assert {s.ticket for s in notifier.sent} == {keys["vip"], keys["slow"]}
    assert views(sandbox, keys)["outage"].escalation.path is None
    failure = [r for r in caplog.records if r.levelname == "ERROR"]
    assert len(failure) == 1 and str(error) in failure[0].getMessage()
    # one line, a bug too: the traceback only with --debug (DESIGN.md; issue 12)
    assert not failure[0].exc_info
    audit.close()
    text = (tmp_path / "audit.jsonl").read_text(encoding="utf-8")
    assert f'"ticket": "{keys["outage"]}"' in text and '"result": "failed: ' in text


class Unreachable:
    def __init__(self, desk: Desk, error: BaseException) -> None:
        self.desk, self.error = desk, error

    @property
    def calls(self) -> int:
        return 3

    def candidates(self, *, shard: Shard | None = None) -> Iterator[Ticket]:
        raise self.error

    def close(self) -> None:
        pass


def two_desks(h: Harness) -> tuple[Any, Desk]:
    down = replace(h.desk, name="down")
    return runner_policy(h.desk, down), down


@pytest.mark.parametrize(
    ("error", "why"),
    [
        (DeskError("down", "read candidates", "HTTP 503 after 5 attempts"), "desk 'down': read"),
        (KeyError("fields"), "internal error: KeyError: 'fields'"),
    ],
)
def test_a_failing_desk_does_not_stop_the_others(
    sandbox: Harness, error: Exception, why: str
) -> None:
    keys = seed(sandbox)
    policy, down = two_desks(sandbox)

    def connect(desk: Desk) -> Any:
        return Unreachable(desk, error) if desk.name == "down" else sandbox.connector()

    report = run_cycle(policy, now=NOW, connect=connect, notifier=RecordingNotifier())
    by_name = {d.desk: d for d in report.desks}
    assert not report.ok
    assert by_name["down"].failed is not None and by_name["down"].failed.startswith(why)
    assert by_name["down"].calls == 3  # counted even when the desk fails
    assert by_name[sandbox.desk.name].escalated == 3 and by_name[sandbox.desk.name].failed is None
    assert "2 desk(s), 4 tickets seen, 3 written, 1 errors" in report.summary()
    assert views(sandbox, keys)["outage"].escalation.level == 1


def test_a_desk_that_cannot_be_connected_to_fails_alone(sandbox: Harness) -> None:
    seed(sandbox)
    policy, down = two_desks(sandbox)

    def connect(desk: Desk) -> Any:
        if desk.name == "down":
            raise DeskError("down", "sign in", "HTTP 401", hint="check the credentials")
        return sandbox.connector()

    report = run_cycle(policy, now=NOW, connect=connect, notifier=RecordingNotifier())
    assert [(d.desk, d.failed, d.calls) for d in report.desks] == [
        # the page, the history read, three writes and one clearing for the chunk
        (sandbox.desk.name, None, 6),
        ("down", "desk 'down': sign in: HTTP 401 (check the credentials)", 0),
    ]


def test_desks_run_concurrently_and_bounded(sandbox: Harness) -> None:
    desks = [replace(sandbox.desk, name=f"desk-{n}") for n in range(5)]
    policy = runner_policy(*desks)
    together = threading.Barrier(2, timeout=30)  # two desks must be inside at once
    threads: set[str] = set()
    lock = threading.Lock()

    class Meet:
        def __init__(self, desk: Desk) -> None:
            self.desk = desk
            self.calls = 0

        def candidates(self, *, shard: Shard | None = None) -> Iterator[Ticket]:
            with lock:
                threads.add(threading.current_thread().name)
            if self.desk.name in ("desk-0", "desk-1"):
                together.wait()
            return iter(())

        def refresh(self, tickets: Sequence[Ticket]) -> list[Ticket]:
            return list(tickets)

        def close(self) -> None:
            pass

    report = run_cycle(
        policy,
        now=NOW,
        connect=cast("Callable[[Desk], Connector]", Meet),
        notifier=RecordingNotifier(),
        options=RunOptions(concurrency=2),
    )
    assert report.ok and len(report.desks) == 5
    assert len(threads) == 2  # never more workers than --concurrency


# --- stopping -------------------------------------------------------------------------------


class StopAfterWrite:
    """A connector that sets the run's stop (a SIGTERM) once it has written a ticket."""

    def __init__(self, inner: Connector, stop: threading.Event) -> None:
        self.inner, self.stop = inner, stop
        self.desk = inner.desk

    def apply(self, ticket: Ticket, actions: Sequence[Action]) -> ApplyResult:
        try:
            return self.inner.apply(ticket, actions)
        finally:
            self.stop.set()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.mark.parametrize("batch", [1, RunOptions().batch], ids=["one-by-one", "chunk"])
def test_stop_finishes_the_ticket_in_hand_and_leaves_the_rest(sandbox: Harness, batch: int) -> None:
    keys = seed(sandbox)
    stop = threading.Event()
    notifier = RecordingNotifier()
    report = run_cycle(
        runner_policy(sandbox.desk),
        now=NOW,
        connect=lambda d: cast(Connector, StopAfterWrite(sandbox.connector(), stop)),
        notifier=notifier,
        stop=stop,
        options=RunOptions(batch=batch),
    )
    done = views(sandbox, keys)
    assert report.desks[0].escalated == 1
    assert done["outage"].escalation.level == 1 and not done["outage"].escalation.pending
    assert len(notifier.sent) == 2  # both channels of the ticket in hand
    assert done["vip"].escalation.path is None and done["slow"].escalation.path is None


def test_stop_while_sending_a_chunk_sends_and_clears_all_it_wrote(sandbox: Harness) -> None:
    """A chunk's tickets are all written before its messages go out: a stop (SIGTERM)
    that comes while they go out ends the cycle after the chunk is confirmed."""
    keys = seed(sandbox)
    stop = threading.Event()
    notifier = RecordingNotifier(before_send=lambda channel, message: stop.set())
    report = run_cycle(
        runner_policy(sandbox.desk),
        now=NOW,
        connect=lambda d: sandbox.connector(),
        notifier=notifier,
        stop=stop,
        options=RunOptions(batch=2),
    )
    done = views(sandbox, keys)
    assert report.desks[0].escalated == 2 and len(notifier.sent) == 3
    assert {n for n, v in done.items() if v.escalation.path} == {"outage", "vip"}
    assert not any(v.escalation.pending for v in done.values())


# --- dry run --------------------------------------------------------------------------------


def test_dry_run_decides_audits_and_touches_nothing(sandbox: Harness, tmp_path: Path) -> None:
    keys = seed(sandbox)
    counter = WriteCounter(sandbox, list(keys.values()))
    notifier = RecordingNotifier()
    audit = AuditLog(tmp_path / "audit.jsonl")
    report = run(
        sandbox,
        runner_policy(sandbox.desk),
        NOW,
        notifier,
        options=RunOptions(dry_run=True),
        audit=audit,
    )
    audit.close()
    desk = report.desks[0]
    assert (desk.escalated, desk.writes, counter.total(), notifier.sent) == (3, 0, 0, [])
    assert [d.ticket for d in desk.decisions] == [keys["outage"], keys["vip"], keys["slow"]]
    assert "3 would write" in report.summary()
    lines = (tmp_path / "audit.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == sum(len(d.actions) for d in desk.decisions)
    assert all('"dry_run": true' in line and '"result": "dry-run"' in line for line in lines)


# --- the pending token -------------------------------------------------------------------


def pending_ticket(h: Harness, *, since_ago: Any, created_ago: Any = 100 * M, **state: Any) -> str:
    """A P1 outage ticket escalated to L1 `since_ago`, whose notifications never went out."""
    escalation = EscalationState(
        path="critical-outage", level=1, since=NOW - since_ago, pending=True, **state
    )
    return h.add_ticket(
        title="Core router flapping",
        created=NOW - created_ago,
        priority="P1",
        tags=["outage", *marker.encode(escalation)],
        team="network-l2",
    )


def run_one(h: Harness, notifier: RecordingNotifier, now: Any = NOW, **kw: Any) -> DeskReport:
    return run(h, runner_policy(h.desk), now, notifier, **kw).desks[0]


def test_a_young_pending_token_is_left_to_the_runner_sending_it(sandbox: Harness) -> None:
    key = pending_ticket(sandbox, since_ago=RESEND_AFTER - M)
    notifier = RecordingNotifier()
    report = run_one(sandbox, notifier)
    assert (report.writes, notifier.sent) == (0, [])
    assert sandbox.view(key).escalation.pending


def test_an_old_pending_token_is_re_sent_then_cleared(sandbox: Harness) -> None:
    key = pending_ticket(sandbox, since_ago=RESEND_AFTER)
    notifier = RecordingNotifier()
    report = run_one(sandbox, notifier)
    assert [(s.channel, s.level, s.action) for s in notifier.sent] == [
        ("net", 1, "notify"),
        ("sd-leads", 1, "notify"),
    ]
    assert (
        "notification re-sent: the run of 2026-11-23T09:50:00Z stopped" in notifier.sent[0].reason
    )
    assert report.writes == 1  # only the clearing write: the escalation is on the desk already
    view = sandbox.view(key)
    assert not view.escalation.pending and view.notes == ()
    assert view.escalation == EscalationState("critical-outage", 1, since=NOW - RESEND_AFTER)


def test_the_lease_runs_from_the_desks_last_update_when_later(tmp_path: Path) -> None:
    """A runner whose cycle started long before it wrote this ticket: the desk's own
    updated time says the token is young."""
    with open_desk("zendesk", tmp_path) as h:
        key = pending_ticket(h, since_ago=30 * M)
        cast(Any, h).fake.tickets[int(key)]["updated_at"] = "2026-11-23T09:55:00Z"  # 5m ago
        notifier = RecordingNotifier()
        assert run_one(h, notifier).writes == 0 and notifier.sent == []
        assert run_one(h, notifier, now=NOW + 6 * M).writes == 1
        assert {s.channel for s in notifier.sent} == {"net", "sd-leads"}


def test_a_pending_token_rides_along_with_a_stakeholder_update(sandbox: Harness) -> None:
    key = pending_ticket(sandbox, since_ago=61 * M)  # P1 updates every hour
    notifier = RecordingNotifier()
    report = run_one(sandbox, notifier)
    assert sorted((s.channel, s.action) for s in notifier.sent) == [
        ("net", "notify"),
        ("net", "update"),
        ("sd-leads", "notify"),
        ("sd-leads", "update"),
    ]
    assert report.writes == 2  # the update note with the token, then the clearing write
    view = sandbox.view(key)
    assert view.escalation.updated == NOW and not view.escalation.pending
    assert len(view.notes) == 1


def test_a_new_level_supersedes_an_unsent_one(sandbox: Harness) -> None:
    key = pending_ticket(sandbox, since_ago=H, created_ago=3 * H)  # L2 is due at 2h
    notifier = RecordingNotifier()
    run_one(sandbox, notifier)
    assert [(s.channel, s.level) for s in notifier.sent] == [("mgmt", 2)]
    view = sandbox.view(key)
    assert (view.escalation.level, view.escalation.pending) == (2, False)


def test_a_ticket_off_its_path_drops_its_unsent_notifications(sandbox: Harness) -> None:
    """The clear supersedes the token: no one hears of a level the ticket left."""
    key = pending_ticket(sandbox, since_ago=H)
    policy = runner_policy(sandbox.desk)
    policy = replace(policy, paths={"standard": policy.paths["standard"]})  # its path is gone
    notifier = RecordingNotifier()
    report = run(sandbox, policy, NOW, notifier).desks[0]
    assert notifier.sent == [] and report.writes == 1
    assert sandbox.view(key).escalation == EscalationState()


def test_a_level_whose_team_has_no_channel_clears_the_token(sandbox: Harness) -> None:
    key = pending_ticket(sandbox, since_ago=H)
    policy = runner_policy(sandbox.desk)
    teams = {**policy.teams, "network-l2": Team("network-l2")}
    notifier = RecordingNotifier()
    report = run(sandbox, replace(policy, teams=teams), NOW, notifier).desks[0]
    assert (notifier.sent, report.writes) == ([], 1)
    assert not sandbox.view(key).escalation.pending


@pytest.mark.parametrize(
    ("failing", "pending_after"),
    [(set(), False), ({"net"}, False), ({"net", "sd-leads"}, True)],
    ids=["all-sent", "one-of-two-failed", "none-sent"],
)
def test_the_token_stays_only_when_no_channel_took_the_message(
    sandbox: Harness, failing: set[str], pending_after: bool
) -> None:
    key = sandbox.add_ticket(
        title="Core switch down", created=NOW - 40 * M, priority="P1", tags=["outage"]
    )
    notifier = RecordingNotifier(failing=failing)
    report = run_one(sandbox, notifier)
    assert report.notify_failures == len(failing)
    assert report.notifications == 2 - len(failing)
    assert sandbox.view(key).escalation.pending is pending_after
    assert report.writes == (1 if pending_after else 2)


def test_a_message_that_may_have_been_delivered_is_never_sent_again(sandbox: Harness) -> None:
    """A slow receiver that posts each message but answers after the read timeout:
    the message is settled (at most once), so the lease re-sends nothing."""
    key = sandbox.add_ticket(
        title="Core switch down", created=NOW - 40 * M, priority="P1", tags=["outage"]
    )
    notifier = RecordingNotifier(unconfirmed={"net", "sd-leads"})
    report = run_one(sandbox, notifier)
    assert (report.notifications, report.notify_failures) == (0, 2)
    assert not sandbox.view(key).escalation.pending
    run_one(sandbox, notifier, now=NOW + RESEND_AFTER + M)
    assert sorted(notifier.keys().values()) == [1, 1]  # each message went out once


def test_without_a_notifier_nothing_is_lost(sandbox: Harness) -> None:
    key = sandbox.add_ticket(
        title="Core switch down", created=NOW - 40 * M, priority="P1", tags=["outage"]
    )
    report = run(sandbox, runner_policy(sandbox.desk), NOW, None).desks[0]
    assert report.notify_failures == 2 and sandbox.view(key).escalation.pending


# --- conflicts ----------------------------------------------------------------------------


def test_a_ticket_edited_between_read_and_write_is_a_counted_conflict(
    sandbox: Harness, tmp_path: Path
) -> None:
    keys = seed(sandbox)
    connector = sandbox.connector()
    tickets = list(connector.candidates())
    sandbox.edit(keys["outage"], title="Core switch down in Oslo and Bergen")

    class Stale:
        desk = connector.desk
        calls = 0

        def candidates(self, *, shard: Shard | None = None) -> Iterator[Ticket]:
            return iter(tickets)

        def apply(self, ticket: Ticket, actions: Sequence[Action]) -> ApplyResult:
            return connector.apply(ticket, actions)

        def refresh(self, tickets: Sequence[Ticket]) -> list[Ticket]:
            return list(tickets)

        def close(self) -> None:
            pass  # the harness closes the connector it made

    audit = AuditLog(tmp_path / "audit.jsonl")
    notifier = RecordingNotifier()
    report = run(
        sandbox,
        runner_policy(sandbox.desk),
        NOW,
        notifier,
        connect=lambda d: cast(Connector, Stale()),
    )
    audit.close()
    desk = report.desks[0]
    assert (desk.conflicts, desk.errors, desk.escalated) == (1, 0, 2) and report.ok
    assert keys["outage"] not in {s.ticket for s in notifier.sent}
    assert "1 conflicts" in report.summary()
    again = run(sandbox, runner_policy(sandbox.desk), NOW, notifier)  # the next cycle re-reads
    assert again.desks[0].escalated == 1 and views(sandbox, keys)["outage"].escalation.level == 1


# --- summary --------------------------------------------------------------------------------


def test_summary_and_totals() -> None:
    report = CycleReport(
        started=NOW,
        desks=[
            DeskReport("a", seen=10, escalated=2, errors=1, calls=7, notifications=3),
            DeskReport("b", seen=5, calls=2, failed="desk 'b': HTTP 401", conflicts=1),
        ],
        duration=1.25,
    )
    assert report.summary() == (
        "cycle 2026-11-23T10:00:00Z: 2 desk(s), 15 tickets seen, 2 written, 2 errors, "
        "1 conflicts, 9 API calls, 1.2s"
    )
    assert report.totals() == {
        "desks": 2,
        "seen": 15,
        "escalated": 2,
        "errors": 2,
        "conflicts": 1,
        "notifications": 3,
        "notify_failures": 0,
        "calls": 9,
        "duration": 1.25,
        "dry_run": False,
    }
    assert not report.ok


def test_a_desk_that_goes_down_mid_cycle_stops_its_part_at_once(tmp_path: Path) -> None:
    """Past the retry budget on one write, the other tickets are not tried one by one
    (each would spend the budget again): the desk fails, the next cycle resumes."""
    with open_desk("zendesk", tmp_path) as h:
        keys = seed(h)
        h.inject("503", on="write", times=1000)
        notifier = RecordingNotifier()
        report = run(h, runner_policy(h.desk), NOW, notifier)
        desk = report.desks[0]
        assert not report.ok and desk.failed is not None and "HTTP 503" in desk.failed
        assert (desk.errors, desk.escalated, notifier.sent) == (1, 0, [])
        fake = cast(Any, h).fake
        assert fake.faulted["503"] == 5  # one write's attempts, not one per ticket
        assert sum(h.sleeps) <= 120
        fake.faults.clear()
        again = run(h, runner_policy(h.desk), NOW, notifier)
        assert again.ok and again.desks[0].escalated == 3
        assert {v.escalation.level for v in views(h, keys).values()} == {0, 1, 2}


def test_a_desk_named_twice_runs_once(sandbox: Harness) -> None:
    seed(sandbox)
    name = sandbox.desk.name
    report = run(
        sandbox,
        runner_policy(sandbox.desk),
        NOW,
        RecordingNotifier(),
        options=RunOptions(desks=(name, name)),
    )
    assert [d.desk for d in report.desks] == [name] and report.desks[0].conflicts == 0


class _FillingAudit(AuditLog):
    """An audit log whose disk fills up after `room` records."""

    def __init__(self, path: Path, room: int) -> None:
        super().__init__(path)
        self.room = room

    def write(self, record: Any) -> None:
        if self.records >= self.room:
            raise self._error(OSError(28, "No space left on device"))
        super().write(record)


def test_a_failed_audit_write_stops_the_desk_with_one_line(
    sandbox: Harness, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    seed(sandbox)
    audit = _FillingAudit(tmp_path / "audit.jsonl", room=2)
    report = run(sandbox, runner_policy(sandbox.desk), NOW, RecordingNotifier(), audit=audit)
    audit.close()
    (desk,) = report.desks
    assert not report.ok and desk.failed is not None
    assert desk.failed.startswith("cannot write the audit log") and desk.escalated == 1
    errors = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert errors == [f"desk {desk.desk} failed: {desk.failed}"]  # one line, no ticket's


def test_tickets_whose_priority_the_policy_lacks_get_one_warning_per_cycle(
    sandbox: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    for i in range(7):
        sandbox.add_ticket(title=f"odd {i}", created=NOW - H, priority="P3")
    seed(sandbox)
    policy = runner_policy(sandbox.desk)
    assert policy.matrix is not None
    kept = {name: p for name, p in policy.matrix.priorities.items() if name != "P3"}
    policy = replace(policy, matrix=replace(policy.matrix, priorities=kept))
    for _ in range(2):
        run(sandbox, policy, NOW, RecordingNotifier(), options=RunOptions(dry_run=True))
    warnings = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert len(warnings) == 2  # one per cycle, not one per ticket
    assert warnings[0].startswith(
        "desk sandbox-contract: 9 ticket(s) have a priority the policy does not define (P3): "
        "SB-1, SB-2, SB-3, SB-4, SB-5 and 4 more; they run with no SLA targets"
    )
