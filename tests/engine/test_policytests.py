from __future__ import annotations

from dataclasses import replace
from typing import Any

from escalada.commands.test import render
from escalada.engine.policytests import run_tests
from escalada.policy.model import PolicyTest
from escalada.policy.model import Where
from tests.engine.fixtures import at
from tests.engine.fixtures import policy

TICKET = {
    "key": "T-1",
    "title": "VPN down",
    "priority": "P1",
    "status": "open",
    "created": "2026-11-23T09:40:00Z",
    "tags": ["outage"],
}


def case(name: str, expect: dict[str, Any], line: int = 1, **ticket: Any) -> PolicyTest:
    return PolicyTest(
        name=name,
        at=at("2026-11-23T10:00:00Z"),
        ticket={**TICKET, **ticket},
        expect=expect,
        where=Where("tests/outage.yaml", line, 1),
    )


def run(*tests: PolicyTest) -> str:
    return render(run_tests(replace(policy(), tests={t.name: t for t in tests})))


def test_a_passing_test() -> None:
    ok = case(
        "p1-outage-unanswered-goes-to-l2",
        {
            "path": "critical-outage",
            "level": 1,
            "team": "network-l2",
            "priority": "P1",
            "actions": ["assign", "comment", "notify"],  # mark is implicit
            "next": {"level": 2, "at": "2026-11-23T12:40:00Z"},
        },
    )
    assert run(ok) == "1 passed, 0 failed\n"


def test_actions_are_a_set_of_types_and_mark_counts_when_listed() -> None:
    unordered = case("a", {"actions": ["notify", "comment", "assign"]})
    with_mark = case("b", {"actions": ["assign", "comment", "mark", "notify"]}, 2)
    assert run(unordered, with_mark) == "2 passed, 0 failed\n"


def test_failures_show_expected_versus_got_with_file_and_line() -> None:
    wrong = case(
        "wrong",
        {"level": 2, "path": "standard", "actions": ["comment"], "next": None},
        line=12,
    )
    out = run(wrong).splitlines()
    assert (
        out[0] == "tests/outage.yaml:12:1: test wrong: path: expected standard, got critical-outage"
    )
    assert out[1] == "tests/outage.yaml:12:1: test wrong: level: expected 2, got 1"
    assert out[2] == (
        "tests/outage.yaml:12:1: test wrong: actions: expected [comment], got [assign, comment, "
        "notify]"
    )
    assert out[3] == (
        "tests/outage.yaml:12:1: test wrong: next: expected null, got level 2 at "
        "2026-11-23T12:40:00Z"
    )
    assert out[4].startswith("    assign, comment, mark, notify: Escalated to level 1 (network-l2)")
    assert len(out) == 6
    assert out[-1] == "0 passed, 1 failed"


def test_next_at_and_level_mismatches() -> None:
    late = case("late", {"next": {"at": "2026-11-23T13:40:00+01:00", "level": 3}})
    out = run(late).splitlines()
    assert out[0].endswith("test late: next.level: expected 3, got 2")
    assert "next.at" not in "".join(out)  # 13:40+01:00 is 12:40Z: the same instant
    assert out[-1] == "0 passed, 1 failed"


def test_results_run_in_file_and_line_order_and_count() -> None:
    first = case("z-first", {"level": 1}, line=1)
    second = case("a-second", {"level": 9}, line=30)
    out = run(second, first).splitlines()
    assert out[0].startswith("tests/outage.yaml:30:1: test a-second: level: expected 9, got 1")
    assert out[-1] == "1 passed, 1 failed"


def test_a_broken_ticket_or_expectation_fails_with_one_line() -> None:
    bad_ticket = case("bad-ticket", {"level": 1}, line=3, created="2026-11-23 09:40")
    unknown_key = case("bad-expect", {"levle": 1}, line=9)
    unknown_action = case("bad-action", {"actions": ["escalate"]}, line=20)
    out = run(bad_ticket, unknown_key, unknown_action).splitlines()
    assert out[0] == (
        "tests/outage.yaml:3:1: test bad-ticket: spec.ticket: ticket field 'created': "
        "'2026-11-23 09:40' has no UTC offset (write an ISO-8601 time with an offset, e.g. "
        "2026-11-23T09:40:00Z or +01:00)"
    )
    assert out[1] == (
        "tests/outage.yaml:9:1: test bad-expect: spec.expect.levle: unknown expectation "
        "(known: path, level, team, priority, actions, next)"
    )
    assert out[2].startswith(
        "tests/outage.yaml:20:1: test bad-action: spec.expect.actions: unknown action type "
        "'escalate' (known: assign,"
    )
    assert out[-1] == "0 passed, 3 failed"


def test_no_tests() -> None:
    assert run() == "0 passed, 0 failed\n"
