"""The runner on Zendesk with the example policy (examples/policy, desk
zendesk-prod): candidates come from the search export alone, and only the
tickets with something due are refreshed (show_many, with their first-reply
time) before anything is decided or written."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import responses

from escalada import marker
from escalada.connectors import connect
from escalada.connectors.base import Wiring
from escalada.engine.evaluator import Evaluator
from escalada.engine.readneeds import read_needs
from escalada.policy.validate import load_policy
from escalada.runner import DeskReport
from escalada.runner import RunOptions
from escalada.runner import run_cycle
from tests.connectors.contract import NOW
from tests.connectors.zendesk.harness import ENVIRON
from tests.fakes.zendesk import ZendeskFake
from tests.paths import EXAMPLE as EXAMPLES
from tests.runner_fixtures import RecordingNotifier

DESK = "zendesk-prod"
M = timedelta(minutes=1)


@pytest.fixture(scope="module")
def policy():
    return load_policy([str(EXAMPLES)])


@pytest.fixture
def fake(policy):
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fake = ZendeskFake(mock)
        for group in sorted(set(policy.desks[DESK].teams.values())):
            fake.add_group(group)
        yield fake


def cycle(fake, policy, *, now: datetime = NOW, notifier=None) -> DeskReport:
    def connector(desk):
        return connect(
            desk,
            needs=read_needs(policy),
            wiring=Wiring(environ=ENVIRON, sleep=lambda _: None),
        )

    report = run_cycle(
        policy,
        now=now,
        connect=connector,
        notifier=notifier or RecordingNotifier(),
        options=RunOptions(desks=(DESK,)),
        evaluator=Evaluator(policy),
    )
    (desk,) = report.desks
    assert desk.failed is None, desk.failed
    return desk


def refreshed(fake) -> list[set[int]]:
    """The ids of each show_many call, in order."""
    return [
        {int(i) for i in parse_qs(urlsplit(c.request.url).query)["ids"][0].split(",")}
        for c in fake.mock.calls
        if "/tickets/show_many" in c.request.url
    ]


def outage(fake, title, *, opened, replied=None):
    """A P1 outage: the example's critical-outage path, L1 after 15m unless responded."""
    return fake.add_ticket(
        title, created=NOW - opened, priority="urgent", tags=["outage"], replied=replied
    )


def test_an_unanswered_overdue_outage_escalates_an_answered_one_does_not(fake, policy):
    unanswered = outage(fake, "Core switch down", opened=40 * M)
    answered = outage(fake, "Core router flapping", opened=40 * M, replied=NOW - 35 * M)
    young = outage(fake, "Wifi down on floor 3", opened=5 * M)
    routine = fake.add_ticket("New laptop", created=NOW - 60 * M, priority="normal")
    notifier = RecordingNotifier()
    report = cycle(fake, policy, notifier=notifier)
    assert (report.seen, report.escalated, report.errors, report.conflicts) == (4, 1, 0, 0)
    # The export cannot tell the answered one from the unanswered one: both are
    # due on what it shows, and both are refreshed, in one call. The others are not.
    assert refreshed(fake) == [{unanswered, answered}]
    assert fake.calls["metrics"] == 0
    escalated = fake.tickets[unanswered]
    assert fake.groups[escalated["group_id"]]["name"] == "Network L2"
    state = marker.decode(escalated["tags"])
    assert (state.path, state.level, state.pending) == ("critical-outage", 1, False)
    assert fake.writes[unanswered] == 2  # the escalation, then clearing `pending`
    assert fake.writes[answered] == fake.writes[young] == fake.writes[routine] == 0
    assert {s.ticket for s in notifier.sent} == {str(unanswered)}
    # export page, group list, one show_many, the escalation's PUT, and the chunk's
    # clearing: one update_many and one read of its job. The ticket due by time
    # needs its status history (for the SLA pause), but the metric set the
    # refresh read shows no minute in pending or on hold: no audit read
    assert fake.calls["audits"] == 0
    assert report.calls == fake.total_calls == 6


def test_only_tickets_with_something_due_are_refreshed(fake, policy):
    due = [outage(fake, f"Outage {i}", opened=(20 + i) * M) for i in range(3)]
    for i in range(200):  # young outages and routine tickets: nothing due
        outage(fake, f"Fresh outage {i}", opened=2 * M)
        fake.add_ticket(f"Routine {i}", created=NOW - 30 * M, priority="normal")
    report = cycle(fake, policy)
    assert report.seen == 403 and report.escalated == 3
    assert refreshed(fake) == [set(due)]
    # The next cycle: the escalated ones sit at L1 and nothing else is due, so
    # nothing is refreshed and nothing is written.
    writes = sum(fake.writes.values())
    report = cycle(fake, policy, now=NOW + M)
    assert report.escalated == 0 and len(refreshed(fake)) == 1
    assert sum(fake.writes.values()) == writes
    assert report.calls == 1 + 1  # one export page, the group list


def test_an_answered_ticket_past_a_responded_threshold_is_refreshed_every_cycle(fake, policy):
    """What the export's lack of a first-reply time costs: such a ticket looks due
    on every cycle until it is solved (one show_many per 100 of them)."""
    answered = outage(fake, "Answered in time", opened=40 * M, replied=NOW - 38 * M)
    for minute in range(3):
        report = cycle(fake, policy, now=NOW + minute * M)
        assert report.escalated == 0
    assert refreshed(fake) == [{answered}] * 3
    assert fake.writes[answered] == 0


def test_a_ticket_solved_between_the_export_and_the_refresh_is_dropped(fake, policy):
    solved = outage(fake, "Fixed a second ago", opened=40 * M)
    fake.freeze_index()  # the export still lists it as open
    fake.edit(solved, status="solved")
    report = cycle(fake, policy)
    assert report.seen == 1 and report.escalated == 0 and report.errors == 0
    assert refreshed(fake) == [{solved}] and fake.writes[solved] == 0


def test_the_marker_written_last_cycle_is_seen_past_the_lagging_index(fake, policy):
    """The search index still shows the ticket as before the escalation; the
    refresh reads the store, so the next cycle neither escalates again nor
    conflicts."""
    key = outage(fake, "Core switch down", opened=40 * M)
    fake.freeze_index()
    assert cycle(fake, policy).escalated == 1
    writes = fake.writes[key]
    report = cycle(fake, policy, now=NOW + M)
    assert (report.escalated, report.conflicts, report.errors) == (0, 0, 0)
    assert fake.writes[key] == writes and fake.conflicts == 0
    assert refreshed(fake) == [{key}, {key}]


def test_an_escalation_request_quotes_the_newest_comment(fake, policy):
    """`reason_from: latest_comment` against a Zendesk that lists comments as
    documented: oldest first unless `sort=-created_at` (sort_order is ignored
    under cursor pagination), so the reason is the requester's latest word."""
    key = fake.add_ticket(
        "Payroll export", created=NOW - 30 * M, priority="normal", tags=["escalate"]
    )
    fake.add_comment(key, "It fails now and then")
    fake.add_comment(key, "Payroll for 3,000 staff fails at 14:00")
    report = cycle(fake, policy)
    assert report.escalated == 1
    notes = [c["body"] for c in fake.comments[key] if c["author_id"] == fake.me_id]
    assert any("Payroll for 3,000 staff fails at 14:00" in n for n in notes), notes
    assert not any("It fails now and then" in n for n in notes)
