"""ServiceNow's state history from sys_audit, and the export's window read, against
the fake (which audits incident state changes as the base system does)."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from tests.connectors.servicenow.harness import open_harness

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


@pytest.fixture
def sn(tmp_path):
    with open_harness(tmp_path) as h:
        yield h


def sys_id(sn, key: str) -> str:
    return sn.incident(key)["sys_id"]


def test_history_reads_the_state_changes_of_a_batch_in_one_query(sn):
    waiting = sn.add_ticket(title="waiting", created=NOW - 5 * H, priority="P2")
    quiet = sn.add_ticket(title="quiet", created=NOW - 2 * H, priority="P3")
    sn.fake.now = NOW - 3 * H
    sn.fake.edit("incident", sys_id(sn, waiting), state="2")  # In Progress: still open
    sn.fake.now = NOW - H
    sn.fake.edit("incident", sys_id(sn, waiting), state="3")  # On Hold: on-hold
    connector = sn.connector()
    tickets = list(connector.candidates())
    before = sn.fake.calls.copy()
    filled = {t.key: t for t in connector.history(tickets)}
    assert [(c.status, c.since) for c in filled[waiting].status_history] == [
        ("open", NOW - 5 * H),
        ("on-hold", NOW - H),
    ]
    assert [(c.status, c.since) for c in filled[quiet].status_history] == [("open", NOW - 2 * H)]
    assert sum((sn.fake.calls - before).values()) == 1  # one sys_audit query for the batch


def test_window_adds_the_incidents_resolved_since(sn):
    open_key = sn.add_ticket(title="open", created=NOW - 2 * H, priority="P2")
    recent = sn.add_ticket(title="recent", created=NOW - 50 * H, priority="P2")
    old = sn.add_ticket(title="old", created=NOW - 40 * 24 * H, priority="P2")
    for key, when in ((recent, NOW - 20 * H), (old, NOW - 39 * 24 * H)):
        sn.fake.now = when
        stamp = when.strftime("%Y-%m-%d %H:%M:%S")
        sn.fake.edit("incident", sys_id(sn, key), state="6", resolved_at=stamp)
    connector = sn.connector()
    got = {t.key: t for t in connector.window(since=NOW - 7 * 24 * H)}
    assert sorted(got) == sorted([open_key, recent])
    assert got[recent].resolved == NOW - 20 * H
    assert [(c.status, c.since) for c in got[recent].status_history] == [
        ("open", NOW - 50 * H),
        ("resolved", NOW - 20 * H),
    ]
    assert sorted(t.key for t in connector.window()) == [open_key]
