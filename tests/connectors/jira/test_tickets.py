"""Jira issue JSON -> Ticket and actions -> one edit body (escalada/connectors/jira/tickets.py):
pure functions, then the read side through the connector against the fake."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from datetime import timezone

import pytest
import responses

from escalada.connectors.base import Wiring
from escalada.connectors.jira.connector import JiraConnector
from escalada.connectors.jira.options import JiraOptions
from escalada.connectors.jira.tickets import is_vip
from escalada.connectors.jira.tickets import organization_of
from escalada.connectors.jira.tickets import parse_time
from escalada.connectors.jira.tickets import plain
from escalada.connectors.jira.tickets import plan_write
from escalada.connectors.jira.tickets import priority_ref
from escalada.connectors.jira.tickets import responded_at
from escalada.errors import EscaladaError
from escalada.policy.model import AllOf
from escalada.policy.model import EscalationPath
from escalada.policy.model import FieldCondition
from escalada.policy.model import Level
from escalada.policy.model import Policy
from escalada.policy.model import Trigger
from escalada.ticket import Action
from escalada.ticket import EscalationState
from escalada.ticket import Ticket
from tests.connectors.jira.harness import ENVIRON
from tests.connectors.jira.harness import ORG_FIELD
from tests.connectors.jira.harness import RESPONDED_FIELD
from tests.connectors.jira.harness import VIP_FIELD
from tests.connectors.jira.harness import jira_desk
from tests.connectors.jira.harness import seed
from tests.connectors.jira.test_connector import OPENED
from tests.connectors.jira.test_connector import add
from tests.connectors.jira.test_connector import make
from tests.connectors.jira.test_connector import post_bodies
from tests.connectors.jira.test_connector import read
from tests.fakes.jira import BASE
from tests.fakes.jira import BOT_ACCOUNT
from tests.fakes.jira import JiraFake

UTC = timezone.utc


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server = JiraFake(mock)
        seed(server)
        yield server


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2026-11-23T08:00:00.000+0000", datetime(2026, 11, 23, 8, tzinfo=UTC)),
        ("2026-11-23T09:00:00+01:00", datetime(2026, 11, 23, 8, tzinfo=UTC)),
        ("2026-11-23", datetime(2026, 11, 23, tzinfo=UTC)),
        (1795420800000, datetime(2026, 11, 23, 8, tzinfo=UTC)),
        ("", None),
        (None, None),
        ("yesterday", None),
    ],
)
def test_parse_time(value, expected):
    assert parse_time(value) == expected


@pytest.mark.parametrize(
    ("value", "vip"),
    [
        (True, True),
        (False, False),
        (None, False),
        ([], False),
        ([{"value": "VIP", "id": "1"}], True),
        ({"value": "Yes", "id": "2"}, True),
        ({"value": "No", "id": "3"}, False),
        ("vip", True),
        ("regular", False),
    ],
)
def test_vip_reads_booleans_checkboxes_and_selects(value, vip):
    assert is_vip(value) is vip


def test_plain_values_and_organizations():
    assert plain([{"value": "a"}, {"name": "g"}, {"displayName": "Ann"}, 3]) == ["a", "g", "Ann", 3]
    assert organization_of([{"id": "1", "name": "Acme"}]) == "Acme"
    assert organization_of([]) is None and organization_of("Initech") == "Initech"


def test_an_sla_still_running_has_no_response_yet():
    ongoing = {"completedCycles": [], "ongoingCycle": {"breached": False}}
    assert responded_at(ongoing) is None
    stop = {"epochMillis": 1795420800000}
    assert responded_at({"completedCycles": [{"stopTime": stop}]}) == datetime(
        2026, 11, 23, 8, tzinfo=UTC
    )


def test_priority_references_by_id_or_name():
    assert priority_ref("3") == {"id": "3"}
    assert priority_ref("P1 - Critical") == {"name": "P1 - Critical"}


def test_a_mark_without_changes_writes_no_edit_and_a_note_carries_the_marker_line():
    desk = jira_desk()
    state = EscalationState(path="p", level=1)
    ticket = Ticket(desk.name, "SD-1", "t", OPENED, tags=frozenset({"escalada-p-1", "vpn"}))
    write = plan_write(
        ticket,
        [Action("comment", "why"), Action("mark", "m", state=state), Action("notify", "n")],
        desk=desk,
        options=JiraOptions.of(desk),
        account_id=lambda who: pytest.fail("no lookup in field mode"),
    )
    assert write.edit is None and write.undo is None and write.reply is None
    assert write.note == "why\n\nescalada-marker: escalada-p-1"
    assert write.written == ("comment", "mark")


def test_normalizes_priority_by_id_sla_response_and_requester(fake):
    desk = jira_desk()
    desk = replace(desk, priorities={**desk.priorities, "P1": "1"})  # mapped by id
    stop = {"iso8601": "2026-11-23T08:12:00+0000", "epochMillis": 1795421520000}
    key = fake.add_issue(
        summary="Payroll down",
        created=OPENED,
        priority="Highest",
        labels=["payroll", "escalada-critical-outage-1"],
        assignee=BOT_ACCOUNT,
        description="Since 07:50",
        custom={
            RESPONDED_FIELD: {"completedCycles": [{"stopTime": stop}], "ongoingCycle": None},
            VIP_FIELD: [{"value": "VIP", "id": "10100"}],
            ORG_FIELD: [{"id": "3", "name": "Acme"}, {"id": "4", "name": "Other"}],
            "customfield_10004": {"value": "Extensive", "id": "10200"},
        },
    )
    ticket = read(make(desk))[key]
    assert ticket.priority == "P1"
    assert ticket.responded == datetime(2026, 11, 23, 8, 12, tzinfo=timezone.utc)
    assert (ticket.requester.vip, ticket.requester.organization) == (True, "Acme")
    assert ticket.impact == "extensive" and ticket.urgency is None
    assert ticket.assignee == "escalada bot"
    assert ticket.escalation.path == "critical-outage" and ticket.escalation.level == 1
    assert ticket.url == f"{BASE}/browse/{key}"
    assert ticket.fields["organization"] == ["Acme", "Other"]
    assert ticket.latest_comment is None


def test_a_date_time_field_can_hold_the_first_response(fake):
    key = fake.add_issue(
        summary="x", created=OPENED, custom={RESPONDED_FIELD: "2026-11-23T09:30:00.000+0100"}
    )
    assert read(make())[key].responded == datetime(2026, 11, 23, 8, 30, tzinfo=timezone.utc)


def test_latest_comment_is_read_only_when_a_trigger_needs_it(fake):
    key = add(fake, 1)[0]
    fake.issues[key].comments.append({"body": "please escalate: payroll", "_public": True})
    trigger = Trigger(
        name="requested",
        condition=FieldCondition("tags", "contains", "escalate"),
        goto="next",
        reason_from="latest_comment",
    )
    path = EscalationPath("p", AllOf(()), 1, (Level(0, "service-desk"),), (trigger,))
    policy = Policy(None, {}, {}, {}, {"p": path}, {}, {})
    assert read(make(policy=policy))[key].latest_comment == "please escalate: payroll"
    assert "comment" in post_bodies(fake, "/search/jql")[-1]["fields"]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"team_mode": "group"}, "team_mode is 'group'"),
        ({"team_field": None}, "team_mode field needs team_field"),
        ({"team_mode": "component", "project": None}, "component needs project"),
        ({"comment_api": "email"}, "comment_api is 'email'"),
        ({"manage_priorities": "yes"}, "manage_priorities must be true or false"),
        ({"page_size": 10}, "no 'page_size'"),
    ],
)
def test_bad_options_are_user_errors(fake, options, message):
    desk = jira_desk()
    desk = replace(desk, options={k: v for k, v in {**desk.options, **options}.items() if v})
    with pytest.raises(EscaladaError, match=message):
        JiraConnector(desk, wiring=Wiring(environ=ENVIRON))
