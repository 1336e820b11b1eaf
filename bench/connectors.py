"""Candidate reads at scale: the calls a full read of N open tickets makes, per desk,
against the minimum, ceil(N / the API's largest page) plus the desk's fixed
overhead. Target: <= 1.05x.

Runs every connector harness present in tests/connectors (<desk>/harness.py),
on its fake, with the connector's default (largest) page size:

    python bench/connectors.py [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
import tempfile
import time
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DESKS = ("sandbox", "jira", "zendesk", "servicenow")
TARGET = 1.05
OPENED = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


def measure(module: Any, count: int) -> tuple[int, int, int, int, float, float]:
    """(page size, overhead, calls, tickets read, seconds to seed, seconds to read)."""
    with tempfile.TemporaryDirectory() as tmp, module.open_harness(Path(tmp)) as harness:
        started = time.perf_counter()
        for i in range(count):
            harness.add_ticket(title=f"Bench ticket {i}", created=OPENED + timedelta(seconds=i))
        seeded = time.perf_counter() - started
        connector = harness.connector()
        before = harness.calls
        started = time.perf_counter()
        read = sum(1 for _ in connector.candidates())
        elapsed = time.perf_counter() - started
        return (
            harness.page_size,
            harness.read_overhead,
            harness.calls - before,
            read,
            seeded,
            elapsed,
        )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="ticket counts, comma-separated")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    header = (
        f"{'desk':<11} {'tickets':>8} {'page':>6} {'calls':>6} {'pages':>6} {'overhead':>8} "
        f"{'minimum':>7} {'ratio':>6} {'read s':>7} {'s/1k':>7}  result"
    )
    print(header)
    print("-" * len(header))
    worst = 0.0
    for desk in DESKS:
        try:
            module = importlib.import_module(f"tests.connectors.{desk}.harness")
        except ImportError as error:
            print(f"{desk:<11} not measured: no harness ({error})")
            continue
        for count in sizes:
            page, overhead, calls, read, _, elapsed = measure(module, count)
            if read != count:
                print(f"{desk:<11} {count:>8} read {read} tickets, expected {count}: FAIL")
                worst = math.inf
                continue
            pages = math.ceil(count / page)
            minimum = pages + overhead
            ratio = calls / minimum
            worst = max(worst, ratio)
            verdict = "ok" if ratio <= TARGET else f"over {TARGET}x"
            print(
                f"{desk:<11} {count:>8} {page:>6} {calls:>6} {pages:>6} {overhead:>8} "
                f"{minimum:>7} {ratio:>5.2f}x {elapsed:>7.3f} {elapsed / count * 1000:>7.4f}  "
                f"{verdict}"
            )
    print(f"\nworst ratio {worst:.2f}x (target <= {TARGET}x)")
    return 0 if worst <= TARGET else 1


if __name__ == "__main__":
    sys.exit(main())
