"""The Zendesk reconciler objects against the fake: desired from a policy,
created, read back equal (no diff), updated, deleted, ownership kept."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from datetime import timedelta

import pytest
import responses

from escalada import reconcile
from escalada.connectors.base import ConfigObject
from escalada.connectors.zendesk.schedules import intervals
from escalada.connectors.zendesk.slas import resolve_metric
from escalada.errors import EscaladaError
from escalada.policy.model import BUILTIN_24X7
from escalada.policy.model import Calendar
from escalada.policy.model import FieldCondition
from escalada.policy.model import Policy
from escalada.policy.model import Priority
from escalada.policy.model import PriorityMatrix
from escalada.policy.model import ServiceLevel
from tests.connectors.contract import NOW
from tests.connectors.zendesk.harness import ZendeskHarness
from tests.fakes.zendesk import ZendeskFake

WORKDAY = ((480, 1020),)  # 08:00-17:00
OFFICE = Calendar(
    name="office",
    timezone="Europe/Stockholm",
    hours=(WORKDAY,) * 5 + ((), ()),
    holiday_country="SE",
    holiday_dates=frozenset({date(2026, 12, 24), date(2026, 12, 31)}),
)


def priority(name, rank, respond, resolve, update=None, calendar="office"):
    return Priority(name, name, respond, resolve, update, calendar, rank)


def make_policy(desk, calendar=OFFICE, p1_respond=timedelta(minutes=15)):
    h = timedelta(hours=1)
    priorities = {
        "P1": priority("P1", 0, p1_respond, 4 * h, h, calendar="24x7"),
        "P2": priority("P2", 1, h, 8 * h, 4 * h),
        "P3": priority("P3", 2, 4 * h, timedelta(days=3)),
        "P4": priority("P4", 3, timedelta(days=1), timedelta(days=10)),
    }
    matrix = PriorityMatrix("default", ("minor",), ("low",), {}, priorities)
    calendars = {"24x7": BUILTIN_24X7, calendar.name: calendar}
    return Policy(matrix, calendars, {}, {}, {}, {desk.name: desk}, {})


@pytest.fixture
def h():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield ZendeskHarness(ZendeskFake(mock))


def desired(h, policy=None):
    return {o.key: o for o in h.connector().desired_config(policy or make_policy(h.desk))}


def plan(h, policy=None, adopt=()):
    connector = h.connector()
    policy = policy or make_policy(h.desk)
    return reconcile.plan(policy, [connector], adopt=adopt), connector


def converge(h, policy=None, adopt=()):
    """plan -> apply -> plan again: the second plan must be empty."""
    the_plan, connector = plan(h, policy, adopt)
    report = reconcile.apply(the_plan, [connector])
    assert report.ok, report.failed
    again, _ = plan(h, policy)
    assert again.desks[0].changes == (), again.desks[0].changes
    return the_plan


# --- desired ---------------------------------------------------------------------


def test_sla_policy_targets_from_the_matrix(h):
    sla = desired(h)["sla/default"]
    metrics = {(m["priority"], m["metric"]): m for m in sla.attrs["policy_metrics"]}
    assert metrics["urgent", "first_reply_time"] == {
        "priority": "urgent",
        "metric": "first_reply_time",
        "target": 15,
        "business_hours": False,  # P1 runs on 24x7
    }
    # pending pauses the clock by default: the metrics that pause on pending only
    assert metrics["urgent", "pausable_update_time"]["target"] == 60
    assert metrics["urgent", "agent_work_time"]["target"] == 240
    assert metrics["high", "first_reply_time"]["business_hours"] is True
    assert metrics["normal", "agent_work_time"]["target"] == 3 * 24 * 60
    assert ("normal", "pausable_update_time") not in metrics  # P3 has no update_every
    assert [m["priority"] for m in sla.attrs["policy_metrics"]][:3] == ["urgent"] * 3
    assert sla.attrs["filter"] == {
        "all": [{"field": "type", "operator": "is", "value": "incident"}],
        "any": [],
    }
    assert sla.attrs["description"].endswith("[managed by escalada]")
    assert sla.depends_on == ("schedule/office",)
    assert "cannot name a schedule" in (sla.note or "")


def test_schedule_from_a_calendar(h):
    schedule = desired(h)["schedule/office"]
    assert schedule.attrs["time_zone"] == "Stockholm"
    assert schedule.attrs["intervals"][0] == {"start_time": 1440 + 480, "end_time": 1440 + 1020}
    assert len(schedule.attrs["intervals"]) == 5
    days = {d["start_date"]: d["name"] for d in schedule.attrs["holidays"]}
    assert "2026-12-24" in days and "2026-12-31" in days and "2027-01-01" in days
    assert all(d[:4] in ("2026", "2027") for d in days if d not in ("2026-12-24", "2026-12-31"))


def test_night_shift_and_sunday_intervals_stay_within_a_day():
    night = Calendar("night", "UTC", (((1320, 1440),), ((0, 360),), (), (), (), (), ((0, 60),)))
    assert intervals(night) == [
        {"start_time": 0, "end_time": 60},  # Sunday 00:00-01:00
        {"start_time": 1440 + 1320, "end_time": 2880},  # Monday 22:00-24:00
        {"start_time": 2880, "end_time": 2880 + 360},  # Tuesday 00:00-06:00
    ]


def test_groups_and_field_options(h):
    found = desired(h)
    assert found["group/Network L2"].verify_only
    options = found[f"field_options/impact {h.impact_field}"]
    assert options.attrs == {"field": str(h.impact_field), "values": ["ext", "min"]}


def test_an_unmapped_time_zone_is_a_clear_note_and_write_refuses(h):
    oslo = replace(OFFICE, timezone="Europe/Oslo")
    schedule = desired(h, make_policy(h.desk, oslo))["schedule/office"]
    assert schedule.attrs["time_zone"] is None
    assert "Europe/Oslo has no Zendesk time-zone name" in (schedule.note or "")
    assert "Stockholm" in (schedule.note or "") and "options: {time_zones:" in (schedule.note or "")
    with pytest.raises(EscaladaError, match="no Zendesk time zone"):
        h.connector().write_config("create", schedule)
    assert h.fake.schedules == {}
    the_plan, _ = plan(h, make_policy(h.desk, oslo))
    assert any(n.startswith("schedule/office time zone: ") for n in the_plan.desks[0].notes)


def test_what_zendesk_cannot_hold_is_a_note_in_the_plan(h):
    the_plan, _ = plan(h)
    notes = the_plan.desks[0].notes
    assert any("cannot name a schedule" in n and "'office [escalada]'" in n for n in notes)
    assert any("enforced by the runner" in n for n in notes)


def test_options_time_zones_maps_a_zone(h):
    h.desk = replace(h.desk, options={"time_zones": {"Europe/Oslo": "Copenhagen"}})
    oslo = replace(OFFICE, timezone="Europe/Oslo")
    assert desired(h, make_policy(h.desk, oslo))["schedule/office"].attrs["time_zone"] == (
        "Copenhagen"
    )


def test_the_fake_refuses_iana_names_as_zendesk_does(h):
    response = h.connector().session.post(
        "https://acme.zendesk.com/api/v2/business_hours/schedules.json",
        json={"schedule": {"name": "x", "time_zone": "Europe/Stockholm"}},
    )
    assert response.status_code == 422 and "time_zone" in response.json()["details"]


def test_a_scope_without_an_sla_filter_equivalent(h):
    h.desk = replace(h.desk, scope="ticket_type:incident via:email")
    sla = desired(h)["sla/default"]
    assert sla.attrs["filter"] is None and "'via:email'" in (sla.note or "")
    with pytest.raises(EscaladaError, match="no SLA filter"):
        h.connector().write_config("create", sla)
    own = {"all": [{"field": "current_tags", "operator": "includes", "value": "email"}]}
    h.desk = replace(h.desk, options={"sla_filter": own})
    assert desired(h)["sla/default"].attrs["filter"] == {**own, "any": []}


def test_tags_terms_become_tag_conditions(h):
    h.desk = replace(h.desk, scope="tags:ops -tags:spam priority:urgent group:42")
    assert desired(h)["sla/default"].attrs["filter"]["all"] == [
        {"field": "current_tags", "operator": "includes", "value": "ops"},
        {"field": "current_tags", "operator": "not_includes", "value": "spam"},
        {"field": "priority", "operator": "is", "value": "urgent"},
        {"field": "group_id", "operator": "is", "value": "42"},
    ]


def test_ticket_type_is_the_sla_filters_type_and_type_is_the_object_type(h):
    """Zendesk search: `ticket_type:` is the ticket's type, `type:` the object type."""
    h.desk = replace(h.desk, scope="type:ticket ticket_type:incident")
    assert desired(h)["sla/default"].attrs["filter"]["all"] == [
        {"field": "type", "operator": "is", "value": "incident"}
    ]
    h.desk = replace(h.desk, scope="type:incident")
    sla = desired(h)["sla/default"]
    assert sla.attrs["filter"] is None
    assert "write ticket_type:incident" in (sla.note or "")


def test_two_priorities_on_one_zendesk_priority_keep_the_stricter_target(h):
    h.desk = replace(h.desk, priorities={"P1": "urgent", "P2": "high", "P3": "low", "P4": "low"})
    sla = desired(h)["sla/default"]
    low = [m for m in sla.attrs["policy_metrics"] if m["priority"] == "low"]
    assert {m["metric"]: m["target"] for m in low} == {
        "first_reply_time": 240,
        "agent_work_time": 3 * 24 * 60,
    }
    assert "P4 maps to 'low' like a higher priority" in (sla.note or "")


# --- reconcile round trips ---------------------------------------------------------


def test_create_then_read_back_equal(h):
    h.fake.ticket_fields[h.urgency_field]["custom_field_options"].pop()  # "low" is missing
    the_plan = converge(h)
    ops = [(c.op, c.key) for c in the_plan.desks[0].changes]
    assert ops.index(("create", "schedule/office")) < ops.index(("create", "sla/default"))
    assert ("update", f"field_options/urgency {h.urgency_field}") in ops
    (schedule,) = h.fake.schedules.values()
    assert schedule["name"] == "office [escalada]" and schedule["time_zone"] == "Stockholm"
    assert len(schedule["intervals"]) == 5
    assert len(h.fake.holidays[schedule["id"]]) >= 20
    (sla,) = h.fake.sla_policies.values()
    assert sla["title"] == "default" and sla["description"].endswith("[managed by escalada]")


def test_field_options_are_added_never_removed_or_renamed(h):
    field = h.fake.ticket_fields[h.urgency_field]
    field["custom_field_options"] = [
        o for o in field["custom_field_options"] if o["value"] != "low"
    ]
    field["custom_field_options"][0]["name"] = "Critical (renamed by an admin)"
    field["custom_field_options"].append({"id": 1, "name": "Mine", "value": "mine"})
    before = {o["value"]: (o["id"], o["name"]) for o in field["custom_field_options"]}
    converge(h)
    after = {o["value"]: (o["id"], o["name"]) for o in field["custom_field_options"]}
    assert {k: after[k] for k in before} == before  # kept, ids and names untouched
    assert set(after) == {*before, "low"} and after["low"][1] == "Low"


def test_an_update_changes_only_what_differs(h):
    converge(h)
    tighter = make_policy(h.desk, p1_respond=timedelta(minutes=10))
    the_plan = converge(h, tighter)
    (change,) = the_plan.desks[0].changes
    assert (change.op, change.key) == ("update", "sla/default")
    assert [d.field for d in change.diffs] == ["policy_metrics"]
    (sla,) = h.fake.sla_policies.values()
    assert sla["policy_metrics"][0]["target"] == 10


def test_holidays_are_synchronised(h):
    converge(h)
    (schedule_id,) = h.fake.schedules
    holidays = h.fake.holidays[schedule_id]
    stray = next(iter(holidays))
    holidays[stray]["name"] = "Renamed by hand"
    extra = h.fake.new_id()
    holidays[extra] = {
        "id": extra,
        "name": "Team day",
        "start_date": "2026-06-01",
        "end_date": "2026-06-01",
    }
    the_plan = converge(h)
    assert [(c.op, c.key) for c in the_plan.desks[0].changes] == [("update", "schedule/office")]
    assert extra not in h.fake.holidays[schedule_id]


def test_unmanaged_objects_of_the_same_name_are_conflicts_until_adopted(h):
    h.fake.add_schedule("office", "Stockholm")
    h.fake.sla_policies[1] = {
        "id": 1,
        "title": "default",
        "description": "hand made",
        "position": 1,
        "filter": {"all": [], "any": []},
        "policy_metrics": [],
    }
    the_plan, _ = plan(h)
    conflicts = {c.key for c in the_plan.desks[0].changes if c.op == "conflict"}
    assert conflicts == {"schedule/office", "sla/default"}
    converge(h, adopt=("schedule/office", "sla/default"))
    assert h.fake.sla_policies[1]["description"].endswith("[managed by escalada]")
    assert [s["name"] for s in h.fake.schedules.values()] == ["office [escalada]"]


def test_a_managed_object_no_longer_desired_is_deleted(h):
    old = h.fake.add_schedule("night [escalada]", "London")
    keep = h.fake.add_schedule("Someone else's", "London")
    the_plan = converge(h)
    assert ("delete", "schedule/night") in [(c.op, c.key) for c in the_plan.desks[0].changes]
    assert old not in h.fake.schedules and keep in h.fake.schedules


def test_a_missing_group_is_a_problem_not_a_create(h):
    del h.fake.groups[h.fake.group_id("IT Management")]
    the_plan, _ = plan(h)
    assert any("group/IT Management" in p for p in the_plan.desks[0].problems)
    assert not any(c.key.startswith("group/") for c in the_plan.desks[0].changes)
    with pytest.raises(EscaladaError, match="verified, never written"):
        h.connector().write_config("create", ConfigObject("group", "IT Management"))


def test_options_of_a_missing_field_cannot_be_created(h):
    del h.fake.ticket_fields[h.impact_field]
    the_plan, connector = plan(h)
    change = next(c for c in the_plan.desks[0].changes if c.key.startswith("field_options/impact"))
    assert change.op == "create"
    with pytest.raises(EscaladaError, match=f"ticket field {h.impact_field} does not exist"):
        connector.write_config("create", change.obj)


def test_desired_config_uses_the_injected_clock_for_holiday_years(h):
    assert NOW.year == 2026
    years = {d["start_date"][:4] for d in desired(h)["schedule/office"].attrs["holidays"]}
    assert years == {"2026", "2027"}


# --- pausing and service levels ----------------------------------------------------


@pytest.mark.parametrize(
    ("pausing", "metric", "exact"),
    [
        (frozenset({"pending", "on-hold"}), "agent_work_time", True),
        (frozenset({"pending"}), "requester_wait_time", True),
        (frozenset(), "total_resolution_time", True),
        (frozenset({"on-hold"}), "agent_work_time", False),
    ],
)
def test_the_resolution_metric_pauses_on_the_policys_statuses(pausing, metric, exact):
    chosen, note = resolve_metric(pausing)
    assert chosen == metric
    assert (note is None) is exact


def with_levels(policy, *levels):
    matrix = policy.matrix
    built = []
    for name, match, overrides in levels:
        merged = dict(matrix.priorities)
        for key, changes in overrides.items():
            merged[key] = replace(merged[key], **changes)
        built.append(ServiceLevel(name, match, merged, frozenset(overrides)))
    return replace(policy, matrix=replace(matrix, service_levels=tuple(built)))


ACME = FieldCondition("requester.organization", "equals", "Acme Retail")
GOLD = FieldCondition("tags", "contains", "gold")
TWO_HOURS = {"P1": {"resolve_within": timedelta(hours=2)}}


def test_a_service_level_is_an_sla_policy_the_matrixs_excludes(h):
    policy = with_levels(make_policy(h.desk), ("acme", ACME, TWO_HOURS), ("gold", GOLD, {}))
    objects = desired(h, policy)
    acme, gold, default = (
        objects["sla/default acme"],
        objects["sla/default gold"],
        objects["sla/default"],
    )
    incident = {"field": "type", "operator": "is", "value": "incident"}
    assert acme.attrs["filter"] == {
        "all": [incident, {"field": "organization_id", "operator": "is", "value": "Acme Retail"}],
        "any": [],
    }
    assert gold.attrs["filter"]["all"] == [
        incident,
        {"field": "current_tags", "operator": "includes", "value": "gold"},
        {"field": "organization_id", "operator": "is_not", "value": "Acme Retail"},
    ]
    assert default.attrs["filter"]["all"] == [
        incident,
        {"field": "organization_id", "operator": "is_not", "value": "Acme Retail"},
        {"field": "current_tags", "operator": "not_includes", "value": "gold"},
    ]
    targets = {(m["priority"], m["metric"]): m["target"] for m in acme.attrs["policy_metrics"]}
    assert targets["urgent", "agent_work_time"] == 120  # the contract's 2h
    assert targets["urgent", "first_reply_time"] == 15  # the matrix's, kept
    assert targets["high", "agent_work_time"] == 8 * 60
    assert "service level 'acme'" in acme.attrs["description"]


def test_a_service_level_zendesk_cannot_filter_on_is_left_to_the_runner(h):
    vip = FieldCondition("requester.vip", "equals", True)
    policy = with_levels(make_policy(h.desk), ("vips", vip, TWO_HOURS))
    objects = desired(h, policy)
    assert "sla/default vips" not in objects
    assert objects["sla/default"].attrs["filter"]["all"] == [
        {"field": "type", "operator": "is", "value": "incident"}
    ]
    assert "service level 'vips'" in (objects["sla/default"].note or "")
    assert "enforced by the runner only" in (objects["sla/default"].note or "")


def test_service_levels_converge_with_organisation_ids_on_the_desk(h):
    acme = h.fake.add_organization("Acme Retail")
    policy = with_levels(make_policy(h.desk), ("acme", ACME, TWO_HOURS))
    the_plan = converge(h, policy)
    ops = [(c.op, c.key) for c in the_plan.desks[0].changes]
    assert ("create", "sla/default acme") in ops and ("create", "sla/default") in ops
    by_title = {p["title"]: p for p in h.fake.sla_policies.values()}
    assert {"field": "organization_id", "operator": "is", "value": acme} in by_title[
        "default acme"
    ]["filter"]["all"]
    assert {"field": "organization_id", "operator": "is_not", "value": acme} in by_title["default"][
        "filter"
    ]["all"]
    assert h.fake.calls["organizations_search"] == 2  # once per SLA policy written


def test_a_service_level_naming_an_unknown_organisation_fails_its_write(h):
    policy = with_levels(make_policy(h.desk), ("acme", ACME, TWO_HOURS))
    the_plan, connector = plan(h, policy)
    report = reconcile.apply(the_plan, [connector])
    assert not report.ok
    assert "no Zendesk organization is named 'Acme Retail'" in str(report.failed)
