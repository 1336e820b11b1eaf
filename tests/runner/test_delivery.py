"""The runner's chunks: a desk's due tickets are written one `apply` each, then the
chunk's messages go out in one `send_many` (where the notifier has it), then one
`clear_pending` (where the desk has it) confirms the tickets whose messages went
out. Where a capability is missing the runner falls back (`send` per message, a
clearing `apply` per ticket); tests/runner/test_exactly_once.py kills each way."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from pathlib import Path
from typing import Any
from typing import cast

import pytest

from escalada.connectors.base import ApplyResult
from escalada.connectors.base import Connector
from escalada.errors import DeskUnavailable
from escalada.notify import Notification
from escalada.notify import NotifyResult
from escalada.runner import RESEND_AFTER
from escalada.runner import RunOptions
from escalada.runner import run_cycle
from escalada.ticket import Action
from escalada.ticket import Ticket
from tests.connectors.contract import NOW
from tests.connectors.contract import Harness
from tests.runner_fixtures import M
from tests.runner_fixtures import RecordingNotifier
from tests.runner_fixtures import open_desk
from tests.runner_fixtures import run
from tests.runner_fixtures import runner_policy
from tests.runner_fixtures import seed
from tests.runner_fixtures import views

LATER = NOW + RESEND_AFTER + 2 * M


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Harness]:
    with open_desk("sandbox", tmp_path) as h:
        yield h


@dataclass
class BatchingNotifier(RecordingNotifier):
    """A notifier with `send_many`: records each call's items, sends them in order."""

    batches: list[list[tuple[str, str]]] = field(default_factory=list)

    def send_many(self, items: Sequence[tuple[str, Notification]]) -> list[NotifyResult]:
        self.batches.append([(channel, message.ticket) for channel, message in items])
        return [self.send(channel, message) for channel, message in items]


class BulkClearing:
    """A desk with `clear_pending`, the runner's side of the PendingClearing contract
    (escalada.connectors.base): records each call's tickets, clears them with the
    desk's own marker write, and leaves out (and raises for) the tickets asked."""

    def __init__(
        self,
        inner: Connector,
        calls: list[list[Ticket]],
        *,
        leave_out: frozenset[str] = frozenset(),
        down: bool = False,
    ) -> None:
        self.inner, self.clearings, self.leave_out, self.down = inner, calls, leave_out, down
        self.desk = inner.desk

    def clear_pending(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        self.clearings.append(list(tickets))
        if self.down:
            raise DeskUnavailable(self.desk.name, "clear pending", "HTTP 503 after 5 attempts")
        from escalada.runner.writes import _after_write

        cleared = []
        for ticket in tickets:
            if ticket.key in self.leave_out:
                continue
            state = ticket.escalation
            assert state.pending  # as the runner wrote it this cycle
            mark = Action("mark", "cleared", state=replace(state, pending=False))
            result = self.inner.apply(ticket, [mark])
            cleared.append(_after_write(ticket, [mark], result.revision))
        return cleared

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def bulk(h: Harness, calls: list[list[Ticket]], **kw: Any) -> Any:
    return lambda desk: cast(Connector, BulkClearing(h.connector(), calls, **kw))


def test_a_chunk_s_messages_go_out_in_one_send_many(sandbox: Harness) -> None:
    keys = seed(sandbox)
    notifier = BatchingNotifier()
    report = run(sandbox, runner_policy(sandbox.desk), NOW, notifier).desks[0]
    (batch,) = notifier.batches
    assert batch == [
        ("net", keys["outage"]),
        ("sd-leads", keys["outage"]),
        ("mgmt", keys["vip"]),
        ("net", keys["slow"]),
        ("sd-leads", keys["slow"]),
    ]
    assert (report.notifications, report.escalated) == (5, 3)
    assert not any(v.escalation.pending for v in views(sandbox, keys).values())


def test_a_chunk_s_tokens_are_cleared_in_one_call(sandbox: Harness) -> None:
    keys = seed(sandbox)
    calls: list[list[Ticket]] = []
    notifier = RecordingNotifier()
    report = run(sandbox, runner_policy(sandbox.desk), NOW, notifier, connect=bulk(sandbox, calls))
    desk = report.desks[0]
    (cleared,) = calls
    assert [t.key for t in cleared] == [keys["outage"], keys["vip"], keys["slow"]]
    assert (desk.escalated, desk.writes, desk.notifications) == (3, 4, 5)  # 3 writes + 1 clearing
    assert not any(v.escalation.pending for v in views(sandbox, keys).values())
    again = run(sandbox, runner_policy(sandbox.desk), LATER, notifier, connect=bulk(sandbox, calls))
    assert again.desks[0].writes == 0 and len(notifier.sent) == 5


def test_chunks_of_the_batch_size(sandbox: Harness) -> None:
    keys = seed(sandbox)
    calls: list[list[Ticket]] = []
    notifier = BatchingNotifier()
    run(
        sandbox,
        runner_policy(sandbox.desk),
        NOW,
        notifier,
        connect=bulk(sandbox, calls),
        options=RunOptions(batch=2),
    )
    assert [[t.key for t in c] for c in calls] == [[keys["outage"], keys["vip"]], [keys["slow"]]]
    assert [len(b) for b in notifier.batches] == [3, 2]


def test_only_the_tickets_a_channel_took_are_cleared(sandbox: Harness) -> None:
    """`mgmt` is down: the VIP ticket (announced there only) keeps its token and is
    retried past the lease; the others are cleared in the one call."""
    keys = seed(sandbox)
    calls: list[list[Ticket]] = []
    notifier = RecordingNotifier(failing={"mgmt"})
    run(sandbox, runner_policy(sandbox.desk), NOW, notifier, connect=bulk(sandbox, calls))
    assert [[t.key for t in c] for c in calls] == [[keys["outage"], keys["slow"]]]
    assert {n for n, v in views(sandbox, keys).items() if v.escalation.pending} == {"vip"}
    notifier.failing.clear()
    run(sandbox, runner_policy(sandbox.desk), LATER, notifier, connect=bulk(sandbox, calls))
    assert [s.key[:2] for s in notifier.sent if s.ticket == keys["vip"]] == [("mgmt", keys["vip"])]
    assert not any(v.escalation.pending for v in views(sandbox, keys).values())


def test_a_ticket_the_desk_left_out_is_re_sent_past_the_lease(sandbox: Harness) -> None:
    """The gap: its messages went out and its token stayed (edited meanwhile, say),
    so a cycle past the lease sends them again, marked as re-sent; never lost."""
    keys = seed(sandbox)
    calls: list[list[Ticket]] = []
    notifier = RecordingNotifier()
    left = frozenset({keys["outage"]})
    connect = bulk(sandbox, calls, leave_out=left)
    run(sandbox, runner_policy(sandbox.desk), NOW, notifier, connect=connect)
    assert {n for n, v in views(sandbox, keys).items() if v.escalation.pending} == {"outage"}
    run(sandbox, runner_policy(sandbox.desk), NOW, notifier, connect=bulk(sandbox, calls))
    assert len(notifier.sent) == 5  # a young token is left to the runner that wrote it
    run(sandbox, runner_policy(sandbox.desk), LATER, notifier, connect=bulk(sandbox, calls))
    again = notifier.sent[5:]
    assert sorted(s.channel for s in again) == ["net", "sd-leads"]
    assert all(s.ticket == keys["outage"] and "re-sent" in s.reason for s in again)
    assert not any(v.escalation.pending for v in views(sandbox, keys).values())


class DownAt:
    """A desk that goes down (past its retry budget) when writing one ticket."""

    def __init__(self, inner: Connector, key: str) -> None:
        self.inner, self.key = inner, key
        self.desk = inner.desk

    def apply(self, ticket: Ticket, actions: Sequence[Action]) -> ApplyResult:
        if ticket.key == self.key:
            raise DeskUnavailable(self.desk.name, f"update {ticket.key}", "HTTP 503 x5")
        return self.inner.apply(ticket, actions)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


def test_a_desk_gone_down_mid_chunk_confirms_what_it_wrote_then_ends(sandbox: Harness) -> None:
    keys = seed(sandbox)
    notifier = RecordingNotifier()
    report = run(
        sandbox,
        runner_policy(sandbox.desk),
        NOW,
        notifier,
        connect=lambda d: cast(Connector, DownAt(sandbox.connector(), keys["vip"])),
    )
    desk = report.desks[0]
    assert not report.ok and desk.failed is not None and "HTTP 503" in desk.failed
    assert (desk.escalated, desk.errors) == (1, 1)
    assert {s.ticket for s in notifier.sent} == {keys["outage"]}
    done = views(sandbox, keys)
    assert done["outage"].escalation.level == 1 and not done["outage"].escalation.pending
    assert done["slow"].escalation.path is None  # never reached: the next cycle does it


def test_a_clearing_call_that_fails_leaves_the_tokens_and_ends_the_desk(sandbox: Harness) -> None:
    keys = seed(sandbox)
    calls: list[list[Ticket]] = []
    notifier = RecordingNotifier()
    report = run(
        sandbox,
        runner_policy(sandbox.desk),
        NOW,
        notifier,
        connect=bulk(sandbox, calls, down=True),
        options=RunOptions(batch=2),
    )
    desk = report.desks[0]
    assert not report.ok and len(calls) == 1  # the second chunk is not tried
    pending = {n for n, v in views(sandbox, keys).items() if v.escalation.pending}
    assert pending == {"outage", "vip"}
    run(sandbox, runner_policy(sandbox.desk), LATER, notifier, connect=bulk(sandbox, []))
    resent = [s for s in notifier.sent if "re-sent" in s.reason]
    assert sorted(s.channel for s in resent) == ["mgmt", "net", "sd-leads"]
    assert desk.notifications == 3
    assert not any(v.escalation.pending for v in views(sandbox, keys).values())


def test_a_stopped_chunk_confirms_each_ticket_as_its_messages_go_out(sandbox: Harness) -> None:
    """After a stop, requests soon are refused (the signal's grace): the tickets in
    hand are then cleared one by one, so a cut-off leaves one ticket in the gap."""
    keys = seed(sandbox)
    calls: list[list[Ticket]] = []
    stop = threading.Event()

    class StopAtSlow(BulkClearing):
        def apply(self, ticket: Ticket, actions: Sequence[Action]) -> ApplyResult:
            if ticket.key == keys["slow"]:
                stop.set()  # SIGTERM while the chunk is being written
            return self.inner.apply(ticket, actions)

    notifier = BatchingNotifier()
    report = run_cycle(
        runner_policy(sandbox.desk),
        now=NOW,
        connect=lambda d: cast(Connector, StopAtSlow(sandbox.connector(), calls)),
        notifier=notifier,
        stop=stop,
    )
    assert report.desks[0].escalated == 3
    assert [[t.key for t in c] for c in calls] == [[keys["outage"]], [keys["vip"]], [keys["slow"]]]
    assert [len(b) for b in notifier.batches] == [2, 1, 2]
    assert not any(v.escalation.pending for v in views(sandbox, keys).values())
