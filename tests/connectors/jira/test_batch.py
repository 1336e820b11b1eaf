"""Jira's batched calls around the writes (escalada.connectors.jira.batch): clearing
the pending label of many tickets, through the real `jira` client's session."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
import responses

from escalada.connectors import connect
from escalada.connectors.base import Wiring
from escalada.connectors.jira.connector import JiraConnector
from tests.connectors.jira.harness import ENVIRON
from tests.connectors.jira.harness import jira_desk
from tests.connectors.jira.harness import seed
from tests.fakes.jira import JiraFake

OPENED = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
PENDING = ["escalada-p-1", "escalada-pending", "vpn"]


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server = JiraFake(mock)
        seed(server)
        yield server


def setup(fake, n, sleeps=None):
    keys = [
        fake.add_issue(summary=f"I{i}", created=OPENED + timedelta(seconds=i), labels=PENDING)
        for i in range(n)
    ]
    sleeps = [] if sleeps is None else sleeps
    connector = connect(
        jira_desk(), wiring=Wiring(sleep=sleeps.append, jitter=lambda: 0.5, environ=ENVIRON)
    )
    assert isinstance(connector, JiraConnector)
    tickets = list(connector.candidates())
    return keys, connector, tickets


def test_a_bulk_edit_clears_1000_tickets_a_call_and_keeps_their_other_labels(fake):
    keys, connector, tickets = setup(fake, 1200)
    before = fake.total_calls
    done = connector.clear_pending(tickets)
    # the permission once, then per 1,000 issues: the bulk edit and one progress poll
    assert fake.total_calls - before == 1 + 2 * 2
    assert [len(t["keys"]) for t in fake.bulk_tasks.values()] == [1000, 200]
    assert {t.key for t in done} == set(keys)
    assert all(not t.escalation.pending and "escalada-pending" not in t.tags for t in done)
    assert all(fake.issues[k].fields["labels"] == ["escalada-p-1", "vpn"] for k in keys)
    assert not fake.edits  # no per-ticket PUT


def test_a_running_task_is_polled_with_the_injected_sleep(fake):
    sleeps: list[float] = []
    keys, connector, tickets = setup(fake, 3, sleeps)
    fake.bulk_polls_running = 2
    done = connector.clear_pending(tickets)
    assert len(done) == 3 and sleeps == [1.0, 1.0, 2.0]


def test_a_task_not_done_within_the_polls_leaves_its_tickets_out(fake):
    keys, connector, tickets = setup(fake, 2)
    fake.bulk_polls_running = 1000
    assert connector.clear_pending(tickets) == []
    assert all("escalada-pending" in fake.issues[k].fields["labels"] for k in keys)


def test_without_the_bulk_permission_one_put_per_ticket(fake):
    """Make bulk changes is a global permission; without it (and on Data Center, which
    has no bulk edit) one label PUT per ticket is the floor."""
    fake.granted.discard("BULK_CHANGE")
    keys, connector, tickets = setup(fake, 3)
    before = fake.total_calls
    done = connector.clear_pending(tickets)
    assert fake.total_calls - before == 1 + 3
    assert {t.key for t in done} == set(keys) and not fake.bulk_tasks
    assert fake.edits[0][1] == {"update": {"labels": [{"remove": "escalada-pending"}]}}
    assert all(fake.issues[k].fields["labels"] == ["escalada-p-1", "vpn"] for k in keys)


def test_nothing_to_clear_makes_no_call(fake):
    keys, connector, tickets = setup(fake, 1)
    before = fake.total_calls
    assert connector.clear_pending([]) == [] and fake.total_calls == before
