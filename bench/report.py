"""`escalada report` over a year: 10,000 tickets a month, streamed.

Writes a year of synthetic audit records (and the tickets they belong to) in the
shapes escalada writes (escalada/report/synthetic.py), then times the report in
a fresh process and reads its peak resident memory, beside the floor: a process
that only reads the same lines and parses each as JSON. A quarter of the same
shape runs too, so the memory of one year and of three months sit side by side
(streamed, memory grows with the tickets kept per measure, not with the lines).

    python bench/report.py            # a year (about 330,000 records); --months 3 for less
"""

from __future__ import annotations

import argparse
import platform
import resource
import subprocess
import sys
import tempfile
import time
from datetime import datetime
from datetime import timezone
from pathlib import Path

from escalada.report.synthetic import Shape
from escalada.report.synthetic import write

ROOT = Path(__file__).resolve().parent.parent
POLICY = ROOT / "examples" / "policy"
FLOOR = """
import json, sys
for path in sys.argv[1:]:
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            json.loads(line)
"""


def generate(folder: Path, months: int, per_month: int) -> tuple[Path, Path, int, float]:
    audit, tickets = folder / f"audit-{months}.jsonl", folder / f"tickets-{months}.jsonl"
    started = time.perf_counter()
    with audit.open("w", encoding="utf-8") as a, tickets.open("w", encoding="utf-8") as t:
        records, _ = write(
            Shape(per_month, months, datetime(2025, 12, 1, tzinfo=timezone.utc)), a, t
        )
    return audit, tickets, records, time.perf_counter() - started


def measure(command: list[str]) -> tuple[float, float]:
    """(seconds, peak resident MiB) of one child process."""
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--months", type=int, default=12)
    parser.add_argument("--per-month", type=int, default=10_000)
    args = parser.parse_args()
    exe = str(Path(sys.executable).with_name("escalada"))
    print(f"python {platform.python_version()} on {platform.machine()}")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for months in sorted({max(1, args.months // 4), args.months}):
            audit, tickets, records, made = generate(Path(tmp), months, args.per_month)
            size = (audit.stat().st_size + tickets.stat().st_size) / 2**20
            print(
                f"{months:>2} months: {records:,} audit records + {months * args.per_month:,} "
                f"tickets, {size:,.0f} MiB written in {made:.1f}s"
            )
            # each measure in its own child: ru_maxrss of RUSAGE_CHILDREN is the peak of
            # any child so far, so the smallest runs go first
            floor = measure([sys.executable, "-c", FLOOR, str(audit), str(tickets)])
            report = [exe, "report", "--audit", str(audit), "--tickets", str(tickets)]
            report += ["--policy", str(POLICY)]
            text = measure([*report, "--format", "text"])
            html = measure([*report, "--format", "html"])
            rows.append((months, records, floor, text, html))
    print()
    print(
        f"{'months':>6} {'records':>10} {'floor s':>8} {'text s':>7} {'html s':>7} "
        f"{'text/floor':>10} {'records/s':>10} {'peak MiB':>9}"
    )
    for months, records, floor, text, html in rows:
        print(
            f"{months:>6} {records:>10,} {floor[0]:>8.1f} {text[0]:>7.1f} {html[0]:>7.1f} "
            f"{text[0] / floor[0]:>10.1f} {records / text[0]:>10,.0f} {max(text[1], html[1]):>9.0f}"
        )
    print("(peak MiB: the largest resident set of any child so far, so read it down the column)")


if __name__ == "__main__":
    main()
