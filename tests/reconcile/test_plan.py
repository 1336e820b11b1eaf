"""The plan as a pure function of desired and current objects, and its renderings."""

from __future__ import annotations

import json

import pytest

from escalada.connectors.base import ConfigObject
from escalada.policy.model import Desk
from escalada.reconcile import Plan
from escalada.reconcile import plan_desk
from escalada.reconcile.render import RENDERERS
from escalada.reconcile.render import field_lines
from escalada.reconcile.render import plan_markdown

DESK = Desk(name="zd", type="zendesk")


def obj(kind, name, managed=True, id=None, depends_on=(), **attrs):
    return ConfigObject(kind, name, attrs, id=id, managed=managed, depends_on=depends_on)


def test_missing_objects_are_created_dependencies_first():
    desired = [
        obj("sla", "p1", depends_on=("schedule/office",), first_reply=15),
        obj("schedule", "office", time_zone="Stockholm"),
    ]
    result = plan_desk(DESK, desired, [])
    assert [(c.op, c.key) for c in result.changes] == [
        ("create", "schedule/office"),
        ("create", "sla/p1"),
    ]


def test_a_matching_desk_plans_nothing():
    desired = [obj("sla", "p1", first_reply=15)]
    current = [obj("sla", "p1", id="7", first_reply=15)]
    assert plan_desk(DESK, desired, current).changes == ()


def test_drift_on_a_managed_object_is_an_update_with_field_diffs():
    desired = [obj("sla", "p1", first_reply=15, periodic=60)]
    current = [obj("sla", "p1", id="7", first_reply=30, periodic=60)]
    (change,) = plan_desk(DESK, desired, current).changes
    assert change.op == "update" and change.obj.id == "7"
    assert [(d.field, d.before, d.after) for d in change.diffs] == [("first_reply", 30, 15)]


def test_an_unmanaged_lookalike_is_a_conflict_until_adopted():
    desired = [obj("sla", "p1", first_reply=15)]
    current = [obj("sla", "p1", managed=False, id="9", first_reply=30)]
    (change,) = plan_desk(DESK, desired, current).changes
    assert change.op == "conflict"
    (adopted,) = plan_desk(DESK, desired, current, adopt=["p1"]).changes
    assert adopted.op == "update" and adopted.adopt and adopted.obj.id == "9"


def test_only_managed_objects_leave_when_the_policy_drops_them():
    current = [
        obj("sla", "old", id="1"),
        obj("sla", "hand-made", managed=False, id="2"),
        obj("schedule", "old-hours", id="3"),
        obj("sla", "old2", id="4", depends_on=("schedule/old-hours",)),
    ]
    changes = plan_desk(DESK, [], current).changes
    assert {c.key for c in changes} == {"sla/old", "schedule/old-hours", "sla/old2"}
    assert all(c.op == "delete" for c in changes)
    keys = [c.key for c in changes]
    assert keys.index("sla/old2") < keys.index("schedule/old-hours")  # dependents go first


def test_verified_objects_are_never_written():
    group = ConfigObject("group", "Network L2", verify_only=True)
    note = ConfigObject("sla", "P1", verify_only=True, note="enforced by the runner")
    result = plan_desk(DESK, [group, note], [])
    assert result.changes == ()
    assert result.problems and "group/Network L2: not found" in result.problems[0]
    assert result.notes == ("sla/P1: enforced by the runner",)
    present = plan_desk(DESK, [group], [ConfigObject("group", "Network L2", verify_only=True)])
    assert present.problems == ()


@pytest.fixture
def sample_plan():
    desired = [obj("sla", "p1", first_reply=15), obj("schedule", "office", tz="Stockholm")]
    current = [obj("sla", "p1", id="7", first_reply=30), obj("sla", "gone", id="8")]
    return Plan((plan_desk(DESK, desired, current),))


def test_text_rendering_reads_like_terraform(sample_plan):
    text = RENDERERS["text"](sample_plan)
    assert "desk zd (zendesk)" in text
    assert "  ~ sla/p1\n      first_reply: 30 -> 15" in text
    assert '  + schedule/office\n      tz: "Stockholm"' in text
    assert "  - sla/gone" in text
    assert text.endswith("Plan: 1 to create, 1 to update, 1 to delete, 0 conflict(s).")


def test_markdown_and_json_renderings(sample_plan):
    markdown = RENDERERS["markdown"](sample_plan)
    assert "```diff" in markdown and f"`{sample_plan.digest()}`" in markdown
    data = json.loads(RENDERERS["json"](sample_plan))
    assert data["summary"] == {"create": 1, "update": 1, "delete": 1, "conflict": 0}
    ops = {(c["op"], c["name"]) for c in data["desks"][0]["changes"]}
    assert ops == {("create", "office"), ("update", "p1"), ("delete", "gone")}
    assert data["digest"] == sample_plan.digest()


def test_the_digest_changes_with_the_plan(sample_plan):
    other = Plan((plan_desk(DESK, [obj("sla", "p1", first_reply=5)], []),))
    assert other.digest() != sample_plan.digest()


def test_an_object_asked_for_twice_is_planned_once_and_the_first_wins():
    desired = [
        obj("priority", "Low", description="Medium"),  # P3 -> Low
        obj("priority", "Low", description="Low"),  # P4 -> Low as well
        obj("priority", "High", description="High"),
        obj("priority", "High", description="High"),  # the same object twice: no note
    ]
    result = plan_desk(DESK, desired, [obj("priority", "Low", id="3", description="Low")])
    assert [(c.op, c.key, dict(c.obj.attrs)) for c in result.changes] == [
        ("update", "priority/Low", {"description": "Medium"}),
        ("create", "priority/High", {"description": "High"}),
    ]
    assert result.notes == (
        "priority/Low: several policy names map onto it; the first one's settings apply",
    )


def test_slas_are_deleted_before_the_schedules_and_priorities_they_name():
    current = [
        obj("sla", "p1", id="1"),
        obj("schedule", "late", id="9"),  # written after the SLA, so read after it
        obj("priority", "Late", id="10"),
        obj("sla", "p2", id="11"),
        obj("lookup", "1 x 1", id="12"),
    ]
    keys = [c.key for c in plan_desk(DESK, [], current).changes]
    assert keys == ["sla/p2", "sla/p1", "lookup/1 x 1", "priority/Late", "schedule/late"]


def test_an_object_written_on_top_of_a_conflict_says_so():
    desired = [
        obj("schedule", "office", tz="Stockholm"),
        obj("sla", "p2", depends_on=("schedule/office",), first_reply=60),
    ]
    current = [obj("schedule", "office", managed=False, id="4", tz="UTC")]
    result = plan_desk(DESK, desired, current)
    assert [(c.op, c.key) for c in result.changes] == [
        ("conflict", "schedule/office"),
        ("create", "sla/p2"),
    ]
    assert result.notes == (
        "sla/p2 uses schedule/office, which escalada does not manage: it stays as the desk "
        "has it until adopted",
    )
    adopted = plan_desk(DESK, desired, current, adopt=["office"])
    assert adopted.notes == ()


@pytest.mark.parametrize(
    ("before", "after", "lines"),
    [
        (30, 15, ["f: 30 -> 15"]),
        ({"a": 1, "b": [1, 2]}, {"a": 1, "b": [1, 3]}, ["f.b[1]: 2 -> 3"]),
        ({"a": 1, "b": 2}, {"a": 1, "c": None}, ["f.b: 2 -> (absent)", "f.c: (absent) -> null"]),
        (
            [{"t": 999, "m": "x"}, {"t": 60, "m": "y"}],
            [{"t": 15, "m": "x"}, {"t": 60, "m": "y"}],
            ["f[0].t: 999 -> 15"],
        ),
        (
            [{"d": "01-01"}, {"d": "01-06"}],
            [{"d": "01-06"}, {"d": "04-03"}, {"d": "12-24"}],
            ['f: - {"d": "01-01"}', 'f: + {"d": "04-03"}', 'f: + {"d": "12-24"}'],
        ),
        ([1, 2], [2, 1], ["f: [1, 2] -> [2, 1]"]),  # only the order changed
        ("x", ["x"], ['f: "x" -> ["x"]']),
    ],
)
def test_field_differences_descend_into_dicts_and_lists(before, after, lines):
    assert field_lines("f", before, after) == lines


def test_a_long_plan_is_cut_to_fit_a_pull_request_comment():
    desired = [obj("sla", f"p{i}", text="x" * 200) for i in range(50)]
    plan = Plan((plan_desk(DESK, desired, []),))
    whole = plan_markdown(plan)
    cut = plan_markdown(plan, limit=2_000)
    assert len(cut) < 3_000 < len(whole)
    assert cut.count("```") == 2 and cut.endswith(f"<sub>plan digest `{plan.digest()}`</sub>")
    assert "line(s) left out to fit a comment" in cut
    assert "left out" not in whole


def test_json_deletes_list_what_goes():
    current = [obj("sla", "gone", id="8", first_reply=15)]
    data = json.loads(RENDERERS["json"](Plan((plan_desk(DESK, [], current),))))
    (change,) = data["desks"][0]["changes"]
    assert change["fields"] == {"first_reply": {"from": 15, "to": None}}
