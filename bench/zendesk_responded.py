"""What "responded" costs on Zendesk: the calls of a candidate read of N open tickets.

A Zendesk ticket has no first-reply timestamp; the ticket metric set has it
(reply_time). Three ways to read N open tickets, measured side by side on the
fake through zenpy (calls counted at the transport, wall time on the in-process
fake, and the minutes of a Professional plan's 400 requests/minute budget):

- per-ticket: the search export, then GET tickets/{id}/metrics.json per ticket
  (zenpy's tickets.metrics): pages + N calls;
- escalada: the search export, then show_many?include=metric_sets per 100
  tickets: pages + N/100 + 1 (the group list);
- no responded: the export alone, what escalada does when the policy has no
  `unless: responded` (and no organization condition): pages + 1.

    python bench/zendesk_responded.py [--sizes 200,1000,5000]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import timedelta
from pathlib import Path

import responses

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from escalada.connectors import connect  # noqa: E402
from escalada.policy.model import EscalationPath  # noqa: E402
from escalada.policy.model import Level  # noqa: E402
from escalada.policy.model import Policy  # noqa: E402
from tests.connectors.contract import OPENED  # noqa: E402
from tests.connectors.harness_zendesk import ENVIRON  # noqa: E402
from tests.connectors.harness_zendesk import ZendeskHarness  # noqa: E402
from tests.fakes.zendesk import ZendeskFake  # noqa: E402

BUDGET = 400  # requests per minute, Zendesk Professional
NO_RESPONDED = Policy(
    None, {}, {}, {}, {"p": EscalationPath("p", None, 0, (Level(0, "service-desk"),))}, {}, {}
)


def run(count: int, way: str) -> tuple[int, int, int, float]:
    """(tickets read, tickets with responded, calls, seconds)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        h = ZendeskHarness(ZendeskFake(mock))
        for i in range(count):
            key = h.add_ticket(title=f"T{i}", created=OPENED + timedelta(seconds=i))
            if i % 2:
                h.fake.replied[int(key)] = OPENED + timedelta(seconds=i, minutes=20)
        policy = NO_RESPONDED if way == "no responded" else None
        connector = connect(h.desk, environ=ENVIRON, sleep=h.sleeps.append, policy=policy)
        before = h.calls
        started = time.perf_counter()
        if way == "per-ticket":
            tickets = list(connector.export())
            metrics = [connector.client.tickets.metrics(int(t["id"])) for t in tickets]
            read = len(tickets)
            responded = sum(1 for m in metrics if m.reply_time_in_minutes["calendar"] is not None)
        else:
            tickets = list(connector.candidates())
            read, responded = len(tickets), sum(1 for t in tickets if t.responded is not None)
        return read, responded, h.calls - before, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000,5000", help="ticket counts, comma-separated")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    header = (
        f"{'tickets':>7}  {'way':<13} {'calls':>6} {'expected':>8} {'responded':>9} "
        f"{'read s':>7} {'budget min':>10} {'vs per-ticket':>13}"
    )
    print(header)
    print("-" * len(header))
    for count in sizes:
        pages = math.ceil(count / 1000)
        expected = {
            "per-ticket": pages + count,
            "escalada": pages + math.ceil(count / 100) + 1,
            "no responded": pages + 1,
        }
        baseline = None
        for way, want in expected.items():
            read, responded, calls, seconds = run(count, way)
            assert read == count, f"{way}: read {read} of {count}"
            baseline = baseline or calls
            shown = "-" if way == "no responded" else f"{responded}"
            print(
                f"{count:>7}  {way:<13} {calls:>6} {want:>8} {shown:>9} {seconds:>7.2f} "
                f"{calls / BUDGET:>10.2f} {baseline / calls:>12.1f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
