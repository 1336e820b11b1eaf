"""What "responded" costs on Zendesk: the calls of a cycle's reads over N open tickets.

A Zendesk ticket has no first-reply timestamp; the ticket metric set has it
(reply_time), and the search export that lists the candidates does not carry
it. Five ways, measured side by side on the fake through zenpy (calls counted
at the transport, wall time on the in-process fake, and the minutes of a
Professional plan's 400 requests/minute budget):

- per-ticket: the export, then GET tickets/{id}/metrics.json per ticket
  (zenpy's tickets.metrics): pages + N;
- show_many read: the export, then show_many?include=metric_sets,organizations
  per 100 tickets during the read (escalada before refresh): pages + N/100 + 1;
- refresh 5% due: escalada now: the export and the group list, then
  `refresh` of the tickets the runner finds due, here 5%: pages + 1 + 5%N/100;
- runner, 90% answered: a whole dry-run cycle of the runner on a backlog past
  its `unless: responded` threshold, 90% answered in time, 10% escalated
  already: nothing is due, but the export cannot show the answers, so every
  answered ticket looks due and is refreshed, each cycle: pages + 1 + 90%N/100;
- no responded: the export alone, what escalada reads when the policy has no
  `unless: responded`: pages + 1.

    python bench/zendesk_responded.py [--sizes 200,1000,5000]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import responses

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from escalada import marker  # noqa: E402
from escalada.connectors import connect  # noqa: E402
from escalada.connectors.base import Wiring  # noqa: E402
from escalada.connectors.zendesk.tickets import to_ticket  # noqa: E402
from escalada.engine.evaluator import Evaluator  # noqa: E402
from escalada.engine.readneeds import read_needs  # noqa: E402
from escalada.policy.model import EscalationPath  # noqa: E402
from escalada.policy.model import Level  # noqa: E402
from escalada.policy.model import Policy  # noqa: E402
from escalada.runner import RunOptions  # noqa: E402
from escalada.runner import run_cycle  # noqa: E402
from escalada.ticket import EscalationState  # noqa: E402
from tests.connectors.contract import NOW  # noqa: E402
from tests.connectors.contract import OPENED  # noqa: E402
from tests.connectors.zendesk.harness import ENVIRON  # noqa: E402
from tests.connectors.zendesk.harness import ZendeskHarness  # noqa: E402
from tests.fakes.zendesk import ZendeskFake  # noqa: E402
from tests.runner_fixtures import runner_policy  # noqa: E402

BUDGET = 400  # requests per minute, Zendesk Professional
DUE_SHARE = 0.05
ANSWERED_SHARE = 0.9
RESPONDED = Policy(
    None,
    {},
    {},
    {},
    {
        "p": EscalationPath(
            "p",
            None,
            0,
            (
                Level(0, "service-desk"),
                Level(1, "network-l2", after=timedelta(minutes=15), unless="responded"),
            ),
        )
    },
    {},
    {},
)
NO_RESPONDED = Policy(
    None, {}, {}, {}, {"p": EscalationPath("p", None, 0, (Level(0, "service-desk"),))}, {}, {}
)
WAYS = ("per-ticket", "show_many read", "refresh 5% due", "runner, 90% answered", "no responded")


def expected(way: str, count: int) -> int:
    pages = math.ceil(count / 1000)
    return {
        "per-ticket": pages + count,
        "show_many read": pages + math.ceil(count / 100) + 1,
        "refresh 5% due": pages + 1 + math.ceil(round(count * DUE_SHARE) / 100),
        "runner, 90% answered": pages + 1 + math.ceil(round(count * ANSWERED_SHARE) / 100),
        "no responded": pages + 1,
    }[way]


def seed(h: ZendeskHarness, count: int, way: str) -> None:
    """Half the tickets answered; for the runner, a backlog 5h old: 90% answered
    within the hour, the rest escalated to L1 of the `standard` path already."""
    for i in range(count):
        if way != "runner, 90% answered":
            key = h.add_ticket(title=f"T{i}", created=OPENED + timedelta(seconds=i))
            if i % 2:
                h.fake.replied[int(key)] = OPENED + timedelta(seconds=i, minutes=20)
            continue
        created = NOW - timedelta(hours=5, seconds=i)
        answered = i % 10 < ANSWERED_SHARE * 10
        tags = () if answered else marker.encode(EscalationState("standard", 1, since=NOW))
        key = h.add_ticket(title=f"T{i}", created=created, tags=tags)
        if answered:
            h.fake.replied[int(key)] = created + timedelta(minutes=40)


def run(count: int, way: str) -> tuple[int, int | None, int, float]:
    """(tickets read, tickets with responded known, calls, seconds)."""
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        h = ZendeskHarness(ZendeskFake(mock))
        seed(h, count, way)
        policy = NO_RESPONDED if way == "no responded" else RESPONDED
        connector: Any = connect(
            h.desk, needs=read_needs(policy), wiring=Wiring(environ=ENVIRON, sleep=h.sleeps.append)
        )
        before = h.calls
        started = time.perf_counter()
        responded: int | None = None
        if way == "per-ticket":
            raws = [raw for page in connector.export() for raw in page]
            metrics = [connector.client.tickets.metrics(int(r["id"])) for r in raws]
            read = len(raws)
            responded = sum(1 for m in metrics if m.reply_time_in_minutes["calendar"] is not None)
        elif way == "show_many read":
            raws = [raw for page in connector.export() for raw in page]
            tickets = []
            for start in range(0, len(raws), 100):
                batch, lookups = connector.show_many([int(r["id"]) for r in raws[start:][:100]])
                tickets.extend(to_ticket(h.desk, raw, lookups) for raw in batch)
            read, responded = len(tickets), sum(1 for t in tickets if t.responded is not None)
        elif way == "refresh 5% due":
            tickets = list(connector.candidates())
            due = tickets[: round(len(tickets) * DUE_SHARE)]
            fresh = connector.refresh(due)
            read, responded = len(tickets), sum(1 for t in fresh if t.responded is not None)
        elif way == "runner, 90% answered":
            policy = runner_policy(h.desk)
            report = run_cycle(
                policy,
                now=NOW,
                connect=lambda desk: connect(
                    desk,
                    needs=read_needs(policy),
                    wiring=Wiring(environ=ENVIRON, sleep=h.sleeps.append),
                ),
                notifier=None,
                options=RunOptions(dry_run=True),
                evaluator=Evaluator(policy),
            )
            (desk,) = report.desks
            assert desk.failed is None and desk.escalated == 0, desk
            read = desk.seen
        else:
            read = sum(1 for _ in connector.candidates())
        return read, responded, h.calls - before, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200,1000,5000", help="ticket counts, comma-separated")
    sizes = [int(s) for s in parser.parse_args().sizes.split(",")]
    header = (
        f"{'tickets':>7}  {'way':<21} {'calls':>6} {'expected':>8} {'responded':>9} "
        f"{'read s':>7} {'budget min':>10} {'vs per-ticket':>13}"
    )
    print(header)
    print("-" * len(header))
    for count in sizes:
        baseline = None
        for way in WAYS:
            read, responded, calls, seconds = run(count, way)
            assert read == count, f"{way}: read {read} of {count}"
            want = expected(way, count)
            assert calls == want, f"{way}: {calls} calls, expected {want}"
            baseline = baseline or calls
            shown = "-" if responded is None else f"{responded}"
            print(
                f"{count:>7}  {way:<21} {calls:>6} {want:>8} {shown:>9} {seconds:>7.2f} "
                f"{calls / BUDGET:>10.2f} {baseline / calls:>12.1f}x"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
