"""Business-time throughput: elapsed + add calls per second, office vs 24x7.

The engine measures each ticket's age in business time and computes due times
with `add`, a few calls per decision at 50,000+ decisions/s. This runs the same
workload (tickets opened up to 3 weeks back, targets 15m..10d) on the built-in
24x7 calendar, an office calendar (Stockholm, Mon-Fri 08:00-17:00 with Swedish
public holidays) and a follow-the-sun night shift (22:00-06:00 in New York),
warm (blocks cached, the runner's steady state) and cold (a fresh clock per
round), and prints the figures side by side.

    python bench/calendars.py
"""

from __future__ import annotations

import platform
import random
import time
from collections.abc import Callable
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from escalada.engine.calendars import BusinessClock
from escalada.policy.model import BUILTIN_24X7
from escalada.policy.model import Calendar

N = 100_000
NOW = datetime(2026, 11, 25, 10, 0, tzinfo=timezone.utc)
TARGETS = [timedelta(minutes=15), timedelta(hours=1), timedelta(hours=4), timedelta(days=3)]
TARGETS.append(timedelta(days=10))

OFFICE = Calendar(
    name="office",
    timezone="Europe/Stockholm",
    hours=((((8 * 60, 17 * 60),),) * 5) + ((), ()),
    holiday_country="SE",
)
NIGHT = Calendar(
    name="amer-night",
    timezone="America/New_York",
    hours=tuple(((0, 360), (1320, 1440)) for _ in range(7)),
)


def workload(seed: int) -> list[tuple[datetime, timedelta]]:
    rng = random.Random(seed)
    return [
        (NOW - timedelta(seconds=rng.randrange(21 * 86400)), rng.choice(TARGETS)) for _ in range(N)
    ]


def rate(run: Callable[[], None], calls: int) -> float:
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        run()
        best = min(best, time.perf_counter() - started)
    return calls / best


def measure(calendar: Calendar, cases: list[tuple[datetime, timedelta]]) -> dict[str, float]:
    clock = BusinessClock(calendar)

    def elapsed() -> None:
        for created, _ in cases:
            clock.elapsed(created, NOW)

    def add() -> None:
        for created, target in cases:
            clock.add(created, target)

    def cold() -> None:
        for created, target in cases[:200]:
            fresh = BusinessClock(calendar)
            fresh.elapsed(created, NOW)
            fresh.add(created, target)

    return {
        "elapsed/s": rate(elapsed, N),
        "add/s": rate(add, N),
        "cold pairs/s": rate(cold, 200),
    }


def main() -> None:
    cases = workload(7)
    rows = {cal.name: measure(cal, cases) for cal in (BUILTIN_24X7, OFFICE, NIGHT)}
    columns = ["elapsed/s", "add/s", "cold pairs/s"]
    print(f"{N:,} calls each, best of 3, Python {platform.python_version()}")
    print(f"{'calendar':<12}" + "".join(f"{c:>16}" for c in columns))
    for name, figures in rows.items():
        print(f"{name:<12}" + "".join(f"{figures[c]:>16,.0f}" for c in columns))
    base = rows[BUILTIN_24X7.name]
    for name in (OFFICE.name, NIGHT.name):
        ratios = ", ".join(f"{c} {base[c] / rows[name][c]:.1f}x" for c in columns)
        print(f"24x7 vs {name}: {ratios}")
    office = rows[OFFICE.name]
    per_decision = 1 / office["elapsed/s"] * 2 + 1 / office["add/s"] * 2
    print(
        f"office, 2 elapsed + 2 add per decision: {1 / per_decision:,.0f} decisions/s "
        "from business time alone"
    )


if __name__ == "__main__":
    main()
