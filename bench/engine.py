"""Engine throughput: decisions per second over 100,000 generated tickets against
examples/policy, on one core (the process is pinned to one CPU where the OS allows).

Run: python bench/engine.py [--tickets N] [--repeat R]

Four populations, measured side by side in one run (best of R runs each):

- steady:     every ticket carries the state its last decision wrote, evaluated
              at the same instant: what most of a runner cycle looks like (nothing
              new is due), and the idempotency check at scale (0 actions expected);
- next cycle: the same tickets one minute later: a few levels and updates fall due;
- fresh:      no ticket carries any state (the first cycle after installing
              escalada): most tickets escalate at once, so every reason is rendered;
- cold:       `steady` with a new Evaluator, so its caches (level plans per path
              and priority, calendar blocks, rotations) are built inside the timing.

The target is 50,000 decisions a second. The `gc` column is the share of the
runs' time spent in Python's cyclic garbage collector and its full collections:
a population whose decisions carry actions keeps several new objects per ticket
alive (as a runner's cycle report does), and whether a full collection falls
inside a run is most of the gap between its best run and its median.
"""

from __future__ import annotations

import argparse
import gc
import os
import random
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from escalada.engine.evaluator import Evaluator  # noqa: E402
from escalada.policy.model import Policy  # noqa: E402
from escalada.policy.validate import load_policy  # noqa: E402
from escalada.ticket import Decision  # noqa: E402
from escalada.ticket import Requester  # noqa: E402
from escalada.ticket import Ticket  # noqa: E402

TARGET = 50_000
NOW = datetime(2026, 11, 24, 14, 0, tzinfo=timezone.utc)  # a Tuesday afternoon in Europe
TITLES = ("VPN down for the Stockholm office", "Printer queue stuck", "Cannot log in to payroll")
DESCRIPTIONS = (
    "Users report the service is unavailable since this morning.",
    "Nothing works after the update; please help.",
    "A customer reports seeing other customers' personal data.",
)


def pin_one_core() -> str:
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity here)"


def generate(count: int, seed: int = 20261124) -> list[Ticket]:
    """Tickets opened over the last two weeks, shaped like a busy service desk."""
    rng = random.Random(seed)
    impacts = (None, "extensive", "significant", "moderate", "minor")
    urgencies = (None, "critical", "high", "medium", "low")
    tickets = []
    for i in range(count):
        created = NOW - timedelta(minutes=rng.randint(1, 14 * 24 * 60))
        priority = rng.choices(("P1", "P2", "P3", "P4"), (3, 12, 45, 40))[0]
        tags = set()
        if priority in ("P1", "P2") and rng.random() < 0.5 or rng.random() < 0.02:
            tags.add("outage")
        if rng.random() < 0.01:
            tags.add("compliance")
        escalate = rng.random() < 0.02
        if escalate:
            tags.add("escalate")
        responded = created + timedelta(minutes=rng.randint(2, 900)) if rng.random() < 0.6 else None
        tickets.append(
            Ticket(
                desk="bench",
                key=f"SD-{i}",
                title=rng.choice(TITLES),
                description=DESCRIPTIONS[2]
                if rng.random() < 0.01
                else rng.choice(DESCRIPTIONS[:2]),
                created=created,
                status="pending" if rng.random() < 0.15 else "open",
                priority=priority,
                impact=rng.choice(impacts) if rng.random() < 0.7 else None,
                urgency=rng.choice(urgencies) if rng.random() < 0.7 else None,
                responded=responded if responded and responded < NOW else None,
                tags=frozenset(tags),
                requester=Requester(rng.choice(("Acme AB", "Globex", None)), rng.random() < 0.02),
                latest_comment="Payroll cannot run before the 14:00 cut-off"
                if escalate and rng.random() < 0.5
                else None,
            )
        )
    return tickets


def apply(ticket: Ticket, decision: Decision) -> Ticket:
    """What the runner leaves on a ticket after carrying out a decision."""
    for action in decision.actions:
        if action.type == "set_priority":
            ticket = replace(ticket, priority=action.priority)
        elif action.type == "assign":
            ticket = replace(ticket, team=action.team)
        elif action.type in ("mark", "clear") and action.state is not None:
            ticket = replace(ticket, escalation=action.state)
    return ticket


def fresh_evaluator(policy: Policy, tickets: list[Ticket]) -> list[Decision]:
    """Evaluate with a new Evaluator: its per-policy caches are built while timed
    (business-time clocks are shared per calendar, so their blocks stay warm)."""
    evaluator = Evaluator(policy)
    return [evaluator.evaluate(t, NOW) for t in tickets]


class Collector:
    """Time spent in Python's cyclic garbage collector, and its full collections.

    A population whose decisions carry actions keeps several new objects per
    ticket alive (as a runner's cycle report does); full collections then
    trace the whole heap, and whether one falls inside a timed run is what
    separates a population's best run from its median."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full = 0
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._started
        self.full += info["generation"] == 2

    def reset(self) -> None:
        self.seconds, self.full = 0.0, 0


def timed(
    run: Callable[[], list[Decision]], repeat: int, collector: Collector
) -> tuple[list[float], list[Decision]]:
    times = []
    decisions: list[Decision] = []
    collector.reset()
    for _ in range(repeat):
        start = time.perf_counter()
        decisions = run()
        times.append(time.perf_counter() - start)
    return times, decisions


def mix(decisions: list[Decision]) -> str:
    with_actions = sum(1 for d in decisions if d.actions)
    kinds = Counter(a.type for d in decisions for a in d.actions)
    top = ", ".join(f"{k} {v}" for k, v in kinds.most_common(5))
    return f"{with_actions / len(decisions):6.2%} with actions ({top or 'none'})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    pinned = pin_one_core()
    policy: Policy = load_policy([str(ROOT / "examples" / "policy")])
    tickets = generate(args.tickets)
    evaluator = Evaluator(policy)
    first = [evaluator.evaluate(t, NOW) for t in tickets]
    steady = [apply(t, d) for t, d in zip(tickets, first, strict=True)]
    later = NOW + timedelta(minutes=1)

    populations: list[tuple[str, Callable[[], list[Decision]]]] = [
        ("steady", lambda: [evaluator.evaluate(t, NOW) for t in steady]),
        ("next cycle", lambda: [evaluator.evaluate(t, later) for t in steady]),
        ("fresh", lambda: [evaluator.evaluate(t, NOW) for t in tickets]),
        ("cold", lambda: fresh_evaluator(policy, steady)),
    ]
    print(
        f"escalada engine benchmark: {len(tickets):,} tickets, examples/policy, "
        f"{len(policy.paths)} paths, Python {sys.version.split()[0]}, {pinned}"
    )
    print(f"best of {args.repeat}; target {TARGET:,} decisions/s")
    print("gc: share of all runs' time in the garbage collector, and its full collections\n")
    header = f"{'population':<12}{'decisions/s':>13}{'us/decision':>13}{'median/s':>11}"
    print(f"{header}{'vs target':>11}{'gc':>14}  mix")
    collector = Collector()
    for name, run in populations:
        times, decisions = timed(run, args.repeat, collector)
        best, median = min(times), statistics.median(times)
        rate = len(decisions) / best
        share = f"{collector.seconds / sum(times):.0%}, {collector.full} full"
        print(
            f"{name:<12}{rate:>13,.0f}{best / len(decisions) * 1e6:>13.1f}"
            f"{len(decisions) / median:>11,.0f}{rate / TARGET:>10.2f}x{share:>14}  {mix(decisions)}"
        )
        if name == "steady" and any(d.actions for d in decisions):
            raise SystemExit("steady population produced actions: the engine is not idempotent")


if __name__ == "__main__":
    main()
