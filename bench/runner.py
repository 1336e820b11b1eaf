"""The runner at scale: one desk of 10,000 open tickets per harness, 50 ms per API call.

    python bench/runner.py [--tickets 10000] [--latency-ms 50] [--desks sandbox,zendesk]
                           [--rate-limit jira=600/min,servicenow=6000/h] [--cycles first,steady]

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
SQL statement for the sandbox) adds the latency to a simulated clock; channel
messages go as the Notifier sends them (a chunk's channels at once, more than 10
for one channel as one digest, each webhook at its pace: SimNotifier). The
fake's own work (building its JSON, running its SQL) is measured and taken out,
since a real desk does it on its own servers. A cycle's time is then: simulated
desk time (calls x latency; the calls of a chunk's concurrent writes, on the
runner's writing threads, divided by the writes in flight) + simulated
notification time + the runner's real time (engine, connector, client library).
The target: a steady cycle of a 10,000-ticket desk fits in a 60-second polling
interval.

API calls are compared with the real minimum of the cycle: ceil(N / page)
candidate pages + the desk's fixed read overhead (its contract harness's
figures) + ONE call per ticket written (escalation, marker and note in one
request; the `pending` tokens' clearing, the history reads for the SLA pause and
the refreshes are all on top of it, so a desk that batches them well stays
near 1.0x). The bursts' ratio, calls / real minimum on the worst desk, ends the
output as `worst burst ratio: X.XXx` (target <= 1.10x).

Rate limits. Each desk's account has a request budget (escalada.pacing's token
bucket): the desk type's documented limit (Zendesk 400/min), or for the desks
that publish none (Jira Cloud; ServiceNow, whose Rate Limit Rules each instance
configures) the figure `--rate-limit` gives (defaults below, chosen for the
bench). The runner keeps as many writes in flight as the budget can use at the
latency (escalada.pacing.in_flight: rate x latency, rounded up, 1 to 8; the
bench sets RunOptions.writers to it, since its fakes answer in no time). A
cycle's desk time is then the larger of its time at the latency and the time
the budget needs for its calls, and is compared with the budget-bound minimum:
the real minimum's calls at that budget (or at the latency, its writes in
flight as many, when the latency binds). The sandbox is embedded: no budget,
latency only, one write at a time.
"""

from __future__ import annotations

import argparse
import importlib
import math
import random
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import date
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import responses  # noqa: E402

from escalada.connectors.jira.options import JiraOptions  # noqa: E402
from escalada.connectors.registry import desk_kind  # noqa: E402
from escalada.connectors.zendesk.connector import SEARCH_EXPORT_RATE  # noqa: E402
from escalada.engine.evaluator import Evaluator  # noqa: E402
from escalada.notify import DIGEST_THRESHOLD  # noqa: E402
from escalada.notify import PACE_BY_TYPE  # noqa: E402
from escalada.notify import Notification  # noqa: E402
from escalada.notify import NotifyResult  # noqa: E402
from escalada.pacing import RateBudget  # noqa: E402
from escalada.pacing import in_flight  # noqa: E402
from escalada.pacing import parse_rate  # noqa: E402
from escalada.policy.model import Calendar  # noqa: E402
from escalada.policy.model import Channel  # noqa: E402
from escalada.policy.model import Policy  # noqa: E402
from escalada.runner import WRITING_THREADS  # noqa: E402
from escalada.runner import CycleReport  # noqa: E402
from escalada.runner import RunOptions  # noqa: E402
from escalada.runner import run_cycle  # noqa: E402
from escalada.ticket import CHANNEL_ACTIONS  # noqa: E402
from escalada.ticket import NOTE_ACTIONS  # noqa: E402
from escalada.ticket import Action  # noqa: E402
from escalada.ticket import Decision  # noqa: E402
from tests.connectors.contract import NOW  # noqa: E402
from tests.runner_fixtures import runner_policy  # noqa: E402

# A row of the bench: the harness it runs and the desk options it sets. Jira runs
# twice: a JSM project (internal notes, comment_api servicedesk: the default) and a
# project without JSM, whose notes are plain comments inside the edit.
VARIANTS: dict[str, tuple[str, dict[str, Any]]] = {
    "sandbox": ("sandbox", {}),
    "jira": ("jira", {}),
    "jira-edit": ("jira", {"comment_api": "edit"}),
    "zendesk": ("zendesk", {}),
    "servicenow": ("servicenow", {}),
}
DESKS = tuple(VARIANTS)
INTERVAL = 60.0
CYCLES = ("first", "steady", "rerun", "hour")
BURSTS = ("first", "hour")
# The desks' account budgets where the desk type states none of its own
# (escalada.connectors.kind's rate_limit): Zendesk's documented 400/min
# (Growth and Professional; desk-apis.md 2.10); for the desks that publish no
# limit, a figure for the bench, not a promise. `--rate-limit desk=RATE` changes
# any of them, as a Desk's `rate_limit` does in production.
DOCUMENTED = {"zendesk": "400/min"}
CONFIGURED = {"jira": "600/min", "servicenow": "6000/h"}
# Endpoints with a documented limit of their own, by the fake's route name.
ENDPOINT_LIMITS = {"zendesk": {"export": SEARCH_EXPORT_RATE}}


@dataclass
class SimClock:
    """Simulated latency, and the real time spent inside the desk's fake."""

    latency: float
    in_flight: int = 1  # the runner's writes at once (RunOptions.writers)
    desk_calls: int = 0
    concurrent_calls: int = 0  # of those, made on the runner's writing threads
    messages: int = 0
    notify_time: float = 0.0  # simulated, as SimNotifier sends
    fake_seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def served(self, work: Callable[[], Any]) -> Any:
        with self.lock:  # the fake serves one request at a time
            started = time.perf_counter()
            try:
                return work()
            finally:
                self.fake_seconds += time.perf_counter() - started
                self.desk_calls += 1
                writing = threading.current_thread().name.startswith(WRITING_THREADS)
                self.concurrent_calls += writing

    def reset(self) -> None:
        self.desk_calls = self.concurrent_calls = self.messages = 0
        self.notify_time = 0.0
        self.fake_seconds = 0.0

    @property
    def desk_seconds(self) -> float:
        one_by_one = self.desk_calls - self.concurrent_calls
        return (one_by_one + self.concurrent_calls / self.in_flight) * self.latency

    @property
    def notify_seconds(self) -> float:
        return self.notify_time


class SimNotifier:
    """Chat tools that take every message, sent as escalada.notify's Notifier sends
    them: a chunk's messages go to the channels at once (one thread each), more than
    DIGEST_THRESHOLD for one channel as one digest, each webhook's posts no faster
    than its pace (PACE_BY_TYPE) nor the latency. A chunk's notify time is its
    slowest channel's; `messages` counts the posts (a digest is one)."""

    def __init__(self, clock: SimClock, channels: Mapping[str, Channel]) -> None:
        self.clock = clock
        self.channels = channels

    def send(self, channel: str, message: Notification) -> NotifyResult:
        self.send_many([(channel, message)])
        return NotifyResult(True, channel, None, 1)

    def send_many(self, items: Sequence[tuple[str, Notification]]) -> list[NotifyResult]:
        by_channel = Counter(name for name, _ in items)
        slowest = 0.0
        for name, count in by_channel.items():
            posts = 1 if count > DIGEST_THRESHOLD else count
            pace = PACE_BY_TYPE[self.channels[name].type]
            slowest = max(slowest, posts * max(self.clock.latency, 1 / pace.per_second))
            self.clock.messages += posts
        self.clock.notify_time += slowest
        return [NotifyResult(True, name, None, 1) for name, _ in items]


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
    desk: Any  # the Desk as the runner saw it
    report: CycleReport
    desk_calls: int
    messages: int
    desk_seconds: float
    notify_seconds: float
    runner_seconds: float
    routes: Counter[str]  # the fake's calls by route, this cycle

    @property
    def seconds(self) -> float:
        return self.desk_seconds + self.notify_seconds + self.runner_seconds


def measure(
    module: Any,
    options: dict[str, Any],
    count: int,
    latency: float,
    wanted: set[str],
    in_flight: int = 1,
    contract: bool = True,
) -> Iterator[Cycle]:
    with tempfile.TemporaryDirectory() as tmp, module.open_harness(Path(tmp)) as harness:
        if options:
            harness.desk = replace(harness.desk, options={**harness.desk.options, **options})
        fake = getattr(harness, "fake", None)
        if fake is not None and not contract:
            fake.unchecked = True  # the fake's own time, which the bench leaves out anyway
        seed(harness, count)
        policy = bench_policy(harness.desk)
        evaluator = Evaluator(policy)
        clock = SimClock(latency, in_flight)
        connect = instrument(harness, clock)
        notifier = SimNotifier(clock, policy.channels)
        last = max(CYCLES.index(name) for name in wanted)
        for name, now in (
            ("first", NOW),
            ("steady", NOW + timedelta(seconds=INTERVAL)),
            ("rerun", NOW + timedelta(seconds=INTERVAL)),
            ("hour", NOW + timedelta(hours=1)),
        )[: last + 1]:
            clock.reset()
            before = Counter(fake.calls) if fake is not None else Counter()
            started = time.perf_counter()
            report = run_cycle(
                policy,
                now=now,
                connect=connect,
                notifier=notifier,
                evaluator=evaluator,
                # the cycle's real-time budget would cut a burst short on a loaded
                # machine; the bench measures the whole cycle
                options=RunOptions(budget=None, writers=in_flight),
            )
            wall = time.perf_counter() - started
            if not report.ok:
                d = report.desks[0]
                raise SystemExit(f"{harness.name}: {d.failed or f'{d.errors} ticket errors'}")
            if name not in wanted:
                continue
            yield Cycle(
                name,
                harness.desk,
                report,
                clock.desk_calls,
                clock.messages,
                clock.desk_seconds,
                clock.notify_seconds,
                wall - clock.fake_seconds,
                (Counter(fake.calls) if fake is not None else Counter()) - before,
            )


def minimum_calls(module: Any, seen: int, written: int) -> int:
    """The real minimum: the candidate pages, the fixed read overhead, one call per
    ticket written."""
    with tempfile.TemporaryDirectory() as tmp, module.open_harness(Path(tmp)) as harness:
        page, overhead = harness.page_size, harness.read_overhead
    return math.ceil(seen / page) + overhead + written


def split_notes(desk: Any, decisions: Sequence[Decision]) -> int:
    """Tickets written whose note the desk's API cannot take in the same request as
    the ticket's other changes: on a JSM project, an internal note. Jira's edit
    takes a comment as `update.comment: [{"add": {"body": ...}}]`, a comment made
    so is public (Comment.jsdPublic "Defaults to true when comments are created in
    the Jira Cloud Platform", tests/contracts/jira.json), and the internal flag, the
    `sd.public.comment` property, is documented only on the comment POST; Jira's
    own handler of the edit's comment add (CommentRestFieldOperationsHandler, Jira
    Server source) takes the body and the visibility, no properties. So such a
    ticket needs two requests, whatever the client does; every other desk, one."""
    if desk.type != "jira" or JiraOptions.of(desk).notes_in_edit:
        return 0
    return sum(1 for decision in decisions if _note_and_edit(decision.actions))


def _note_and_edit(actions: Sequence[Action]) -> bool:
    """A note and some other change of the ticket: a field, the marker, or the marker's
    `pending` token, which the runner writes with every message (escalada.runner)."""
    if not any(a.type in NOTE_ACTIONS for a in actions):
        return False
    return any(
        (a.type not in NOTE_ACTIONS and a.type != "notify")
        or (a.type in CHANNEL_ACTIONS and a.channels)
        for a in actions
    )


def desk_budget(row: str, given: dict[str, str]) -> tuple[str | None, str]:
    """The row's desk rate limit for the bench, and where it comes from."""
    desk = VARIANTS[row][0]
    if row in given or desk in given:
        return given.get(row, given.get(desk)), "--rate-limit"
    documented = getattr(desk_kind(desk), "rate_limit", None) or DOCUMENTED.get(desk)
    if documented:
        return documented, "documented"
    if desk in CONFIGURED:
        return CONFIGURED[desk], "bench figure (none published)"
    return None, "embedded: no budget"


def writes_in_flight(row: str, rate: str | None, latency: float) -> int:
    """The writes the runner keeps in flight on the row's desk: what its budget can
    use at the latency (1 where the desk type writes one at a time)."""
    if rate is None or not desk_kind(VARIANTS[row][0]).concurrent_writes:
        return 1
    return in_flight(parse_rate(rate).per_second, latency)


def endpoint_seconds(harness: str, routes: Counter[str]) -> float:
    """The least time the cycle's calls to rate-limited endpoints need inside their
    own budgets (Zendesk's search export: 100 requests a minute, on top of the
    account's), which the connector paces to as it paces to the account's."""
    limits = ENDPOINT_LIMITS.get(harness, {})
    return max(
        (RateBudget(parse_rate(rate)).seconds_for(routes[route]) for route, rate in limits.items()),
        default=0.0,
    )


def paced(seconds: float, calls: int, rate: str | None) -> float:
    """Seconds `calls` take that need `seconds` at the latency, inside the budget."""
    if rate is None:
        return seconds
    return max(seconds, RateBudget(parse_rate(rate)).seconds_for(calls))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--desks", default=",".join(DESKS))
    parser.add_argument(
        "--rate-limit",
        default="",
        help="desk=RATE,... (e.g. jira=600/min): a desk account's budget for the bench",
    )
    parser.add_argument(
        "--cycles",
        default=",".join(CYCLES),
        help="the cycles to report (the ones before them still run: each needs its past)",
    )
    parser.add_argument(
        "--no-contract",
        action="store_true",
        help="skip holding each exchange to the vendor's OpenAPI (the suite does that): "
        "the fake's own time, left out of the figures anyway, for runs at 100,000 tickets",
    )
    args = parser.parse_args()
    latency = args.latency_ms / 1000
    given = dict(item.split("=", 1) for item in args.rate_limit.split(",") if item)
    wanted = set(args.cycles.split(","))
    if not wanted <= set(CYCLES):
        parser.error(f"--cycles: choose from {', '.join(CYCLES)}")
    print(__doc__.split("\n\n", 1)[0])
    print(
        f"\n{args.tickets} open tickets per desk; {args.latency_ms:g} ms simulated per desk call "
        "and per channel post (webhooks at their pace, a chunk's channels at once, more than "
        f"{DIGEST_THRESHOLD} for one channel as one digest); desk s = calls x latency "
        "(concurrent writes' calls divided "
        "by the writes in flight), or what the desk's rate budget needs for them if longer; "
        "cycle s = desk s + notify s + runner s (real)."
    )
    rows = args.desks.split(",")
    if unknown := [row for row in rows if row not in VARIANTS]:
        parser.error(f"--desks: no row {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    budgets = {row: desk_budget(row, given) for row in rows}
    flights = {row: writes_in_flight(row, rate, latency) for row, (rate, _) in budgets.items()}
    for desk, (rate, source) in budgets.items():
        print(f"  {desk:<11} budget {rate or '-'} ({source}); {flights[desk]} write(s) in flight")
    header = (
        f"{'desk':<11} {'cycle':<7} {'written':>7} {'calls':>6} {'1/tkt':>6} {'minimum':>7} "
        f"{'ratio':>6} "
        f"{'msgs':>5} {'desk s':>7} {'bound s':>7} {'x':>5} {'notify s':>8} {'runner s':>8} "
        f"{'cycle s':>8}  result"
    )
    print()
    print(header)
    print("-" * len(header))
    verdicts = []
    worst: tuple[float, str] = (0.0, "")
    split_rows = []
    for desk, (rate, _) in budgets.items():
        harness_name, options = VARIANTS[desk]
        try:
            module = importlib.import_module(f"tests.connectors.{harness_name}.harness")
        except ImportError as error:
            print(f"{desk:<11} not measured: no harness ({error})")
            continue
        flight = flights[desk]
        for cycle in measure(
            module, options, args.tickets, latency, wanted, flight, not args.no_contract
        ):
            d = cycle.report.desks[0]
            assert d.seen == args.tickets, f"{desk}: read {d.seen} of {args.tickets}"
            one_each = minimum_calls(module, d.seen, d.escalated)
            split = split_notes(cycle.desk, d.decisions)
            minimum = one_each + split
            if split:
                split_rows.append(f"{desk} {cycle.name}")
            endpoints = endpoint_seconds(harness_name, cycle.routes)
            desk_s = max(paced(cycle.desk_seconds, cycle.desk_calls, rate), endpoints)
            writes = d.escalated + split  # the minimum's writes, `flight` at once
            at_latency = (minimum - writes + writes / flight) * latency
            bound_s = max(paced(at_latency, minimum, rate), endpoints)  # the same pages
            seconds = desk_s + cycle.notify_seconds + cycle.runner_seconds
            ratio = d.calls / minimum
            verdict = ""
            if cycle.name == "steady":
                fits = seconds <= INTERVAL
                verdict = f"{'fits' if fits else 'OVER'} {INTERVAL:g}s"
                verdicts.append(fits)
            elif cycle.name == "rerun":
                verdict = "0 writes: ok" if d.writes == 0 else f"{d.writes} writes: FAIL"
                verdicts.append(d.writes == 0)
            else:
                verdict = "burst"
                worst = max(worst, (ratio, f"{desk} {cycle.name}"))
            print(
                f"{desk:<11} {cycle.name:<7} {d.escalated:>7} {d.calls:>6} {one_each:>6} "
                f"{minimum:>7} "
                f"{ratio:>5.2f}x {cycle.messages:>5} {desk_s:>7.1f} {bound_s:>7.1f} "
                f"{desk_s / bound_s:>4.2f}x {cycle.notify_seconds:>8.1f} "
                f"{cycle.runner_seconds:>8.2f} {seconds:>8.1f}  {verdict}"
            )
            if d.calls != cycle.desk_calls:
                print(
                    f"{'':<11} note: the connector counted {d.calls}, the fake served "
                    f"{cycle.desk_calls}"
                )
    ok = all(verdicts)
    print(
        "\nwritten: tickets written (escalations, re-sends); 1/tkt: candidate pages + read"
        "\noverhead + one call per ticket written; minimum: 1/tkt + the calls the desk's API"
        "\nmakes necessary on top (a JSM internal note cannot ride in Jira's edit: one more"
        "\nper ticket with a note and another change; 0 elsewhere); ratio: calls / minimum;"
        "\nbound s: the minimum's time inside the desk's budget; x: desk s / bound s."
    )
    if split_rows:
        print(f"API-bound extra calls counted in minimum: {', '.join(split_rows)}")
    if worst[1]:
        print(f"worst burst ratio: {worst[0]:.2f}x ({worst[1]})")
    print(f"result: {'ok' if ok else 'FAIL'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
