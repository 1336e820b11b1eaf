"""Where the ServiceNow escalation marker lives, and what each choice costs.

Side by side for N open incidents, a tenth of them already escalated (each
with two marker work notes, as an escalation plus its notification
confirmation leave): a candidate read with the marker in a field
(options.marker_field) against the marker in work notes (one
sys_journal_field query per page of candidates, which pysnc sends through the
Batch API once the sys_id list makes the URL long). Counts HTTP calls (what a
ServiceNow rate limit counts) and the rows and bytes the desk sends back;
times are the in-process fake's, only good for comparing the two.

    python bench/servicenow_markers.py [--sizes 1000,10000]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from escalada.ticket import Action  # noqa: E402
from escalada.ticket import EscalationState  # noqa: E402
from tests.connectors.servicenow.harness import open_harness  # noqa: E402

OPENED = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
ESCALATED = EscalationState(path="critical-outage", level=1, since=OPENED, pending=True)
CONFIRMED = EscalationState(path="critical-outage", level=1, since=OPENED)


def measure(count: int, marker_field: str | None) -> dict[str, float]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        open_harness(Path(tmp), marker_field=marker_field) as harness,
    ):
        keys = [
            harness.add_ticket(title=f"Bench {i}", created=OPENED + timedelta(seconds=i))
            for i in range(count)
        ]
        writer = harness.connector()
        tickets = {t.key: t for t in writer.candidates()}
        for key in keys[::10]:  # a tenth escalated, notified, confirmed
            result = writer.apply(tickets[key], [Action("mark", "level 1", state=ESCALATED)])
            ticket = replace(tickets[key], revision=result.revision)
            writer.apply(ticket, [Action("mark", "notified", state=CONFIRMED)])
        reader = harness.connector()
        before, size_before = harness.calls, _bytes(harness)
        batches = harness.fake.calls["batch"]
        started = time.perf_counter()
        read = list(reader.candidates())
        elapsed = time.perf_counter() - started
        assert len(read) == count
        assert sum(1 for t in read if t.escalation == CONFIRMED) == len(keys[::10])
        return {
            "calls": harness.calls - before,
            "batch": harness.fake.calls["batch"] - batches,
            "kbytes": (_bytes(harness) - size_before) / 1024,
            "seconds": elapsed,
        }


def _bytes(harness: object) -> int:
    calls = harness.fake.mock.calls  # type: ignore[attr-defined]
    return sum(len(call.response.content or b"") for call in calls if call.response is not None)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000", help="ticket counts, comma-separated")
    sizes = [int(size) for size in parser.parse_args().sizes.split(",")]
    print(
        f"{'tickets':>8} {'marker in':<11} {'calls':>6} {'batch':>6} {'KiB read':>9} "
        f"{'read s':>7}   calls vs field"
    )
    for count in sizes:
        field = measure(count, "u_escalada")
        notes = measure(count, None)
        for name, figures in (("field", field), ("work notes", notes)):
            ratio = figures["calls"] / field["calls"]
            print(
                f"{count:>8} {name:<11} {figures['calls']:>6.0f} {figures['batch']:>6.0f} "
                f"{figures['kbytes']:>9.0f} {figures['seconds']:>7.2f}   {ratio:.2f}x"
            )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
