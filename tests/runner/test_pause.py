"""The SLA clock pauses on every desk (issue 11): a ticket waiting on the customer is not
escalated by time while it waits, beside an open ticket of the same age that is; a trigger
still fires on a waiting ticket. Driven through each desk's fake and real connector."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.connectors.contract import NOW
from tests.runner_fixtures import H
from tests.runner_fixtures import RecordingNotifier
from tests.runner_fixtures import harness_params
from tests.runner_fixtures import open_desk
from tests.runner_fixtures import run
from tests.runner_fixtures import runner_policy


@pytest.mark.parametrize("desk", harness_params())
def test_a_waiting_ticket_does_not_climb_by_time(desk: str, tmp_path: Path) -> None:
    with open_desk(desk, tmp_path) as h:
        # standard L1 falls due 4h after opening without a response: both are 5h old
        working = h.add_ticket(title="Printer queue stuck", created=NOW - 5 * H, priority="P3")
        waiting = h.add_ticket(
            title="Waiting for the customer's logs",
            created=NOW - 5 * H,
            priority="P3",
            status="pending",
        )
        vip = h.add_ticket(
            title="CEO's laptop, waiting for a courier",
            created=NOW - 5 * H,
            priority="P1",
            tags=["outage"],
            vip=True,
            status="pending",
        )
        report = run(h, runner_policy(h.desk), NOW, RecordingNotifier())
        assert report.desks[0].failed is None
        assert h.view(working).escalation.level == 1
        assert h.view(waiting).escalation.level == 0  # paused: no time threshold passes
        # ServiceNow's base system has one waiting state, 3 "On Hold" (awaiting caller is a
        # hold reason), which reads as on-hold; both pause by default
        assert h.view(waiting).status in ("pending", "on-hold")
        assert h.view(vip).escalation.level == 2  # triggers still fire while paused
