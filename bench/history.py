"""The SLA pause's desk side: status-history calls per runner cycle, against the floor.

    python bench/history.py [--tickets 1200] [--due 0.25]
                            [--desks sandbox,servicenow,jira,zendesk]

Each desk harness gets N open tickets, a share `--due` of them past their first
time threshold (P3 opened 5 hours ago, unanswered: the standard path's L1 after
4h), the rest fresh; one dry-run cycle of the runner test policy runs. The
runner reads status history only for the tickets with a time-based action due,
in one `history` call; the connector batches it as its API allows. Figures per
desk, side by side:

  read     tickets whose history the runner asked for (must equal the due ones)
  calls    API calls the history read cost (the desk fake's own count)
  floor    ceil(due / the API's batch): sandbox 500 per statement, ServiceNow
           100 sys_ids per sys_audit query, Jira 1,000 issues per bulk changelog,
           Zendesk 1: a ticket's audits (GET tickets/{id}/audits.json, 100 a
           page) are its own call, and Zendesk has no batched read of them
           (ticket_audits.json is admin-only and account-wide, unfiltered)
  naive    one call per ticket due; all: the floor for every open ticket
"""

from __future__ import annotations

import argparse
import math
import sys
import tempfile
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from escalada.runner import RunOptions  # noqa: E402
from escalada.runner import run_cycle  # noqa: E402
from escalada.ticket import Ticket  # noqa: E402
from tests.connectors.contract import NOW  # noqa: E402
from tests.runner_fixtures import open_desk  # noqa: E402
from tests.runner_fixtures import runner_policy  # noqa: E402

BATCH = {"sandbox": 500, "servicenow": 100, "jira": 1000, "zendesk": 1}
H = timedelta(hours=1)


class Counting:
    """Delegates to a connector; counts what `history` is asked and what it costs."""

    def __init__(self, inner: Any, seen: dict[str, int]) -> None:
        self._inner = inner
        self._seen = seen

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def history(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        before = self._inner.calls
        out: list[Ticket] = self._inner.history(tickets)
        self._seen["read"] += len(tickets)
        self._seen["calls"] += self._inner.calls - before
        return out


def measure(desk: str, tickets: int, due: int) -> dict[str, int]:
    seen = {"read": 0, "calls": 0}
    with tempfile.TemporaryDirectory() as tmp:
        with open_desk(desk, Path(tmp)) as h:
            for i in range(tickets):
                late = i < due
                h.add_ticket(
                    title=f"ticket {i}",
                    created=NOW - (5 * H if late else H / 2),
                    priority="P3",
                )
            report = run_cycle(
                runner_policy(h.desk),
                now=NOW,
                connect=lambda d: Counting(h.connector(), seen),
                notifier=None,
                options=RunOptions(dry_run=True),
            )
            assert report.desks[0].failed is None, report.desks[0].failed
    return seen


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1200)
    parser.add_argument("--due", type=float, default=0.25)
    parser.add_argument("--desks", default="sandbox,servicenow,jira,zendesk")
    args = parser.parse_args()
    due = round(args.tickets * args.due)
    print(f"{args.tickets} open tickets, {due} due by time, one dry-run cycle")
    heads = ("read", "calls", "floor", "ratio", "naive")
    print(f"{'desk':<11} " + " ".join(f"{h:>6}" for h in heads) + f" {'all':>5}")
    for desk in args.desks.split(","):
        seen = measure(desk, args.tickets, due)
        floor = math.ceil(due / BATCH[desk])
        ratio = seen["calls"] / floor if floor else float("nan")
        every = math.ceil(args.tickets / BATCH[desk])
        print(
            f"{desk:<11} {seen['read']:>6} {seen['calls']:>6} {floor:>6} {ratio:>6.2f}"
            f" {due:>6} {every:>5}"
        )


if __name__ == "__main__":
    main()
