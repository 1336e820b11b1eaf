"""Backtest speed: 30 days of 10,000 tickets under two policies, event-driven,
against a naive sweep that evaluates every ticket every 15 minutes.

The workload: tickets opened uniformly over the 30 days on the example policy's
priorities (P1 5%, P2 15%, P3 40%, P4 40%, a tenth of them outages), most
answered within minutes to hours, some waiting on the customer for a while
(pending spells in their status history), resolved after 30 hours on average
(exponentially distributed; the ones not resolved by the end are still open). The two
policies are examples/policy and the same policy with every `after:` threshold
halved (a change a pull request would simulate). The sweep replays the same
state machine (the same Evaluator, the same ticket reconstruction) at fixed
15-minute steps, the shape a cron-driven replay would take; it runs on a
sample of tickets and is scaled to the full set (printed as such), because
run in full it takes minutes. Both run in this one process, on one core.

    python bench/simulate.py            # prints the figures and the ratio
"""

from __future__ import annotations

import platform
import random
import shutil
import tempfile
import time
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

from escalada.engine.evaluator import Evaluator
from escalada.policy.validate import load_policy
from escalada.simulate import Window
from escalada.simulate import simulate
from escalada.simulate.replay import as_of
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import StatusChange
from escalada.ticket import Ticket

ROOT = Path(__file__).resolve().parent.parent
TICKETS = 10_000
DAYS = 30
SWEEP_SAMPLE = 300
STEP = timedelta(minutes=15)
END = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.utc)
START = END - timedelta(days=DAYS)


def workload(seed: int = 14) -> list[Ticket]:
    rng = random.Random(seed)
    tickets = []
    for n in range(TICKETS):
        created = START + timedelta(seconds=rng.randrange(DAYS * 86400))
        priority = rng.choices(["P1", "P2", "P3", "P4"], [5, 15, 40, 40])[0]
        tags = frozenset({"outage"}) if rng.random() < 0.1 else frozenset()
        responded = None
        if rng.random() < 0.85:
            responded = created + timedelta(minutes=rng.expovariate(1 / 90))
        history = [StatusChange("open", created)]
        moment = responded or created
        if rng.random() < 0.3:  # waits on the customer for a while
            paused = moment + timedelta(minutes=rng.randrange(10, 600))
            history.append(StatusChange("pending", paused))
            history.append(StatusChange("open", paused + timedelta(hours=rng.expovariate(1 / 8))))
        resolved = None
        end = history[-1].since + timedelta(hours=rng.expovariate(1 / 30))
        if end < END:  # the rest are still open at the end of the window
            resolved = end
            history.append(StatusChange("resolved", end))
        tickets.append(
            Ticket(
                desk="bench",
                key=f"B-{n}",
                title="bench ticket",
                created=created,
                status=history[-1].status,
                priority=priority,
                tags=tags,
                responded=responded if responded and responded < END else None,
                resolved=resolved,
                status_history=tuple(history),
            )
        )
    return tickets


def halved_policy(into: Path) -> Path:
    target = into / "halved"
    shutil.copytree(ROOT / "examples" / "policy", target, ignore=shutil.ignore_patterns("tests"))
    paths = target / "paths.yaml"
    text = paths.read_text(encoding="utf-8")
    for before, after in (("after: 4h", "after: 2h"), ("after: 15m", "after: 8m")):
        text = text.replace(before, after)
    paths.write_text(text, encoding="utf-8")
    return target


def sweep(evaluator: Evaluator, tickets: list[Ticket]) -> int:
    """The naive replay: every ticket at every 15-minute step of its life in the window."""
    evaluations = 0
    for ticket in tickets:
        state = NOT_ESCALATED
        now = ticket.created
        stop = min(ticket.resolved or END, END)
        while now <= stop:
            decision = evaluator.evaluate(as_of(ticket, now, state), now)
            evaluations += 1
            for action in decision.actions:
                if action.type in ("mark", "clear"):
                    state = action.state or NOT_ESCALATED
            now += STEP
    return evaluations


def main() -> None:
    tickets = workload()
    with tempfile.TemporaryDirectory() as scratch:
        old = load_policy([str(ROOT / "examples" / "policy")])
        new = load_policy([str(halved_policy(Path(scratch)))])
    window = Window(START, END)
    best = float("inf")
    result = None
    for _ in range(3):
        started = time.process_time()
        result = simulate(new, old, tickets, now=END, window=window)
        best = min(best, time.process_time() - started)
    assert result is not None and result.backtest is not None
    evaluations = result.backtest.baseline.evaluations + result.backtest.policy.evaluations
    sample = random.Random(3).sample(tickets, SWEEP_SAMPLE)
    started = time.process_time()
    swept = sweep(Evaluator(old), sample) + sweep(Evaluator(new), sample)
    sweep_seconds = (time.process_time() - started) * TICKETS / SWEEP_SAMPLE
    swept_full = swept * TICKETS // SWEEP_SAMPLE
    bt = result.backtest
    print(f"python {platform.python_version()} on {platform.machine()}, one core")
    print(
        f"workload: {TICKETS} tickets over {DAYS} days, two policies (examples/policy and "
        f"its `after:` thresholds halved); {len(bt.changed)} tickets' escalations differ, "
        f"{len(bt.baseline.escalations)} -> {len(bt.policy.escalations)} escalations"
    )
    print(f"{'':34}{'seconds':>10}{'evaluations':>14}{'per ticket':>12}")
    print(
        f"{'event-driven backtest (simulate)':34}{best:>10.2f}{evaluations:>14,}"
        f"{evaluations / TICKETS / 2:>12.1f}"
    )
    print(
        f"{'naive 15-minute sweep (scaled)':34}{sweep_seconds:>10.2f}{swept_full:>14,}"
        f"{swept_full / TICKETS / 2:>12.1f}"
    )
    print(
        f"ratio: the sweep takes {sweep_seconds / best:.1f}x as long and makes "
        f"{swept_full / evaluations:.1f}x the evaluations (sweep measured on {SWEEP_SAMPLE} "
        f"tickets, scaled to {TICKETS}); target: backtest well under 10 s"
    )


if __name__ == "__main__":
    main()
