"""Jira's reconciler part and `desks check` against the Jira fake: priorities are
created, read back equal and converge; SLA goals and calendars are noted, not
written; groups are verified; check reports every problem as an item."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from datetime import timedelta

import pytest
import responses
from jira.exceptions import JIRAError

from escalada.connectors import connect
from escalada.connectors.base import ConfigObject
from escalada.connectors.base import Wiring
from escalada.connectors.jira.config import MARKER
from escalada.connectors.jira.config import SLA_NOTE
from escalada.errors import DeskError
from escalada.errors import EscaladaError
from escalada.policy.model import BUILTIN_24X7
from escalada.policy.model import Calendar
from escalada.policy.model import FieldCondition
from escalada.policy.model import Policy
from escalada.policy.model import Priority
from escalada.policy.model import PriorityMatrix
from escalada.policy.model import ServiceLevel
from escalada.reconcile import plan_desk
from tests.connectors.jira.harness import ENVIRON
from tests.connectors.jira.harness import TEAM_FIELD
from tests.connectors.jira.harness import jira_desk
from tests.connectors.jira.harness import seed
from tests.fakes.jira import JiraFake

OWN = {"P1": "P1 - Critical", "P2": "P2 - High", "P3": "P3 - Medium", "P4": "P4 - Low"}
OFFICE = Calendar(
    "office",
    "Europe/Stockholm",
    hours=tuple(((480, 720), (780, 1020)) if day < 5 else () for day in range(7)),
    holiday_country="SE",
    holiday_dates=frozenset({date(2026, 12, 24)}),
)


def policy_for(desk, *, p1_title="Critical"):
    hour = timedelta(hours=1)
    priorities = {
        "P1": Priority("P1", p1_title, hour / 4, 4 * hour, hour, "24x7", 0),
        "P2": Priority("P2", "High", hour, 8 * hour, 4 * hour, "office", 1),
        "P3": Priority("P3", "Medium", 4 * hour, timedelta(days=3), None, "office", 2),
        "P4": Priority("P4", "Low", timedelta(days=1), timedelta(days=10), None, "office", 3),
    }
    matrix = PriorityMatrix("default", ("a",), ("b",), {}, priorities)
    calendars = {"24x7": BUILTIN_24X7, "office": OFFICE}
    return Policy(matrix, calendars, {}, {}, {}, {desk.name: desk}, {})


@pytest.fixture
def fake():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server = JiraFake(mock)
        seed(server)
        yield server


def own_desk(**options):
    return replace(jira_desk(**options), priorities=dict(OWN))


def connector_for(desk):
    return connect(desk, wiring=Wiring(sleep=lambda s: None, jitter=lambda: 0.5, environ=ENVIRON))


def plan_for(connector, policy, **kwargs):
    desired = connector.desired_config(policy)
    return plan_desk(connector.desk, desired, connector.current_config(), **kwargs)


def apply_plan(connector, plan):
    for change in plan.changes:
        assert change.op != "conflict", change
        connector.write_config(change.op, change.obj)


# --- desired -----------------------------------------------------------------------


def test_desired_priorities_slas_calendars_and_groups():
    desk = own_desk()
    objects = {o.key: o for o in connector_for(desk).desired_config(policy_for(desk))}
    assert objects["priority/P1 - Critical"].attrs == {
        "description": f"Critical {MARKER}",
        "statusColor": "#d04437",
    }
    assert objects["priority/P4 - Low"].attrs["statusColor"] == "#707070"
    sla = objects["sla/P2"]
    assert (sla.verify_only, sla.note, sla.depends_on) == (True, SLA_NOTE, ("schedule/office",))
    assert sla.attrs == {
        "priority": "P2 - High",
        "respond_within": "1h",
        "resolve_within": "8h",
        "calendar": "office",
    }
    assert objects["sla/P1"].depends_on == ()
    office = objects["schedule/office"]
    assert office.verify_only and office.note == SLA_NOTE
    assert office.attrs["hours"]["mon"] == ["08:00-12:00", "13:00-17:00"]
    assert "sat" not in office.attrs["hours"]
    assert office.attrs["holidays"] == {"country": "SE", "dates": ["2026-12-24"]}
    assert "schedule/24x7" not in objects
    groups = [o for o in objects.values() if o.kind == "group"]
    assert {g.name for g in groups} == {"sd-agents", "network-l2", "it-mgmt"}
    assert all(g.verify_only and g.note is None for g in groups)


def test_priorities_mapped_by_id_or_unmanaged_are_only_verified():
    desk = replace(own_desk(manage_priorities=False), priorities={**OWN, "P1": "1"})
    objects = {o.key: o for o in connector_for(desk).desired_config(policy_for(desk))}
    assert "priority/1" not in objects and "sla/P1" in objects
    assert objects["priority/P2 - High"].verify_only
    assert objects["priority/P2 - High"].attrs == {}


# --- create, read back, converge -----------------------------------------------------


def test_create_reads_back_equal_and_the_next_plan_is_empty(fake):
    desk = own_desk()
    connector = connector_for(desk)
    plan = plan_for(connector, policy_for(desk))
    assert [c.op for c in plan.changes] == ["create"] * 4
    assert not plan.problems
    assert any(note.startswith("sla/P1: enforced by the runner") for note in plan.notes)
    apply_plan(connector, plan)
    posts = [json.loads(c.request.body) for c in fake.mock.calls if c.request.method == "POST"]
    assert posts[0] == {
        "name": "P1 - Critical",
        "description": f"Critical {MARKER}",
        "statusColor": "#d04437",
        "avatarId": 10630,  # the fake's system avatar highest.svg; iconUrl is sunset
    }
    again = plan_for(connector, policy_for(desk))
    assert again.changes == () and again.problems == ()


def test_the_fake_refuses_iconurl_as_jira_cloud_does_since_its_sunset(fake):
    """CHANGE-1525 (effective 2025-03-16): iconUrl in createPriority is sunset;
    avatarId, one of the system priority avatars, is what a create needs."""
    session = connector_for(own_desk()).client()._session
    url = f"{fake.base_url}/rest/api/2/priority"
    body = {"name": "P9", "statusColor": "#d04437"}
    with pytest.raises(JIRAError) as refused:
        session.post(url, data=json.dumps({**body, "iconUrl": "/images/icons/priorities/high.png"}))
    assert refused.value.status_code == 400 and "iconUrl" in (refused.value.text or "")
    assert session.post(url, data=json.dumps({**body, "avatarId": 10631})).status_code == 201


def test_priorities_are_read_a_page_of_priority_search_at_a_time(fake):
    """GET priority (unpaged) is removed (CHANGE-762): the fake does not serve it."""
    for i in range(60):
        fake.priorities.append(fake._priority(str(20000 + i), f"Extra {i}", "#707070", "/x", ""))
    connector = connector_for(own_desk())
    names = {o.name for o in connector.current_config() if o.kind == "priority"}
    assert len(names) == 65 and "Extra 59" in names
    pages = [c.request.url for c in fake.mock.calls if "/priority/search" in c.request.url]
    assert len(pages) == 2 and "startAt=50" in pages[1]
    assert not [c for c in fake.mock.calls if c.request.url.endswith("/rest/api/2/priority")]


def test_a_changed_title_is_an_update_that_converges(fake):
    desk = own_desk()
    connector = connector_for(desk)
    apply_plan(connector, plan_for(connector, policy_for(desk)))
    plan = plan_for(connector, policy_for(desk, p1_title="Outage"))
    ((change,),) = [plan.changes]
    assert change.op == "update" and change.obj.id is not None
    assert [d.field for d in change.diffs] == ["description"]
    apply_plan(connector, plan)
    assert plan_for(connector, policy_for(desk, p1_title="Outage")).changes == ()
    assert fake.calls["priority PUT"] == 1


def test_an_unwanted_managed_priority_is_deleted_through_the_async_task(fake):
    desk = own_desk()
    connector = connector_for(desk)
    apply_plan(connector, plan_for(connector, policy_for(desk)))
    smaller = replace(desk, priorities={k: v for k, v in OWN.items() if k != "P4"})
    plan = plan_for(connector_for(smaller), policy_for(smaller))
    ((change,),) = [plan.changes]
    assert (change.op, change.obj.name) == ("delete", "P4 - Low")
    connector.write_config("delete", change.obj)
    assert (fake.calls["priority DELETE"], fake.calls["task"]) == (1, 1)
    assert "P4 - Low" not in {p["name"] for p in fake.priorities}
    assert plan_for(connector_for(smaller), policy_for(smaller)).changes == ()


def test_jira_s_own_priorities_are_conflicts_never_overwritten(fake):
    desk = jira_desk()  # maps P1..P4 onto Highest..Low, which escalada does not own
    connector = connector_for(desk)
    plan = plan_for(connector, policy_for(desk))
    assert [c.op for c in plan.changes] == ["conflict"] * 4
    highest = next(o for o in connector.current_config() if o.name == "Highest")
    with pytest.raises(EscaladaError, match="refusing to delete"):
        connector.write_config("delete", highest)
    adopted = plan_for(connector, policy_for(desk), adopt=["Highest"])
    update = next(c for c in adopted.changes if c.op == "update")
    connector.write_config("update", update.obj)
    after = next(o for o in connector.current_config() if o.name == "Highest")
    assert after.managed and after.attrs["description"] == f"Critical {MARKER}"


def test_verified_priorities_and_groups_report_what_is_missing(fake):
    desk = own_desk(manage_priorities=False)
    del fake.groups["it-mgmt"]
    plan = plan_for(connector_for(desk), policy_for(desk))
    assert plan.changes == ()
    assert any(p.startswith("priority/P1 - Critical: not found") for p in plan.problems)
    assert any(p.startswith("group/it-mgmt: not found") for p in plan.problems)
    assert not any("group/network-l2" in p for p in plan.problems)


def test_managing_priorities_without_admin_says_which_permission(fake):
    fake.granted.discard("ADMINISTER")
    desk = own_desk()
    connector = connector_for(desk)
    (first, *_) = plan_for(connector, policy_for(desk)).changes
    with pytest.raises(DeskError) as caught:
        connector.write_config("create", first.obj)
    assert caught.value.status == 403
    assert "Administer Jira" in (caught.value.hint or "")


@pytest.mark.parametrize(
    "obj",
    [
        ConfigObject("sla", "P1", verify_only=True, note=SLA_NOTE),
        ConfigObject("group", "network-l2", verify_only=True),
    ],
)
def test_verify_only_objects_are_never_written(fake, obj):
    with pytest.raises(EscaladaError, match="verified, never written") as caught:
        connector_for(own_desk()).write_config("create", obj)
    assert caught.value.hint == (obj.note or "create it in Jira, or fix the Desk's mapping")
    assert fake.total_calls == 0


# --- desks check -------------------------------------------------------------------


def items(desk):
    return {i.item: i for i in connector_for(desk).check()}


def test_check_passes_on_a_well_mapped_site(fake):
    found = items(jira_desk())
    assert all(i.ok for i in found.values()), [i for i in found.values() if not i.ok]
    assert found["credentials"].detail == "authenticated as escalada bot"
    assert found["permission EDIT_ISSUES"].detail == "granted in project SD"
    assert found[f"field {TEAM_FIELD}"].detail == "team: Assigned group"
    assert {"priority Highest", "group network-l2", "scope"} <= set(found)


def test_check_with_a_wrong_token_is_one_failed_item(fake):
    fake.token = "rotated"
    (only,) = connector_for(jira_desk()).check()
    assert (only.item, only.ok) == ("credentials", False)
    assert "API token" in only.detail


def test_check_lists_every_problem(fake):
    fake.granted.discard("ADD_COMMENTS")
    fake.custom_fields[TEAM_FIELD] = ("Team", {"type": "string", "custom": "textfield"})
    del fake.groups["it-mgmt"]
    desk = replace(
        jira_desk(),
        priorities={**jira_desk().priorities, "P4": "Trivial"},
        fields={"vip": "customfield_77777"},
        scope="project = SD AND team = x",
    )
    found = items(desk)
    failed = {name for name, i in found.items() if not i.ok}
    assert failed == {
        "permission ADD_COMMENTS",
        "scope",
        "priority Trivial",
        f"field {TEAM_FIELD}",
        "field customfield_77777",
        "group it-mgmt",
    }
    assert "Field 'team' does not exist" in found["scope"].detail
    assert "not a single group picker" in found[f"field {TEAM_FIELD}"].detail


def test_check_in_component_and_assignee_modes(fake):
    fake.components["SD"] = ["sd-agents", "network-l2"]
    found = items(jira_desk(team_mode="component"))
    assert found["component network-l2"].ok and not found["component it-mgmt"].ok
    assert f"field {TEAM_FIELD}" not in found
    fake.users.append(fake.user("acc-net", "Network Lead", "net@acme.example"))
    desk = replace(
        jira_desk(team_mode="assignee"),
        teams={"service-desk": "escalada bot", "network-l2": "net@acme", "it-management": "x"},
    )
    found = items(desk)
    assert found["user escalada bot"].ok and found["user net@acme"].ok
    assert not found["user x"].ok
    assert found["permission ASSIGN_ISSUES"].ok


def test_service_levels_and_pausing_are_runner_enforced_notes(fake):
    desk = own_desk()
    policy = policy_for(desk)
    matrix = policy.matrix
    acme = ServiceLevel(
        "acme",
        FieldCondition("requester.organization", "equals", "Acme Retail"),
        {
            **matrix.priorities,
            "P1": replace(matrix.priorities["P1"], resolve_within=timedelta(hours=2)),
        },
        frozenset({"P1"}),
    )
    policy = replace(policy, matrix=replace(matrix, service_levels=(acme,)))
    objects = {o.key: o for o in connector_for(desk).desired_config(policy)}
    level = objects["sla/P1 acme"]
    assert level.verify_only and level.attrs["resolve_within"] == "2h"
    assert level.note == f"service level 'acme': {SLA_NOTE}"
    assert "sla/P2 acme" not in objects  # the level leaves P2 to the matrix
    pausing = objects["sla/pausing"]
    assert pausing.verify_only and pausing.note.startswith("the clock stops on on-hold, pending: ")
