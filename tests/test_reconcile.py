"""The plan as a pure function of desired and current objects, and its renderings."""

from __future__ import annotations

import json

import pytest

from escalada.connectors.base import ConfigObject
from escalada.policy.model import Desk
from escalada.reconcile import Plan
from escalada.reconcile import plan_desk
from escalada.reconcile_render import RENDERERS

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
