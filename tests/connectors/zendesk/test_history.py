"""Zendesk's status history from the ticket audits, and the export's window read,
against the fake (which audits every ticket change as Zendesk does)."""

from __future__ import annotations

import math
from datetime import timedelta

import pytest

from tests.connectors.contract import NOW
from tests.connectors.zendesk.harness import open_harness

H = timedelta(hours=1)


@pytest.fixture
def zd(tmp_path):
    with open_harness(tmp_path) as h:
        yield h


def test_history_reads_the_audits_of_the_tickets_the_metrics_show_paused(zd):
    waiting = zd.add_ticket(title="waiting", created=NOW - 5 * H, priority="P2")
    quiet = zd.add_ticket(title="quiet", created=NOW - 2 * H, priority="P3")
    zd.fake.now = NOW - 3 * H
    zd.fake.edit(int(waiting), status="hold")  # hold reads as on-hold
    zd.fake.now = NOW - H
    zd.fake.edit(int(waiting), status="open", priority="urgent")
    zd.fake.edit(int(waiting), priority="high")  # an audit without a status change
    connector = zd.connector()
    tickets = list(connector.candidates())
    before = zd.fake.calls.copy()
    filled = {t.key: t for t in connector.history(tickets)}
    assert [(c.status, c.since) for c in filled[waiting].status_history] == [
        ("open", NOW - 5 * H),
        ("on-hold", NOW - 3 * H + timedelta(seconds=1)),
        ("open", NOW - H + timedelta(seconds=1)),
    ]
    assert [(c.status, c.since) for c in filled[quiet].status_history] == [("open", NOW - 2 * H)]
    # one show_many for the metric sets; the audits of the ticket that was on hold only
    assert (zd.fake.calls - before) == {"show_many": 1, "audits": 1}


def test_history_follows_the_audit_cursor_past_100(zd):
    busy = zd.add_ticket(title="busy", created=NOW - 200 * H, priority="P2")
    for hour in range(150):  # 150 changes: two pages of audits
        zd.fake.now = NOW - (199 - hour) * H
        zd.fake.edit(int(busy), status="pending" if hour % 2 == 0 else "open")
    connector = zd.connector()
    read = list(connector.candidates())
    before = zd.fake.calls.copy()
    (ticket,) = connector.history(read)
    assert len(ticket.status_history) == 151
    assert ticket.status_history[-1].status == "open" == ticket.status
    assert (zd.fake.calls - before) == {"show_many": 1, "audits": 2}


def test_250_tickets_never_paused_cost_three_show_many_and_no_audit(zd):
    keys = [zd.add_ticket(title=f"t{i}", created=NOW - 2 * H, priority="P2") for i in range(250)]
    connector = zd.connector()
    read = list(connector.candidates())
    before = zd.fake.calls.copy()
    filled = connector.history(read)
    assert (zd.fake.calls - before) == {"show_many": 3}
    assert sorted(t.key for t in filled) == sorted(keys)
    assert all(
        [(c.status, c.since) for c in t.status_history] == [("open", NOW - 2 * H)] for t in filled
    )


def test_metric_sets_the_refresh_read_are_not_read_again(zd):
    key = zd.add_ticket(title="t", created=NOW - 2 * H, priority="P2")
    connector = zd.connector()
    fresh = connector.refresh(list(connector.candidates()))
    before = zd.fake.calls.copy()
    (ticket,) = connector.history(fresh)
    assert ticket.key == key and not (zd.fake.calls - before)


@pytest.mark.parametrize(
    ("moves", "audited"),
    [
        ([("pending", 3 * H)], True),  # pending now: its audits say since when
        ([("pending", 3 * H), ("open", 2 * H)], True),  # an hour in pending
        ([("hold", 3 * H), ("open", 2 * H)], True),
        ([("solved", 3 * H), ("open", 2 * H)], True),  # reopened
        ([("pending", 3 * H), ("open", 3 * H - timedelta(seconds=20))], False),
    ],
    ids=["pending-now", "was-pending", "was-on-hold", "reopened", "pending-for-20s"],
)
def test_which_tickets_have_their_audits_read(zd, moves, audited):
    key = zd.add_ticket(title="t", created=NOW - 4 * H, priority="P2")
    for status, before_now in moves:
        zd.fake.now = NOW - before_now - timedelta(seconds=1)  # edit() ticks a second
        zd.fake.edit(int(key), status=status)
    zd.fake.now = NOW
    connector = zd.connector()
    read = list(connector.candidates())
    (ticket,) = connector.history(read)
    assert zd.fake.calls["audits"] == (1 if audited else 0)
    if not audited:
        # under a minute in pending reads as none (the metrics count whole minutes):
        # the clock runs through those 20 seconds
        assert [(c.status, c.since) for c in ticket.status_history] == [("open", NOW - 4 * H)]


@pytest.mark.parametrize("n", [3, 150])
def test_window_adds_the_tickets_solved_since_and_counts_its_calls(zd, n):
    opened = [
        zd.add_ticket(title=f"open {i}", created=NOW - 2 * H, priority="P2") for i in range(n)
    ]
    recent = zd.add_ticket(title="recent", created=NOW - 50 * H, priority="P2")
    old = zd.add_ticket(title="old", created=NOW - 40 * 24 * H, priority="P2")
    closed = zd.add_ticket(title="closed", created=NOW - 60 * H, priority="P2")
    for key, when, status in (
        (recent, NOW - 20 * H, "solved"),
        (old, NOW - 39 * 24 * H, "solved"),
        (closed, NOW - 30 * H, "solved"),
        (closed, NOW - 10 * H, "closed"),
    ):
        zd.fake.now = when
        zd.fake.edit(int(key), status=status)
    connector = zd.connector()
    before = zd.fake.calls.copy()
    got = {t.key: t for t in connector.window(since=NOW - 7 * 24 * H)}
    assert sorted(got) == sorted([*opened, recent, closed])
    assert not any(t.partial for t in got.values())
    assert got[recent].resolved == NOW - 20 * H + timedelta(seconds=1)
    assert [c.status for c in got[closed].status_history] == ["open", "resolved", "closed"]
    assert got[closed].resolved == NOW - 30 * H + timedelta(seconds=1)
    # For N tickets: the groups, one export page per query, one show_many per
    # 100 tickets of a page, and one audit read per ticket.
    assert (zd.fake.calls - before) == {
        "groups": 1,
        "export": 2,
        "show_many": math.ceil(n / 100) + 1,  # the open ones, then the two done ones
        "audits": len(got),  # `old` is not read: the search leaves it out
    }
    assert sorted(t.key for t in connector.window()) == sorted(opened)
