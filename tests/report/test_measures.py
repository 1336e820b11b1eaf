"""The audit figures over hand-written logs: each measure checked against the
records that make it, in both the current and the older record shape."""

from __future__ import annotations

from datetime import timezone
from zoneinfo import ZoneInfo

import pytest

from escalada.errors import EscaladaError
from escalada.policy.validate import load_policy
from escalada.report.inputs import read_audit
from escalada.report.measures.escalations import tally_audit
from tests.paths import EXAMPLE
from tests.report.records import MONDAY
from tests.report.records import escalation
from tests.report.records import hours
from tests.report.records import record
from tests.report.records import sample_audit
from tests.report.records import write_lines

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.fixture(scope="module")
def policy():
    return load_policy([str(EXAMPLE)])


def figures(tmp_path, rows, policy=None, zone=STOCKHOLM):
    path = write_lines(tmp_path / "audit.jsonl", rows)
    return tally_audit(read_audit([path]), zone=zone, policy=policy)


def test_volume_counts_each_escalation_once_by_threshold_or_trigger(tmp_path, policy):
    found = figures(tmp_path, sample_audit(), policy)
    v = found.volume
    # A: 3 level changes by time; B: one by trigger; the dry run and the failure are not counted
    assert v.total == 4 and v.tickets == 2
    assert v.by_kind == {"threshold": 3, "trigger": 1}
    assert v.by_trigger == {"vip-customer": 1}
    assert v.by["level"] == {
        "critical-outage L1": 1,
        "critical-outage L2": 2,
        "critical-outage L3": 1,
    }
    assert v.by["priority"] == {"P1": 3, "P2": 1}
    assert [(b.start, b.threshold, b.trigger) for b in v.per_day] == [("2026-11-23", 3, 1)]
    assert [b.start for b in v.per_week] == ["2026-11-23"]  # the Monday
    # 09:00Z is 10:00 in Stockholm: Monday row; A at 10:00, 12:00, 13:30, B at 11:00
    assert [v.heat[0][h] for h in (10, 11, 12, 13)] == [1, 1, 1, 1]
    assert sum(map(sum, v.heat)) == 4


def test_the_heat_map_follows_the_zone(tmp_path):
    v = figures(tmp_path, escalation(MONDAY, "A", 0, 1), zone=timezone.utc).volume
    assert v.heat[0][9] == 1 and v.zone == "UTC"


def test_time_at_each_level_and_escalation_to_resolution(tmp_path, policy):
    found = figures(tmp_path, sample_audit(), policy)
    level = found.level_time
    assert level["critical-outage L1"].median == hours(2).total_seconds()
    assert level["critical-outage L2"].median == hours(1.5).total_seconds()
    assert level["critical-outage L3"].median == hours(2.5).total_seconds()  # until resolved
    assert found.to_resolution["P1"].count == 1
    assert found.to_resolution["P1"].median == hours(6).total_seconds()


def test_reached_the_top_of_the_path(tmp_path, policy):
    (top,) = figures(tmp_path, sample_audit(), policy).reached_top
    assert (top.path, top.top, top.escalated, top.reached) == ("critical-outage", 3, 2, 1)


def test_without_a_policy_the_top_is_the_highest_level_seen(tmp_path):
    rows = escalation(MONDAY, "A", 0, 1) + escalation(MONDAY, "B", 0, 1)
    rows += escalation(MONDAY + hours(1), "B", 1, 2)
    (top,) = figures(tmp_path, rows).reached_top
    assert (top.top, top.escalated, top.reached) == (2, 2, 1)


def test_stakeholder_updates_on_time_or_late(tmp_path, policy):
    updates = figures(tmp_path, sample_audit(), policy).updates
    # A's P1 interval is 1h (+15m grace): 1h after L1 on time, 1h after L2 on time,
    # 1h30m after L3 late; the channel copy of an update is not counted again
    assert (updates.on_time, updates.late, updates.unjudged) == (2, 1, 0)
    assert updates.by_priority == {"P1": (2, 1)}


def test_without_a_policy_updates_are_not_judged(tmp_path):
    updates = figures(tmp_path, sample_audit()).updates
    assert (updates.on_time, updates.late, updates.unjudged) == (0, 0, 3)


def test_reason_requests_answered_or_not(tmp_path, policy):
    rows = sample_audit()
    rows.append(record(MONDAY, "F", "ask_reason"))
    rows += escalation(MONDAY + hours(1), "F", 0, 1, trigger="requested")
    asks = figures(tmp_path, rows, policy).asks
    assert (asks.asked, asks.answered, asks.unanswered) == (2, 1, 1)


def test_an_older_log_without_the_escalation_fields(tmp_path):
    rows = []
    for row in escalation(MONDAY, "A", 0, 1) + escalation(MONDAY, "B", 0, 2):
        for field in ("priority", "team", "status", "escalation", "trigger"):
            row.pop(field)
        rows.append(row)
    rows[-1]["reason"] = rows[-2]["reason"] = rows[-3]["reason"] = rows[-4]["reason"] = (
        "Escalated to level 2 (x) on critical-outage by trigger vip-customer: A VIP"
    )
    v = figures(tmp_path, rows).volume
    assert v.total == 2 and v.by_kind == {"threshold": 1, "trigger": 1}
    assert v.by_trigger == {"vip-customer": 1}


def test_a_bad_line_names_the_file_line_and_column(tmp_path):
    path = tmp_path / "audit.jsonl"
    path.write_text(
        '{"time": "2026-11-23T09:00:00Z", "desk": "d", "ticket": "1", "action": "comment"}\n'
        '{"time": "2026-11-23T09:00:00Z", "desk": \n',
        encoding="utf-8",
    )
    with pytest.raises(EscaladaError) as error:
        list(read_audit([path]))
    assert str(error.value).startswith(f"{path}:2:")
    assert "not valid JSON" in str(error.value)


def test_a_record_without_a_time_offset_is_refused(tmp_path):
    path = write_lines(
        tmp_path / "a.jsonl",
        [{"time": "2026-11-23T09:00:00", "desk": "d", "ticket": "1", "action": "comment"}],
    )
    with pytest.raises(EscaladaError, match="has no UTC offset"):
        list(read_audit([path]))
