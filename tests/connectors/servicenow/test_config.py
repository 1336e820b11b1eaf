"""The ServiceNow reconciler objects against the fake: desired from a policy,
applied, read back equal (no diff), updated in place, ownership respected."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from datetime import date
from datetime import timedelta
from pathlib import Path

import pytest

from escalada import reconcile
from escalada.connectors.base import ConfigObject
from escalada.connectors.servicenow.config import MARKER
from escalada.connectors.servicenow.config import glide_duration
from escalada.connectors.servicenow.connector import ServiceNowConnector
from escalada.connectors.servicenow.slas import pause_condition
from escalada.errors import DeskError
from escalada.errors import EscaladaError
from escalada.policy.model import BUILTIN_24X7
from escalada.policy.model import AllOf
from escalada.policy.model import Calendar
from escalada.policy.model import Condition
from escalada.policy.model import FieldCondition
from escalada.policy.model import Policy
from escalada.policy.model import Priority
from escalada.policy.model import PriorityMatrix
from escalada.policy.model import ServiceLevel
from tests.connectors.servicenow.harness import ServiceNowHarness
from tests.connectors.servicenow.harness import open_harness

LEVELS = ("high", "medium", "low")
WEEKDAYS = ((480, 1020),)
OFFICE = Calendar(
    name="office",
    timezone="Europe/Stockholm",
    hours=(WEEKDAYS,) * 5 + (((600, 840),), ()),  # Mon-Fri 08-17, Sat 10-14
    holiday_country="SE",
    holiday_dates=frozenset({date(2026, 12, 24)}),
)


def policy(
    office: Calendar = OFFICE, p1_respond: timedelta = timedelta(minutes=15), p4: bool = True
) -> Policy:
    cells = {("high", "high"): "P1", ("high", "medium"): "P2", ("high", "low"): "P3"}
    cells |= {("medium", "high"): "P2", ("medium", "medium"): "P3", ("medium", "low"): "P4"}
    cells |= {("low", "high"): "P3", ("low", "medium"): "P4", ("low", "low"): "P4"}
    spec = {
        "P1": (p1_respond, timedelta(hours=4), "24x7"),
        "P2": (timedelta(hours=1), timedelta(hours=8), "office"),
        "P3": (timedelta(hours=4), timedelta(days=3), "office"),
        "P4": (timedelta(days=1), timedelta(days=40), "office"),
    }
    if not p4:
        del spec["P4"]
        cells = {k: ("P3" if v == "P4" else v) for k, v in cells.items()}
    priorities = {
        name: Priority(name, name, respond, resolve, None, calendar, rank)
        for rank, (name, (respond, resolve, calendar)) in enumerate(spec.items())
    }
    matrix = PriorityMatrix("default", LEVELS, LEVELS, cells, priorities)
    calendars = {"24x7": BUILTIN_24X7, "office": office}
    return Policy(matrix, calendars, {}, {}, {}, {}, {})


@pytest.fixture
def h(tmp_path: Path) -> Iterator[ServiceNowHarness]:
    with open_harness(tmp_path, options={"manage_priority_lookup": True}) as harness:
        yield harness


def plan(sn: ServiceNowConnector, wanted: Policy, adopt: tuple[str, ...] = ()) -> reconcile.Plan:
    return reconcile.plan(wanted, [sn], adopt=adopt)


def apply(sn: ServiceNowConnector, the_plan: reconcile.Plan) -> reconcile.ApplyReport:
    report = reconcile.apply(the_plan, [sn])
    assert report.ok, report.failed
    return report


def ops(the_plan: reconcile.Plan) -> dict[str, str]:
    return {change.key: change.op for change in the_plan.desks[0].changes}


def test_glide_durations() -> None:
    assert glide_duration(timedelta(minutes=15)) == "1970-01-01 00:15:00"
    assert glide_duration(timedelta(hours=4)) == "1970-01-01 04:00:00"
    assert glide_duration(timedelta(days=3)) == "1970-01-04 00:00:00"
    assert glide_duration(timedelta(days=40)) == "1970-02-10 00:00:00"


def test_desired_objects(h: ServiceNowHarness) -> None:
    objects = {o.key: o for o in h.connector().desired_config(policy())}
    assert objects["lookup/impact 2 x urgency 3"].attrs == {
        "impact": "2",
        "urgency": "3",
        "priority": "4",
        "active": True,
    }
    assert objects["group/Network L2"].verify_only
    office = objects["schedule/office"].attrs
    assert office["time_zone"] == "Europe/Stockholm"
    assert office["spans"] == [
        {
            "name": "Mon-Fri 08:00-17:00",
            "days_of_week": "12345",
            "start": "20240101T080000",
            "end": "20240101T170000",
        },
        {
            "name": "Sat 10:00-14:00",
            "days_of_week": "6",
            "start": "20240106T100000",
            "end": "20240106T140000",
        },
    ]
    days = {d["date"] for d in office["holidays"]}
    assert {"2026-12-24", "2026-12-25", "2027-01-01"} <= days  # extra date, this year, next
    p1 = objects["sla/P1 respond"]
    assert (p1.attrs["duration"], p1.attrs["schedule"], p1.depends_on) == (
        "1970-01-01 00:15:00",
        "",
        (),
    )
    # 24x7: no_schedule, since the default schedule_source (sla_definition) needs one
    assert (p1.attrs["schedule_source"], p1.attrs["timezone_source"]) == (
        "no_schedule",
        "sla.timezone",
    )
    p3 = objects["sla/P3 resolve"]
    assert p3.attrs == {
        "table": "incident",
        "type": "SLA",
        "target": "resolution",
        "duration": "1970-01-04 00:00:00",
        "schedule": "office",
        "schedule_source": "sla_definition",
        "timezone_source": "sla.timezone",
        "timezone": "Europe/Stockholm",
        "start_condition": "category=network^priority=3",
        "stop_condition": "stateIN6,7,8",
        # pending pauses by default: the base system's On Hold (3) is pending
        "pause_condition": "stateIN3",
        "when_to_resume": "no_match",
        "cancel_condition": "priority!=3",
        "when_to_cancel": "on_condition",
        "active": True,
    }
    assert p3.depends_on == ("schedule/office",)
    assert objects["sla/P3 respond"].attrs["stop_condition"] == "state!=1"


def test_apply_then_read_back_equal_then_nothing_to_do(h: ServiceNowHarness) -> None:
    sn = h.connector()
    first = plan(sn, policy())
    assert set(ops(first).values()) == {"create", "update"}  # base lookup rows get updated
    apply(sn, first)
    assert plan(h.connector(), policy()).desks[0].changes == ()
    (office,) = h.fake.find("cmn_schedule", name="office")
    assert office["description"] == MARKER and office["time_zone"] == "Europe/Stockholm"
    (link,) = h.fake.find("cmn_other_schedule", schedule=office["sys_id"])
    assert link["type"] == "include"
    holidays = h.fake.find("cmn_schedule_span", schedule=link["child_schedule"])
    assert holidays and all(s["type"] == "exclude" and s["all_day"] == "true" for s in holidays)
    (sla,) = h.fake.find("contract_sla", name=f"P2 respond {MARKER}")
    assert sla["schedule"] == office["sys_id"] and sla["duration"] == "1970-01-01 01:00:00"
    rules = {(r["impact"], r["urgency"]): r["priority"] for r in h.fake.rows("dl_u_priority")}
    assert rules[("3", "3")] == "4"  # the base system's 5 became the policy's P4


def test_current_config_costs_six_queries(h: ServiceNowHarness) -> None:
    sn = h.connector()
    apply(sn, plan(sn, policy()))
    reader = h.connector()
    reader.current_config()
    assert reader.calls == 6


def test_a_changed_target_updates_one_sla_in_place(h: ServiceNowHarness) -> None:
    sn = h.connector()
    apply(sn, plan(sn, policy()))
    changed = plan(h.connector(), policy(p1_respond=timedelta(minutes=30)))
    (change,) = changed.desks[0].changes
    assert (change.key, change.op) == ("sla/P1 respond", "update")
    assert [(d.field, d.after) for d in change.diffs] == [("duration", "1970-01-01 00:30:00")]
    patches = len(h.fake.patches)
    apply(h.connector(), changed)
    assert len(h.fake.patches) == patches + 1
    assert h.fake.patches[-1].body == {"duration": "1970-01-01 00:30:00"}


def test_changed_hours_rewrite_only_the_changed_span(h: ServiceNowHarness) -> None:
    sn = h.connector()
    apply(sn, plan(sn, policy()))
    spans = len(h.fake.rows("cmn_schedule_span"))
    later = dataclasses.replace(OFFICE, hours=(WEEKDAYS,) * 5 + (((600, 780),), ()))
    changed = plan(h.connector(), policy(later))
    assert ops(changed) == {"schedule/office": "update"}
    before = dict(h.fake.calls)
    apply(h.connector(), changed)
    delta = {k: v - before.get(k, 0) for k, v in h.fake.calls.items() if v != before.get(k, 0)}
    assert delta["DELETE /api/now/table/(?P<table>[a-z0-9_]+)/(?P<sys_id>[0-9a-f]{32})"] == 1
    assert delta["POST /api/now/table/(?P<table>[a-z0-9_]+)"] == 1
    assert len(h.fake.rows("cmn_schedule_span")) == spans
    assert plan(h.connector(), policy(later)).desks[0].changes == ()


def test_objects_not_in_the_policy_are_deleted_with_their_parts(h: ServiceNowHarness) -> None:
    sn = h.connector()
    apply(sn, plan(sn, policy()))
    always = dataclasses.replace(OFFICE, holiday_country=None)
    always = dataclasses.replace(always, hours=tuple(((0, 1440),) for _ in range(7)))
    always = dataclasses.replace(always, holiday_dates=frozenset())
    smaller = plan(h.connector(), policy(always, p4=False))
    assert ops(smaller)["schedule/office"] == "delete"
    assert ops(smaller)["sla/P4 resolve"] == "delete"
    apply(h.connector(), smaller)
    assert h.fake.rows("cmn_schedule") == h.fake.rows("cmn_other_schedule") == []
    assert h.fake.rows("cmn_schedule_span") == []
    assert not h.fake.find("contract_sla", name=f"P4 resolve {MARKER}")
    assert plan(h.connector(), policy(always, p4=False)).desks[0].changes == ()


def test_unmarked_objects_are_conflicts_until_adopted(h: ServiceNowHarness) -> None:
    h.fake.insert("contract_sla", name="P1 respond", collection="incident", active=True)
    h.fake.insert("cmn_schedule", name="office", time_zone="Europe/Oslo", description="Ours")
    found = ops(plan(h.connector(), policy()))
    assert (found["sla/P1 respond"], found["schedule/office"]) == ("conflict", "conflict")
    sn = h.connector()
    report = apply(sn, plan(sn, policy(), adopt=("sla/P1 respond", "schedule/office")))
    assert report.skipped_conflicts == 0
    assert h.fake.find("contract_sla", name=f"P1 respond {MARKER}")
    (office,) = h.fake.find("cmn_schedule", name="office")
    assert office["description"] == f"Ours\n{MARKER}"
    assert plan(h.connector(), policy()).desks[0].changes == ()


def test_lookup_rules_belong_to_escalada_only_when_the_desk_says_so(tmp_path: Path) -> None:
    with open_harness(tmp_path) as h:
        desk_plan = plan(h.connector(), policy()).desks[0]
        assert not [c for c in desk_plan.changes if c.obj.kind == "lookup"]
        (note,) = [n for n in desk_plan.notes if n.startswith("lookup/")]
        assert "options.manage_priority_lookup: true" in note
        apply(h.connector(), plan(h.connector(), policy()))
        rules = {(r["impact"], r["urgency"]): r["priority"] for r in h.fake.rows("dl_u_priority")}
        assert rules[("3", "3")] == "5"  # untouched


def test_a_refused_schedule_entry_write_says_so(h: ServiceNowHarness) -> None:
    h.fake.refuse_span_writes = True
    sn = h.connector()
    report = reconcile.apply(plan(sn, policy()), [sn])
    assert report.failed is not None
    desk, change, message = report.failed
    assert change.key == "schedule/office"
    assert "'office'" in message and "cmn_schedule_span" in message
    assert "Schedule Item validate" in message and "HTTP 403" in message
    h.fake.refuse_span_writes = False
    assert ops(plan(h.connector(), policy()))["schedule/office"] == "update"


def test_groups_are_verified_never_written(h: ServiceNowHarness) -> None:
    h.fake.tables["sys_user_group"].clear()
    sn = h.connector()
    desk_plan = plan(sn, policy()).desks[0]
    assert any("group/Network L2: not found" in p for p in desk_plan.problems)
    group = ConfigObject("group", "Network L2", {"active": True}, verify_only=True)
    with pytest.raises(EscaladaError, match="never writes"):
        sn.write_config("create", group)


def test_an_sla_on_a_missing_schedule_is_a_clear_error(h: ServiceNowHarness) -> None:
    sla = next(o for o in h.connector().desired_config(policy()) if o.key == "sla/P2 respond")
    with pytest.raises(DeskError, match="schedule 'office' does not exist"):
        h.connector().write_config("create", sla)


# --- pausing and service levels ----------------------------------------------------


def with_levels(wanted: Policy, *levels: tuple[str, Condition, dict[str, timedelta]]) -> Policy:
    matrix = wanted.matrix
    assert matrix is not None
    built = []
    for name, match, resolve in levels:
        merged = dict(matrix.priorities)
        for key, within in resolve.items():
            merged[key] = dataclasses.replace(merged[key], resolve_within=within)
        built.append(ServiceLevel(name, match, merged, frozenset(resolve)))
    return dataclasses.replace(
        wanted, matrix=dataclasses.replace(matrix, service_levels=tuple(built))
    )


ACME = FieldCondition("requester.organization", "equals", "Acme Retail")
GOLD = FieldCondition("tags", "contains", "gold")


def test_pause_condition_from_the_states_whose_status_pauses(h: ServiceNowHarness) -> None:
    options = h.connector().options
    assert pause_condition(options, frozenset({"pending", "on-hold"})) == "stateIN3"  # On Hold
    assert pause_condition(options, frozenset({"pending"})) == ""
    assert pause_condition(options, frozenset()) == ""
    custom = dataclasses.replace(options, states={"1": "open", "3": "pending", "4": "pending"})
    assert pause_condition(custom, frozenset({"pending"})) == "stateIN3,4"


def test_service_levels_attach_exclusively(h: ServiceNowHarness) -> None:
    two = {"P1": timedelta(hours=2)}
    wanted = with_levels(policy(), ("acme", ACME, two), ("gold", GOLD, {}))
    objects = {o.key: o for o in h.connector().desired_config(wanted)}
    acme = objects["sla/P1 resolve acme"].attrs
    assert acme["duration"] == "1970-01-01 02:00:00"
    assert acme["start_condition"] == (
        "category=network^priority=1^caller_id.company.name=Acme Retail"
    )
    assert objects["sla/P1 respond acme"].attrs["duration"] == "1970-01-01 00:15:00"
    gold = objects["sla/P1 resolve gold"].attrs
    assert gold["start_condition"] == (
        "category=network^priority=1^sys_tagsLIKEgold^caller_id.company.name!=Acme Retail"
    )
    assert objects["sla/P1 resolve"].attrs["start_condition"] == (
        "category=network^priority=1^caller_id.company.name!=Acme Retail^sys_tagsNOT LIKEgold"
    )
    assert acme["pause_condition"] == "stateIN3"


def test_a_level_of_two_terms_is_excluded_by_an_or(h: ServiceNowHarness) -> None:
    both = AllOf((ACME, GOLD))
    wanted = with_levels(policy(), ("acme-gold", both, {"P1": timedelta(hours=2)}))
    objects = {o.key: o for o in h.connector().desired_config(wanted)}
    assert objects["sla/P1 resolve"].attrs["start_condition"] == (
        "category=network^priority=1^caller_id.company.name!=Acme Retail^ORsys_tagsNOT LIKEgold"
    )


def test_a_level_servicenow_cannot_say_is_noted_and_not_written(h: ServiceNowHarness) -> None:
    vip = FieldCondition("requester.vip", "equals", True)
    wanted = with_levels(policy(), ("vips", vip, {"P1": timedelta(hours=2)}))
    objects = {o.key: o for o in h.connector().desired_config(wanted)}
    assert not any(key.endswith(" vips") and not o.verify_only for key, o in objects.items())
    note = objects["sla/service level vips"]
    assert note.verify_only and "enforced by the runner only" in (note.note or "")
    assert objects["sla/P1 resolve"].attrs["start_condition"] == "category=network^priority=1"


def test_service_levels_and_pausing_converge(h: ServiceNowHarness) -> None:
    wanted = with_levels(policy(), ("acme", ACME, {"P1": timedelta(hours=2)}))
    sn = h.connector()
    apply(sn, plan(sn, wanted))
    assert plan(h.connector(), wanted).desks[0].changes == ()
    (row,) = h.fake.find("contract_sla", name=f"P1 resolve acme {MARKER}")
    assert row["pause_condition"] == "stateIN3" and row["when_to_resume"] == "no_match"
    assert row["start_condition"].endswith("^caller_id.company.name=Acme Retail")
