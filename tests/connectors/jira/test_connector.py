"""The Jira connector through the real `jira` client against the Jira fake:
what it asks for, what it writes, and how it fails."""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
import requests
import responses

from escalada.connectors import connect
from escalada.connectors.base import Shard
from escalada.connectors.base import Wiring
from escalada.connectors.jira.connector import SEARCH_PAGE
from escalada.connectors.jira.connector import JiraConnector
from escalada.engine.readneeds import read_needs
from escalada.errors import ConflictError
from escalada.errors import DeskError
from escalada.errors import EscaladaError
from escalada.policy.model import BUILTIN_24X7
from escalada.policy.model import EscalationPath
from escalada.policy.model import FieldCondition
from escalada.policy.model import Level
from escalada.policy.model import Policy
from escalada.policy.model import Priority
from escalada.policy.model import PriorityMatrix
from escalada.policy.model import Team
from escalada.runner import run_cycle
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import Action
from escalada.ticket import EscalationState
from tests.connectors.jira.harness import ENVIRON
from tests.connectors.jira.harness import ORG_FIELD
from tests.connectors.jira.harness import RESPONDED_FIELD
from tests.connectors.jira.harness import TEAM_FIELD
from tests.connectors.jira.harness import VIP_FIELD
from tests.connectors.jira.harness import jira_desk
from tests.connectors.jira.harness import seed
from tests.fakes.jira import BASE
from tests.fakes.jira import TOKEN
from tests.fakes.jira import JiraFake

OPENED = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
JQL = (
    "(project = SD AND issuetype = Incident) AND statusCategory != Done "
    "ORDER BY created ASC, key ASC"
)


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server = JiraFake(mock)
        seed(server)
        yield server


def make(desk=None, *, sleeps=None, policy=None, **options):
    sleeps = [] if sleeps is None else sleeps
    desk = desk or jira_desk(**options)
    connector = connect(
        desk,
        needs=read_needs(policy),
        wiring=Wiring(sleep=sleeps.append, jitter=lambda: 0.5, environ=ENVIRON),
    )
    assert isinstance(connector, JiraConnector)
    return connector


def add(fake, n=1, **fields):
    return [
        fake.add_issue(summary=f"Issue {i}", created=OPENED + timedelta(minutes=i), **fields)
        for i in range(n)
    ]


def read(connector, **kwargs):
    return {t.key: t for t in connector.candidates(**kwargs)}


def post_bodies(fake, route):
    calls = fake.mock.calls
    return [json.loads(c.request.body) for c in calls if route in c.request.url and c.request.body]


# --- construction and reading ---------------------------------------------------


def test_constructing_makes_no_call_and_repr_hides_credentials(fake):
    connector = make()
    assert fake.total_calls == 0
    assert TOKEN not in repr(connector) and "jira-contract" in repr(connector)


def test_server_info_goes_through_the_shared_adapter(fake):
    fake.inject("429", path="/serverInfo$", retry_after=7)
    sleeps: list[float] = []
    connector = make(sleeps=sleeps)
    add(fake, 1)
    assert len(read(connector)) == 1
    assert sleeps == [7.0]
    assert connector.calls == fake.total_calls == 4  # serverInfo twice, field, one page


def test_a_server_or_data_center_site_is_refused(fake):
    fake.deployment = "Server"
    with pytest.raises(DeskError) as caught:
        read(make())
    assert "Jira Cloud only" in str(caught.value)


def test_search_asks_the_ceiling_with_only_the_needed_fields(fake):
    add(fake, 3)
    read(make())
    (asked,) = post_bodies(fake, "/search/jql")
    assert asked["jql"] == JQL
    assert asked["maxResults"] == SEARCH_PAGE == 5000
    assert asked["fields"] == [
        "summary",
        "description",
        "status",
        "priority",
        "labels",
        "created",
        "updated",
        "resolutiondate",
        "assignee",
        TEAM_FIELD,
        "customfield_10004",
        "customfield_10005",
        VIP_FIELD,
        ORG_FIELD,
        RESPONDED_FIELD,
    ]
    assert "nextPageToken" not in asked


@pytest.mark.parametrize(("cap", "pages"), [(100, 3), (1000, 1)])
def test_pages_are_as_large_as_the_server_allows(fake, cap, pages):
    """The library's fetch-all asks 100 a page; asking the ceiling never costs more."""
    fake.fields_page_cap = cap
    wanted = set(add(fake, 250))
    assert set(read(make())) == wanted
    assert fake.calls["search"] == pages
    assert [s["returned"] for s in fake.searches] == ([100, 100, 50] if cap == 100 else [250])


def test_done_and_out_of_scope_issues_stay_on_the_server(fake):
    keep = add(fake, 2) + add(fake, 1, status="Waiting for customer")
    add(fake, 1, status="Resolved")
    add(fake, 1, status="Closed")
    add(fake, 1, project="OPS")
    add(fake, 1, issuetype="Task")
    tickets = read(make())
    assert set(tickets) == set(keep)
    assert tickets[keep[2]].status == "pending"
    assert fake.searches[0]["returned"] == 3


def test_shards_filter_client_side(fake):
    everything = set(add(fake, 12))
    connector = make()
    parts = [set(read(connector, shard=Shard(i, 3))) for i in range(3)]
    assert set().union(*parts) == everything and sum(map(len, parts)) == 12
    assert all(Shard(i, 3).owns(k) for i, part in enumerate(parts) for k in part)


@pytest.mark.parametrize(
    ("scope", "message"),
    [(None, "has no scope"), ("project = SD ORDER BY key", "ORDER BY")],
)
def test_scope_problems_are_user_errors(fake, scope, message):
    with pytest.raises(EscaladaError, match=message):
        read(make(replace(jira_desk(), scope=scope)))
    assert fake.total_calls == 0


def test_a_scope_jira_refuses_names_the_scope(fake):
    with pytest.raises(DeskError) as caught:
        read(make(replace(jira_desk(), scope="component = Network")))
    assert caught.value.status == 400
    assert "Field 'component' does not exist" in str(caught.value)
    assert "spec.scope" in (caught.value.hint or "")


# --- writing --------------------------------------------------------------------


def test_one_put_carries_priority_team_and_labels(fake):
    key = fake.add_issue(summary="Switch down", created=OPENED, labels=["outage"])
    connector = make()
    ticket = read(connector)[key]
    state = EscalationState(path="critical-outage", level=1, since=NOW, pending=True)
    actions = [
        Action("set_priority", "matrix", priority="P2"),
        Action("assign", "no response", team="network-l2"),
        Action("comment", "No response within 15m"),
        Action("notify", "n", team="network-l2", channels=("sd-leads",)),
        Action("mark", "m", state=state),
    ]
    result = connector.apply(ticket, actions)
    assert result.written == ("set_priority", "assign", "comment", "mark")
    # the labels re-read (batched: one per 100 candidates), the PUT, then the JSM internal
    # note (it cannot ride in the PUT)
    assert result.calls == 3
    ((_, edit),) = fake.edits
    assert edit["fields"] == {"priority": {"name": "High"}, TEAM_FIELD: {"name": "network-l2"}}
    assert edit["update"] == {
        "labels": [
            {"add": "escalada-critical-outage-1"},
            {"add": "escalada-pending"},
            {"add": "escalada-since-20261123t100000z"},
        ]
    }
    (note,) = post_bodies(fake, "/servicedeskapi/")
    assert note["public"] is False and note["body"].startswith("No response within 15m")
    assert "escalada-marker: escalada-critical-outage-1" in note["body"]
    assert set(fake.issues[key].fields["labels"]) >= {"outage", "escalada-pending"}


def test_clear_removes_only_escalada_labels(fake):
    key = fake.add_issue(
        summary="x", created=OPENED, labels=["vpn", "escalada-p-2", "escalada-asked"]
    )
    connector = make()
    result = connector.apply(read(connector)[key], [Action("clear", "left", state=NOT_ESCALATED)])
    assert result.calls == 2  # the labels re-read, the PUT
    assert fake.edits[0][1] == {
        "update": {"labels": [{"remove": "escalada-asked"}, {"remove": "escalada-p-2"}]}
    }
    assert fake.issues[key].fields["labels"] == ["vpn"]


def test_platform_comment_api_marks_internal_notes_with_the_jsm_property(fake):
    key = add(fake, 1)[0]
    connector = make(comment_api="platform")
    ticket = read(connector)[key]
    connector.apply(ticket, [Action("update", "still down"), Action("ask_reason", "why?")])
    assert fake.edits == [(key, {"update": {"comment": [{"add": {"body": "why?"}}]}})]
    (note,) = post_bodies(fake, "/comment")  # the note cannot ride in the edit
    assert note == {
        "body": "still down",
        "properties": [{"key": "sd.public.comment", "value": {"internal": True}}],
    }
    assert [c["_public"] for c in fake.issues[key].comments] == [True, False]


def test_component_mode_swaps_team_components_and_reads_them_back(fake):
    fake.components["SD"] = ["sd-agents", "network-l2", "it-mgmt", "printers"]
    key = fake.add_issue(summary="x", created=OPENED, components=["sd-agents", "printers"])
    connector = make(team_mode="component")
    ticket = read(connector)[key]
    assert ticket.team == "service-desk"
    connector.apply(ticket, [Action("assign", "r", team="network-l2")])
    assert fake.edits[0][1] == {
        "update": {
            "components": [
                {"remove": {"name": "it-mgmt"}},
                {"remove": {"name": "sd-agents"}},
                {"add": {"name": "network-l2"}},
            ]
        }
    }
    assert read(connector)[key].team == "network-l2"
    names = [c["name"] for c in fake.issues[key].fields["components"]]
    assert names == ["printers", "network-l2"]


def test_assignee_mode_looks_each_user_up_once_by_account_id(fake):
    fake.users.append(fake.user("acc-net", "Network Lead", "net@acme.example"))
    fake.users.append(fake.user("acc-mgmt", "IT Manager", "mgmt@acme.example"))
    desk = replace(
        jira_desk(team_mode="assignee"),
        teams={
            "service-desk": "escalada bot",
            "network-l2": "net@acme.example",
            "it-management": "IT Manager",
        },
    )
    keys = add(fake, 2)
    connector = make(desk)
    tickets = read(connector)
    for key in keys:
        connector.apply(tickets[key], [Action("assign", "r", team="network-l2")])
    assert fake.calls["user/search"] == 1
    assert fake.edits[0][1] == {"fields": {"assignee": {"accountId": "acc-net"}}}
    assert read(connector)[keys[0]].team == "network-l2"


def test_assignee_mode_refuses_an_ambiguous_user(fake):
    fake.users += [fake.user("a1", "Net One"), fake.user("a2", "Net Two")]
    desk = replace(jira_desk(team_mode="assignee"), teams={"network-l2": "Net"})
    key = add(fake, 1)[0]
    connector = make(desk)
    with pytest.raises(EscaladaError, match="2 active Jira users match 'Net'"):
        connector.apply(read(connector)[key], [Action("assign", "r", team="network-l2")])
    assert not fake.edits


def test_a_refused_value_is_one_clear_error_with_jira_s_reason(fake):
    key = add(fake, 1)[0]
    connector = make()
    ticket = read(connector)[key]
    del fake.groups["network-l2"]
    with pytest.raises(DeskError) as caught:
        connector.apply(ticket, [Action("assign", "r", team="network-l2")])
    error = caught.value
    assert error.status == 400
    assert f"{TEAM_FIELD}: Group 'network-l2' does not exist." in str(error)
    assert "escalada desks check" in (error.hint or "")


def test_a_missing_edit_permission_is_jira_s_400_with_the_permission_hint(fake):
    """editIssue answers 400 (not 403) when the account may not edit the fields."""
    key = add(fake, 1)[0]
    connector = make()
    ticket = read(connector)[key]
    fake.granted.discard("EDIT_ISSUES")
    with pytest.raises(DeskError) as caught:
        connector.apply(ticket, [Action("set_priority", "r", priority="P1")])
    assert caught.value.status == 400
    assert "cannot be set" in str(caught.value) and "Edit issues" in str(caught.value)


def test_a_non_jsm_issue_points_at_the_platform_comment_api(fake):
    fake.service_desks.clear()
    key = add(fake, 1)[0]
    connector = make()
    with pytest.raises(DeskError) as caught:
        connector.apply(read(connector)[key], [Action("comment", "note")])
    assert caught.value.status == 404
    assert "comment_api: platform" in (caught.value.hint or "")


def test_comment_api_edit_sends_escalation_marker_and_note_in_one_put(fake):
    fake.service_desks.clear()  # a project without JSM
    key = fake.add_issue(summary="Switch down", created=OPENED, labels=["outage"])
    connector = make(comment_api="edit")
    ticket = read(connector)[key]
    state = EscalationState(path="critical-outage", level=1, since=NOW, pending=True)
    actions = [
        Action("assign", "no response", team="network-l2"),
        Action("comment", "No response within 15m"),
        Action("mark", "m", state=state),
    ]
    before = fake.total_calls
    result = connector.apply(ticket, actions)
    assert result.calls == fake.total_calls - before == 2  # the labels re-read, the PUT
    ((_, edit),) = fake.edits
    ((op,),) = [edit["update"]["comment"]]
    assert set(op) == {"add"} and set(op["add"]) == {"body"}
    assert op["add"]["body"].startswith("No response within 15m")
    assert "escalada-marker: escalada-critical-outage-1" in op["add"]["body"]
    (comment,) = fake.issues[key].comments
    assert comment["body"] == op["add"]["body"]
    assert set(fake.issues[key].fields["labels"]) >= {"outage", "escalada-critical-outage-1"}


def test_a_reply_rides_in_the_edit_and_a_jsm_note_follows_it(fake):
    key = add(fake, 1)[0]
    connector = make()
    ticket = read(connector)[key]
    state = EscalationState(path="p", level=0, asked=True)
    before = fake.total_calls
    connector.apply(ticket, [Action("ask_reason", "Why urgent?"), Action("mark", "m", state=state)])
    assert fake.total_calls - before == 2  # re-read, PUT: the reply is public, as edit comments
    ((_, edit),) = fake.edits
    assert edit["update"]["comment"] == [{"add": {"body": "Why urgent?"}}]
    assert fake.issues[key].comments[-1]["_public"] is True
    before = fake.total_calls
    written = replace(ticket, tags=frozenset(fake.issues[key].fields["labels"]))
    connector.apply(written, [Action("comment", "note"), Action("ask_reason", "And now?")])
    # its second write (its messages went out) uses its own labels, no re-read; one
    # comment per edit: the JSM note is a POST
    assert fake.total_calls - before == 2
    assert [c["_public"] for c in fake.issues[key].comments[-2:]] == [True, False]


def test_a_stale_marker_is_a_conflict_and_nothing_is_written(fake):
    """Search results lag behind writes: the labels re-read before writing are current."""
    key = add(fake, 1)[0]
    connector = make()
    ticket = read(connector)[key]
    fake.issues[key].fields["labels"] = ["escalada-p-1", "vpn"]  # written after the read
    state = EscalationState(path="p", level=1, since=NOW)
    with pytest.raises(ConflictError) as caught:
        connector.apply(ticket, [Action("comment", "c"), Action("mark", "m", state=state)])
    assert "escalada-p-1 now, none then" in str(caught.value)
    assert not fake.edits and not fake.issues[key].comments
    fresh = read(connector)[key]
    fake.issues[key].fields["labels"].append("hardware")  # people's labels do not conflict
    connector.apply(fresh, [Action("comment", "c")])
    assert len(fake.issues[key].comments) == 1


def test_the_labels_re_read_is_one_call_per_100_candidates_until_messages_go_out(fake):
    keys = add(fake, 150)
    connector = make()
    tickets = read(connector)
    state = EscalationState(path="p", level=0, pending=True)
    before = fake.total_calls
    for key in keys[:120]:
        connector.apply(tickets[key], [Action("mark", "m", state=state)])
    assert fake.total_calls - before == 120 + 2  # the PUTs, and two re-reads
    assert [len(asked) for asked in fake.bulk_fetches] == [100, 50]
    # a ticket's second write (its messages went out) drops the look-ahead
    written = replace(tickets[keys[0]], tags=frozenset(fake.issues[keys[0]].fields["labels"]))
    connector.apply(written, [Action("mark", "sent", state=replace(state, pending=False))])
    fake.issues[keys[120]].fields["labels"] = ["escalada-p-1"]  # another runner, meanwhile
    with pytest.raises(ConflictError):
        connector.apply(tickets[keys[120]], [Action("mark", "m", state=state)])
    assert len(fake.bulk_fetches) == 3


def test_a_ticket_gone_since_the_read_is_a_404_without_a_write(fake):
    key = add(fake, 1)[0]
    connector = make()
    ticket = read(connector)[key]
    del fake.issues[key]
    with pytest.raises(DeskError) as caught:
        connector.apply(ticket, [Action("comment", "c")])
    assert caught.value.status == 404 and not fake.edits


def test_a_conflicting_update_is_a_conflict_error(fake):
    key = add(fake, 1)[0]
    connector = make()
    ticket = read(connector)[key]
    fake.inject("409", method="PUT")
    with pytest.raises(ConflictError):
        connector.apply(ticket, [Action("set_priority", "m", priority="P1")])


def test_a_note_that_fails_after_the_put_puts_the_marker_back(fake):
    key = fake.add_issue(summary="x", created=OPENED, labels=["vpn"])
    connector = make()
    ticket = read(connector)[key]
    fake.inject("403", path="/servicedeskapi/")
    state = EscalationState(path="p", level=1, since=NOW)
    with pytest.raises(DeskError, match="Add comments"):
        connector.apply(ticket, [Action("comment", "c"), Action("mark", "m", state=state)])
    assert len(fake.edits) == 2  # the marker, then its undo
    assert fake.issues[key].fields["labels"] == ["vpn"]
    assert read(connector)[key].escalation == NOT_ESCALATED


def test_unmapped_values_are_refused_before_any_call(fake):
    key = add(fake, 1)[0]
    connector = make()
    ticket = read(connector)[key]
    before = fake.total_calls
    with pytest.raises(EscaladaError, match="team 'dba' has no Jira mapping"):
        connector.apply(ticket, [Action("assign", "r", team="dba")])
    with pytest.raises(EscaladaError, match="priority 'P9' has no Jira mapping"):
        connector.apply(ticket, [Action("set_priority", "r", priority="P9")])
    assert fake.total_calls == before


def test_the_runner_escalates_once_then_climbs(fake):
    hour = timedelta(hours=1)
    desk = jira_desk()
    priorities = {
        name: Priority(name, name, hour / 4, 4 * hour, None, "24x7", rank)
        for rank, name in enumerate(("P1", "P2", "P3", "P4"))
    }
    levels = (
        Level(0, "service-desk"),
        Level(1, "network-l2", after=hour / 4, unless="responded", actions=("assign", "comment")),
        Level(2, "it-management", after=2 * hour, unless="resolved"),
    )
    path = EscalationPath(
        "critical-outage", FieldCondition("tags", "contains", "outage"), 1, levels
    )
    policy = Policy(
        PriorityMatrix("m", ("a",), ("b",), {}, priorities),
        {"24x7": BUILTIN_24X7},
        {name: Team(name) for name in ("service-desk", "network-l2", "it-management")},
        {},
        {path.name: path},
        {desk.name: desk},
        {},
    )
    key = fake.add_issue(
        summary="Core switch down", created=NOW - hour, priority="Highest", labels=["outage"]
    )
    fake.add_issue(summary="Printer jam", created=NOW - hour, priority="Low")

    def cycle(at):
        report = run_cycle(policy, now=at, connect=lambda d: make(d, policy=policy), notifier=None)
        (desk_report,) = report.desks
        assert desk_report.failed is None and desk_report.errors == 0
        return desk_report

    first = cycle(NOW)
    # 3 to read, 2 for the escalating issue's status history (the SLA pause: its id,
    # which the candidate search did not keep, and the bulk changelog), 3 to write (the
    # labels re-read, the PUT, the JSM internal note)
    assert (first.seen, first.escalated, first.calls) == (2, 1, 8)
    issue = fake.issues[key]
    assert issue.fields[TEAM_FIELD]["name"] == "network-l2"
    assert "escalada-critical-outage-1" in issue.fields["labels"]
    again = cycle(NOW)
    assert (again.escalated, again.calls) == (0, 3)  # the same moment: nothing to write
    later = cycle(NOW + 2 * hour)
    assert later.escalated == 1
    assert "escalada-critical-outage-2" in issue.fields["labels"]
    assert "escalada-critical-outage-1" not in issue.fields["labels"]
    assert [c["_public"] for c in issue.comments] == [False, False]


# --- credentials, secrets, options ------------------------------------------------


def test_wrong_token_is_a_credentials_error_that_never_shows_the_token(fake, caplog):
    caplog.set_level(logging.DEBUG)
    fake.token = "another-token"
    connector = make()
    with pytest.raises(DeskError) as caught:
        read(connector)
    error = caught.value
    assert error.status == 401 and "API token" in (error.hint or "")
    assert "Client must be authenticated" in str(error)
    for text in (str(error), repr(error), repr(connector), caplog.text):
        assert TOKEN not in text and "Authorization" not in text
    assert error.__cause__ is None and error.__suppress_context__


def test_retries_are_logged_without_headers_or_token(fake, caplog):
    caplog.set_level(logging.DEBUG)
    add(fake, 1)
    fake.inject("503", path="/search/jql$", times=2)
    assert len(read(make())) == 1
    assert "retrying" in caplog.text
    assert TOKEN not in caplog.text and "Basic " not in caplog.text


def test_a_missing_variable_is_named(fake):
    with pytest.raises(EscaladaError, match="JIRA_API_TOKEN is not set"):
        read(connect(jira_desk(), wiring=Wiring(environ={"JIRA_EMAIL": "x"})))


# --- the fake refuses what Jira refuses ---------------------------------------------


def session():
    s = requests.Session()
    s.auth = ("escalada-bot@acme.example", TOKEN)
    return s


@pytest.mark.parametrize(
    ("payload", "field", "message"),
    [
        ({"fields": {"labels": ["a"]}, "update": {"labels": [{"add": "b"}]}}, "labels", "not both"),
        ({"fields": {"customfield_99999": "x"}}, "customfield_99999", "cannot be set"),
        ({"fields": {"assignee": {"name": "bob"}}}, "assignee", "accountId"),
        ({"update": {"labels": [{"add": "two words"}]}}, "labels", "contains spaces"),
        ({"fields": {"priority": {"name": "Urgent"}}}, "priority", "invalid"),
    ],
)
def test_fake_refuses_bad_edits_with_jira_errors(fake, payload, field, message):
    key = add(fake, 1)[0]
    reply = session().put(f"{BASE}/rest/api/2/issue/{key}", json=payload)
    assert reply.status_code == 400
    assert reply.json()["errorMessages"] == [] and message in reply.json()["errors"][field]
    assert fake.issues[key].fields["labels"] == []


@pytest.mark.parametrize("jql", ["", "ORDER BY key", "order by created DESC"])
def test_fake_refuses_unbounded_queries(fake, jql):
    reply = session().post(f"{BASE}/rest/api/2/search/jql", json={"jql": jql})
    assert reply.status_code == 400
    assert "Unbounded JQL" in reply.json()["errorMessages"][0]


def test_fake_clamps_pages_and_omits_the_token_on_the_last_page(fake):
    add(fake, 7)
    url = f"{BASE}/rest/api/2/search/jql"
    fake.fields_page_cap = 3
    ids_only = session().get(url, params={"jql": "project = SD", "maxResults": 5000}).json()
    assert len(ids_only["issues"]) == 7 and "nextPageToken" not in ids_only
    assert ids_only["issues"][0]["fields"] == {}
    asked = {"jql": "project = SD", "fields": ["summary"], "maxResults": 5000}
    first_page = session().post(url, json=asked).json()
    assert len(first_page["issues"]) == 3 and first_page["isLast"] is False
    other = {**asked, "jql": "project = OPS", "nextPageToken": first_page["nextPageToken"]}
    assert session().post(url, json=other).status_code == 400


def test_fake_answers_bad_credentials_with_jira_s_401(fake):
    reply = requests.get(f"{BASE}/rest/api/2/myself", auth=("a", "b"))
    assert reply.status_code == 401
    assert reply.text == "Client must be authenticated to access this resource."
