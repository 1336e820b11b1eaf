"""The runner at scale: one desk of 10,000 open tickets per harness, 50 ms per API call.

    python bench/runner.py [--tickets 10000] [--latency-ms 50] [--desks sandbox,zendesk]

Each desk harness present in tests/connectors (<desk>/harness.py) gets N open
tickets (opened over the last five days, P1 3%, P2 12%, P3 50%, P4 35%, a third
of P1/P2 tagged `outage`, 2% VIP requesters), and the runner runs three cycles
of the test policy (tests/runner_fixtures.py, with P2-P4 on an office calendar):

  first   the first run ever on that backlog: everything overdue is escalated at once
  steady  60 s later: only what fell due in that minute (the normal cycle)
  rerun   again at the same instant: must write nothing
  hour    an hour after the first: the P1 stakeholder updates of everything the first
          run escalated fall due together (a one-off wave after a first run)

Time model. Nothing sleeps. Every call the desk's fake serves (HTTP request, or
SQL statement for the sandbox) adds the latency to a simulated clock, and so does
every channel message; the fake's own work (building its JSON, running its SQL)
is measured and taken out, since a real desk does it on its own servers. A
cycle's time is then: simulated desk time (calls x latency, one desk's calls are
sequential) + simulated notification time + the runner's real time (engine,
connector, client library). The target: a steady cycle of a 10,000-ticket desk
fits in a 60-second polling interval.

API calls are compared with the minimum for the desk: ceil(N / page) candidate
pages + the desk's fixed read overhead (its contract harness's figures) + one
call per ticket write (the escalation, and the write that clears a ticket's
pending token after its messages went out). Where a desk needs more than one
call per write, the ratio shows it: the sandbox adds the notes in a second
statement, ServiceNow re-reads sys_mod_count before its PATCH, Jira re-reads
the labels before its PUT and posts the note separately; Zendesk re-reads only
the tickets with something due (one call per 100).
"""

from __future__ import annotations

import argparse
import importlib
import math
import random
import sys
import tempfile
import time
from collections.abc import Callable
from collections.abc import Iterator
from dataclasses import dataclass
from dataclasses import replace
from datetime import date
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import responses  # noqa: E402

from escalada.engine.evaluator import Evaluator  # noqa: E402
from escalada.notify import Notification  # noqa: E402
from escalada.notify import NotifyResult  # noqa: E402
from escalada.policy.model import Calendar  # noqa: E402
from escalada.policy.model import Policy  # noqa: E402
from escalada.runner import CycleReport  # noqa: E402
from escalada.runner import run_cycle  # noqa: E402
from tests.connectors.contract import NOW  # noqa: E402
from tests.runner_fixtures import runner_policy  # noqa: E402

DESKS = ("sandbox", "jira", "zendesk", "servicenow")
INTERVAL = 60.0


@dataclass
class SimClock:
    """Simulated latency, and the real time spent inside the desk's fake."""

    latency: float
    desk_calls: int = 0
    messages: int = 0
    fake_seconds: float = 0.0

    def served(self, work: Callable[[], Any]) -> Any:
        started = time.perf_counter()
        try:
            return work()
        finally:
            self.fake_seconds += time.perf_counter() - started
            self.desk_calls += 1

    def reset(self) -> None:
        self.desk_calls = self.messages = 0
        self.fake_seconds = 0.0

    @property
    def desk_seconds(self) -> float:
        return self.desk_calls * self.latency

    @property
    def notify_seconds(self) -> float:
        return self.messages * self.latency


class SimNotifier:
    """A chat tool that takes every message, at the simulated latency."""

    def __init__(self, clock: SimClock) -> None:
        self.clock = clock

    def send(self, channel: str, message: Notification) -> NotifyResult:
        self.clock.messages += 1
        return NotifyResult(True, channel, None, 1)


def bench_policy(desk: Any) -> Policy:
    policy = runner_policy(desk)
    office = Calendar(
        "office",
        "Europe/Stockholm",
        tuple(((8 * 60, 17 * 60),) for _ in range(5)) + ((), ()),
        holiday_country="SE",
        holiday_dates=frozenset({date(2026, 12, 24), date(2026, 12, 31)}),
    )
    assert policy.matrix is not None
    priorities = {
        name: replace(p, calendar="office" if name != "P1" else "24x7")
        for name, p in policy.matrix.priorities.items()
    }
    return replace(
        policy,
        matrix=replace(policy.matrix, priorities=priorities),
        calendars={**policy.calendars, "office": office},
    )


def seed(harness: Any, count: int) -> None:
    rng = random.Random(7)
    for n in range(count):
        priority = rng.choices(("P1", "P2", "P3", "P4"), (3, 12, 50, 35))[0]
        tags = ["outage"] if priority in ("P1", "P2") and rng.random() < 1 / 3 else []
        harness.add_ticket(
            title=f"Bench ticket {n}",
            created=NOW - timedelta(seconds=rng.randrange(5 * 24 * 3600)),
            priority=priority,
            tags=tags,
            vip=rng.random() < 0.02,
        )


def instrument(harness: Any, clock: SimClock) -> Callable[[Any], Any]:
    """Charge every call the fake serves; returns the runner's connect function."""
    fake = getattr(harness, "fake", None)
    if fake is not None:
        for route in fake.mock.registered():
            if isinstance(route, responses.CallbackResponse):
                inner = route.callback
                route.callback = lambda request, inner=inner: clock.served(lambda: inner(request))
        return lambda desk: harness.connector()

    def connect(desk: Any) -> Any:  # the sandbox: charge each SQL statement it counts
        connector = harness.connector()
        run = connector._run

        def charged(*args: Any, **kwargs: Any) -> Any:
            if not kwargs.get("counted", True):  # transaction control, not a call
                return run(*args, **kwargs)
            return clock.served(lambda: run(*args, **kwargs))

        connector._run = charged
        return connector

    return connect


@dataclass
class Cycle:
    name: str
    report: CycleReport
    desk_calls: int
    messages: int
    desk_seconds: float
    notify_seconds: float
    runner_seconds: float

    @property
    def seconds(self) -> float:
        return self.desk_seconds + self.notify_seconds + self.runner_seconds


def measure(module: Any, count: int, latency: float) -> Iterator[Cycle]:
    with tempfile.TemporaryDirectory() as tmp, module.open_harness(Path(tmp)) as harness:
        seed(harness, count)
        policy = bench_policy(harness.desk)
        evaluator = Evaluator(policy)
        clock = SimClock(latency)
        connect = instrument(harness, clock)
        notifier = SimNotifier(clock)
        for name, now in (
            ("first", NOW),
            ("steady", NOW + timedelta(seconds=INTERVAL)),
            ("rerun", NOW + timedelta(seconds=INTERVAL)),
            ("hour", NOW + timedelta(hours=1)),
        ):
            clock.reset()
            started = time.perf_counter()
            report = run_cycle(
                policy,
                now=now,
                connect=connect,
                notifier=notifier,
                evaluator=evaluator,
            )
            wall = time.perf_counter() - started
            if not report.ok:
                raise SystemExit(f"{harness.name}: {report.desks[0].failed}")
            yield Cycle(
                name,
                report,
                clock.desk_calls,
                clock.messages,
                clock.desk_seconds,
                clock.notify_seconds,
                wall - clock.fake_seconds,
            )


def minimum_calls(module: Any, seen: int, writes: int) -> int:
    with tempfile.TemporaryDirectory() as tmp, module.open_harness(Path(tmp)) as harness:
        page, overhead = harness.page_size, harness.read_overhead
    return math.ceil(seen / page) + overhead + writes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--desks", default=",".join(DESKS))
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    print(__doc__.split("\n\n", 1)[0])
    print(
        f"\n{args.tickets} open tickets per desk; {args.latency_ms:g} ms simulated per desk call "
        f"and per channel message; cycle s = desk s + notify s + runner s (real).\n"
    )
    header = (
        f"{'desk':<11} {'cycle':<7} {'written':>7} {'writes':>6} {'calls':>6} {'minimum':>7} "
        f"{'ratio':>6} {'msgs':>5} {'desk s':>7} {'notify s':>8} {'runner s':>8} {'cycle s':>8}"
        "  result"
    )
    print(header)
    print("-" * len(header))
    verdicts = []
    for desk in args.desks.split(","):
        try:
            module = importlib.import_module(f"tests.connectors.{desk}.harness")
        except ImportError as error:
            print(f"{desk:<11} not measured: no harness ({error})")
            continue
        for cycle in measure(module, args.tickets, latency):
            d = cycle.report.desks[0]
            assert d.seen == args.tickets, f"{desk}: read {d.seen} of {args.tickets}"
            minimum = minimum_calls(module, d.seen, d.writes)
            verdict = ""
            if cycle.name == "steady":
                fits = cycle.seconds <= INTERVAL
                verdict = f"{'fits' if fits else 'OVER'} {INTERVAL:g}s"
                verdicts.append(fits)
            elif cycle.name == "rerun":
                verdict = "0 writes: ok" if d.writes == 0 else f"{d.writes} writes: FAIL"
                verdicts.append(d.writes == 0)
            print(
                f"{desk:<11} {cycle.name:<7} {d.escalated:>7} {d.writes:>6} {d.calls:>6} "
                f"{minimum:>7} {d.calls / minimum:>5.2f}x {cycle.messages:>5} "
                f"{cycle.desk_seconds:>7.1f} {cycle.notify_seconds:>8.1f} "
                f"{cycle.runner_seconds:>8.2f} {cycle.seconds:>8.1f}  {verdict}"
            )
            if d.calls != cycle.desk_calls:
                print(
                    f"{'':<11} note: the connector counted {d.calls}, the fake served "
                    f"{cycle.desk_calls}"
                )
    ok = all(verdicts)
    print(
        "\nwritten: tickets with something due; writes: ticket writes (escalations and the"
        "\nwrites clearing a pending token); ratio: calls / minimum."
    )
    print(f"result: {'ok' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
