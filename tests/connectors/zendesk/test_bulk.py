"""Zendesk's bulk clearing of pending tokens: update_many with remove_tags, 100 ids a
call, and its background jobs read together (escalada.connectors.zendesk.bulk)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from escalada.connectors.zendesk.bulk import WAITS
from tests.connectors.contract import NOW
from tests.connectors.zendesk.harness import open_harness

PENDING = ["escalada-critical-outage-1", "escalada-pending", "vpn"]


@pytest.fixture
def zd(tmp_path):
    with open_harness(tmp_path) as h:
        yield h


def _pending(zd, count):
    keys = [
        zd.add_ticket(title=f"t{i}", created=NOW - timedelta(hours=1), tags=PENDING)
        for i in range(count)
    ]
    connector = zd.connector()
    read = {t.key: t for t in connector.candidates()}
    return connector, [read[k] for k in keys]


def test_250_tickets_cost_three_puts_and_one_read_of_their_jobs(zd):
    connector, tickets = _pending(zd, 250)
    before = zd.fake.calls.copy()
    cleared = connector.clear_pending(tickets)
    assert (zd.fake.calls - before) == {"update_many": 3, "job_statuses": 1}
    assert [t.key for t in cleared] == [t.key for t in tickets]
    assert all(zd.fake.tickets[int(t.key)]["tags"] == PENDING[:1] + ["vpn"] for t in tickets)
    assert all(not t.escalation.pending and t.revision is None for t in cleared)
    assert all(t.tags == {"escalada-critical-outage-1", "vpn"} for t in cleared)


def test_jobs_still_queued_are_read_again_after_growing_waits(zd):
    connector, tickets = _pending(zd, 3)
    zd.fake.job_delay = 2  # two reads see the job queued
    zd.sleeps.clear()
    cleared = connector.clear_pending(tickets)
    assert len(cleared) == 3
    assert zd.fake.calls["job_statuses"] == 3
    assert zd.sleeps == list(WAITS[:3])


def test_a_job_that_never_finishes_leaves_its_tickets_out(zd, caplog):
    connector, tickets = _pending(zd, 2)
    zd.fake.job_delay = 100
    with caplog.at_level(logging.WARNING, logger="escalada.zendesk"):
        assert connector.clear_pending(tickets) == []
    assert zd.fake.calls["job_statuses"] == len(WAITS)
    assert "not confirmed cleared" in caplog.text


def test_a_ticket_the_job_cannot_update_keeps_its_token(zd):
    connector, tickets = _pending(zd, 3)
    zd.fake.tickets[int(tickets[1].key)]["status"] = "closed"  # closed: no more updates
    cleared = connector.clear_pending(tickets)
    assert [t.key for t in cleared] == [tickets[0].key, tickets[2].key]
    assert "escalada-pending" in zd.fake.tickets[int(tickets[1].key)]["tags"]


def test_a_human_tag_added_since_the_read_survives(zd):
    connector, tickets = _pending(zd, 1)
    zd.fake.edit(int(tickets[0].key), tags=[*PENDING, "human"])
    connector.clear_pending(tickets)
    assert zd.fake.tickets[int(tickets[0].key)]["tags"] == [
        "escalada-critical-outage-1",
        "human",
        "vpn",
    ]
