"""Jira's status history through the bulk changelog, and the export's window read,
against the fake (tests/fakes/jira_history.py cites the operations' shapes)."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
import responses

from tests.connectors.jira.harness import JiraHarness

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=timezone.utc)
H = timedelta(hours=1)


@pytest.fixture
def jira():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield JiraHarness(mock)


def test_history_reads_each_status_change_in_one_bulk_call(jira):
    waiting = jira.add_ticket(title="waiting", created=NOW - 5 * H, priority="P2")
    jira.fake.transition(waiting, "In Progress", NOW - 4 * H)
    jira.fake.transition(waiting, "Waiting for customer", NOW - 3 * H)
    quiet = jira.add_ticket(title="quiet", created=NOW - 2 * H, priority="P3")
    connector = jira.connector()
    tickets = list(connector.candidates())
    before = jira.fake.calls.copy()
    filled = {t.key: t for t in connector.history(tickets)}
    assert [(c.status, c.since) for c in filled[waiting].status_history] == [
        ("open", NOW - 5 * H),
        ("pending", NOW - 3 * H),  # In Progress is open too: no change to the normalized status
    ]
    assert [(c.status, c.since) for c in filled[quiet].status_history] == [("open", NOW - 2 * H)]
    calls = jira.fake.calls - before
    assert calls == {"changelog/bulkfetch": 1, "status": 1}
    (asked,) = jira.fake.changelog_requests
    assert asked["fieldIds"] == ["status"] and sorted(asked["issueIdsOrKeys"]) == sorted(filled)
    assert asked["maxResults"] == 10000


def test_history_follows_the_changelog_pages_and_batches_of_1000(jira):
    key = jira.add_ticket(title="busy", created=NOW - 30 * H, priority="P3")
    for n in range(6):
        jira.fake.transition(
            key, "Waiting for customer" if n % 2 == 0 else "Open", NOW - (29 - n) * H
        )
    connector = jira.connector()
    tickets = list(connector.candidates())
    from escalada.connectors.jira import history

    history_page, history.BULK_PAGE = history.BULK_PAGE, 4
    try:
        (filled,) = connector.history(tickets)
    finally:
        history.BULK_PAGE = history_page
    assert [c.status for c in filled.status_history] == ["open", "pending"] * 3 + ["open"]
    assert len(jira.fake.changelog_requests) == 2  # 6 changes at 4 a page
    assert jira.fake.changelog_requests[1]["nextPageToken"]


def test_window_reads_open_and_recently_resolved_issues(jira):
    open_key = jira.add_ticket(title="open", created=NOW - 2 * H, priority="P2")
    recent = jira.add_ticket(title="recent", created=NOW - 50 * H, priority="P2")
    jira.fake.transition(recent, "Resolved", NOW - 20 * H)
    old = jira.add_ticket(title="old", created=NOW - 40 * 24 * H, priority="P2")
    jira.fake.transition(old, "Resolved", NOW - 39 * 24 * H)
    connector = jira.connector()
    got = {t.key: t for t in connector.window(since=NOW - 7 * 24 * H)}
    assert sorted(got) == sorted([open_key, recent])
    assert got[recent].status == "resolved"
    assert got[recent].resolved == NOW - 20 * H
    assert [c.status for c in got[recent].status_history] == ["open", "resolved"]
    assert any('resolved >= "' in s.get("jql", "") for s in jira.fake.searches)
    assert sorted(t.key for t in connector.window()) == [open_key]


def test_a_ticket_read_elsewhere_gets_its_id_from_one_issue_read(jira):
    key = jira.add_ticket(title="t", created=NOW - 2 * H, priority="P2")
    jira.fake.transition(key, "Waiting for customer", NOW - H)
    (ticket,) = list(jira.connector().candidates())
    fresh = jira.connector()  # knows no ids yet
    (filled,) = fresh.history([ticket])
    assert [c.status for c in filled.status_history] == ["open", "pending"]
    assert jira.fake.calls["issue GET"] >= 1


def test_a_changelog_time_reads_as_the_schema_or_as_the_reference_example_writes_it():
    from escalada.connectors.jira.history import changelog_time

    assert changelog_time("2017-04-13T08:00:29.000+0000") == datetime(
        2017, 4, 13, 8, 0, 29, tzinfo=timezone.utc
    )
    assert changelog_time(1492070429) == datetime(2017, 4, 13, 8, 0, 29, tzinfo=timezone.utc)
    assert changelog_time(1492070429000) == changelog_time(1492070429)  # epoch millis too
