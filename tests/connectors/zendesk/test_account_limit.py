"""Shards of one Zendesk account share its rate limit: the fake enforces the
account's requests per minute by its own clock (429 with Retry-After and the
rate headers past it, as Zendesk documents), two shards run at once on their
own simulated clocks, and with `--shard I/N` taking 1/N of the budget they meet
no 429 where, each spending the whole budget, they would."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
import responses

from escalada.connectors import connect
from escalada.connectors.base import Shard
from escalada.connectors.base import Wiring
from escalada.engine.evaluator import Evaluator
from escalada.engine.readneeds import read_needs
from escalada.policy.validate import load_policy
from escalada.runner import RunOptions
from escalada.runner import run_cycle
from tests.connectors.contract import NOW
from tests.connectors.zendesk.harness import ENVIRON
from tests.fakes.base import ShardClock
from tests.fakes.zendesk import ZendeskFake
from tests.paths import EXAMPLE as EXAMPLES
from tests.runner_fixtures import RecordingNotifier

DESK = "zendesk-prod"
M = timedelta(minutes=1)
LIMIT = 60  # the account's requests a minute (a small plan, so a small test)


@pytest.fixture(scope="module")
def policy():
    return load_policy([str(EXAMPLES)])


def at_once(shard: Any, count: int) -> None:
    """Run shard(0) .. shard(count - 1) at once, a thread each (a process each in
    production), and wait for all of them."""
    threads = [threading.Thread(target=shard, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def burst(policy, *, split: bool) -> tuple[ZendeskFake, list[Any]]:
    """Two shards of one account, at once, each on its own simulated clock that
    starts at the same instant (two processes), over a backlog of overdue outages."""
    desk = replace(policy.desks[DESK], rate_limit=f"{LIMIT}/min")
    desks = {**policy.desks, DESK: desk}
    policy = replace(policy, desks=desks)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = ZendeskFake(mock)
        for group in sorted(set(desk.teams.values())):
            fake.add_group(group)
        for i in range(80):
            fake.add_ticket(f"Outage {i}", created=NOW - 40 * M, priority="urgent", tags=["outage"])
        clocks = [ShardClock(NOW.timestamp()) for _ in range(2)]
        fake.limit_account(LIMIT, clock=ShardClock.current)
        reports: list[Any] = [None, None]

        def shard(index: int) -> None:
            clock = clocks[index]
            part = Shard(index, 2)
            wiring = Wiring(environ=ENVIRON, sleep=clock.sleep, clock=clock.datetime)
            reports[index] = run_cycle(
                policy,
                now=NOW,
                connect=lambda d: connect(
                    d, needs=read_needs(policy), wiring=wiring, shard=part if split else None
                ),
                notifier=RecordingNotifier(),
                options=RunOptions(desks=(DESK,), shard=part, budget=None),
                evaluator=Evaluator(policy),
            )

        at_once(shard, 2)
        return fake, reports


def test_two_shards_taking_half_the_budget_each_meet_no_429(policy) -> None:
    fake, reports = burst(policy, split=True)
    for report in reports:
        (desk,) = report.desks
        assert desk.failed is None and desk.escalated > 0
    assert sum(r.desks[0].escalated for r in reports) == 80
    assert fake.rate_limited == 0
    assert fake.total_calls > LIMIT  # more than one minute's worth: the pace mattered


def test_two_shards_each_spending_the_whole_budget_meet_429s(policy) -> None:
    fake, reports = burst(policy, split=False)
    assert fake.rate_limited > 0  # each paced to the account's 60/min: 120/min together
    # and the 429s' Retry-After is waited out: both shards still finish
    assert sum(r.desks[0].escalated for r in reports) == 80


class SleepersClock:
    """Unix seconds that move only when a thread sleeps, as a real clock does for
    threads sleeping at once: a sleep ends `seconds` after the time the sleeping
    thread last read (every request acquires from its budget, which reads the clock
    first), and the clock never goes back."""

    def __init__(self, start: float) -> None:
        self.now = start
        self._lock = threading.Lock()
        self._read = threading.local()

    def __call__(self) -> float:
        with self._lock:
            self._read.at = self.now
            return self.now

    def datetime(self) -> Any:
        from datetime import datetime
        from datetime import timezone

        return datetime.fromtimestamp(self(), timezone.utc)

    def sleep(self, seconds: float) -> None:
        with self._lock:
            start = getattr(self._read, "at", self.now)
            self.now = max(self.now, start + seconds)
            self._read.at = self.now


def test_several_writes_in_flight_keep_to_the_account_s_limit(policy) -> None:
    """One runner writes four tickets at once over a backlog past a minute's worth of
    the account's limit: the budget they share keeps every minute inside it (no 429)."""
    desk = replace(policy.desks[DESK], rate_limit=f"{LIMIT}/min")
    policy = replace(policy, desks={**policy.desks, DESK: desk})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = ZendeskFake(mock)
        for group in sorted(set(desk.teams.values())):
            fake.add_group(group)
        for i in range(80):
            fake.add_ticket(f"Outage {i}", created=NOW - 40 * M, priority="urgent", tags=["outage"])
        clock = SleepersClock(NOW.timestamp())
        fake.limit_account(LIMIT, clock=clock)
        wiring = Wiring(environ=ENVIRON, sleep=clock.sleep, clock=clock.datetime)
        threads: set[str] = set()

        def connect_watched(d: Any) -> Any:
            connector = connect(d, needs=read_needs(policy), wiring=wiring)
            inner = connector.apply

            def apply(ticket: Any, actions: Any) -> Any:
                threads.add(threading.current_thread().name)
                return inner(ticket, actions)

            connector.apply = apply  # type: ignore[method-assign]
            return connector

        report = run_cycle(
            policy,
            now=NOW,
            connect=connect_watched,
            notifier=RecordingNotifier(),
            options=RunOptions(desks=(DESK,), budget=None, writers=4),
            evaluator=Evaluator(policy),
        )
    (result,) = report.desks
    assert result.failed is None and result.escalated == 80
    assert len(threads) > 1  # the writes went from several threads
    assert fake.total_calls > LIMIT  # more than a minute's worth: the pace mattered
    assert fake.rate_limited == 0


def read_every_page(policy, *, split: bool) -> tuple[ZendeskFake, list[int]]:
    """Two shards of one account read their candidates at once, on their own simulated
    clocks, through a search export that refuses more than its 100 requests a minute
    (an endpoint limit of its own); every shard reads every page (JQL-like scopes
    cannot hash keys: shards filter client-side)."""
    desk = replace(policy.desks[DESK], rate_limit="6000/min")  # the account's binds nothing
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = ZendeskFake(mock)
        for group in sorted(set(desk.teams.values())):
            fake.add_group(group)
        for i in range(300):
            fake.add_ticket(f"Ticket {i}", created=NOW - 40 * M, priority="normal")
        clocks = [ShardClock(NOW.timestamp()) for _ in range(2)]
        fake.limit_route("export", 100, clock=ShardClock.current)
        read = [0, 0]

        def shard(index: int) -> None:
            clock = clocks[index]
            wiring = Wiring(environ=ENVIRON, sleep=clock.sleep, clock=clock.datetime)
            part = Shard(index, 2)
            connector = connect(desk, wiring=wiring, shard=part, page_size=5)
            read[index] = len(list(connector.candidates(shard=part if split else None)))

        at_once(shard, 2)
        return fake, read


def test_shards_keep_to_the_search_export_s_own_limit(policy) -> None:
    fake, read = read_every_page(policy, split=True)
    assert fake.calls["export"] == 2 * 60  # each shard read all 60 pages of 5
    assert fake.route_limited == 0  # each paced to 50 export pages a minute
    assert sum(read) == 300  # and between them they own every ticket


def test_a_shard_spending_the_whole_export_budget_meets_429s(policy) -> None:
    """The control: read without a shard, each connector takes the export's whole
    100 a minute, and the two together ask 120 in the first minute."""
    fake, read = read_every_page(policy, split=False)
    assert fake.route_limited > 0
    assert read == [300, 300]  # the 429s' Retry-After waited out: both finish
