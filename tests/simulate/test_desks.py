"""export -> simulate on every desk's fake: the tickets a desk's window read gives,
written as a ticket file and read back, are the same tickets, and simulating a
policy against itself over them changes nothing."""

from __future__ import annotations

import io

import pytest

from escalada.simulate import Window
from escalada.simulate import simulate
from escalada.ticket_file import parse_lines
from escalada.ticket_file import write_tickets
from tests.connectors.contract import NOW
from tests.runner_fixtures import H
from tests.runner_fixtures import RecordingNotifier
from tests.runner_fixtures import harness_params
from tests.runner_fixtures import open_desk
from tests.runner_fixtures import run
from tests.runner_fixtures import runner_policy
from tests.runner_fixtures import seed


@pytest.mark.parametrize("desk", harness_params())
def test_export_then_simulate_round_trips(desk, tmp_path):
    with open_desk(desk, tmp_path) as h:
        keys = seed(h)
        policy = runner_policy(h.desk)
        run(h, policy, NOW, RecordingNotifier())  # markers on the desk, as in production
        connector = h.connector()
        if not callable(getattr(connector, "window", None)):
            pytest.skip(f"the {desk} connector cannot read its tickets' history yet")
        read = list(connector.window(since=NOW - 24 * H))  # type: ignore[attr-defined]
        assert sorted(t.key for t in read) == sorted(keys.values())
        assert all(t.status_history and t.status_history[-1].status == t.status for t in read)
        out = io.StringIO()
        write_tickets(read, out)
        back = list(parse_lines(out.getvalue().splitlines(), source="export.jsonl"))
        assert back == read
        escalated = next(t for t in back if t.key == keys["outage"])
        assert (escalated.escalation.path, escalated.escalation.level) == ("critical-outage", 1)
        result = simulate(policy, policy, back, now=NOW + H, window=Window(NOW - 24 * H, NOW + H))
        assert not result.changed
        assert result.backtest is not None and result.backtest.policy.escalations
