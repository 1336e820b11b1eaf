"""`escalada test`: run a policy's PolicyTest documents.

A test evaluates its ticket at its `at` instant and compares what it expects:

    expect:
      path: critical-outage         # null: on no path
      level: 1
      team: network-l2              # the team on shift for a rotation
      priority: P1
      actions: [assign, comment, notify]
      next: {level: 2, at: 2026-11-23T12:00:00Z}   # or next: null

`actions` is compared as a set of action types, not a list: the order is the
engine's fixed one, and a test states what happens, not how it is sequenced.
`mark` (escalada's own bookkeeping on the ticket) is compared only when the
expectation lists it. Every key is optional; an unknown key fails the test.
"""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from escalada.engine.evaluator import Evaluator
from escalada.errors import EscaladaError
from escalada.instants import to_iso
from escalada.policy.model import Policy
from escalada.policy.model import PolicyTest
from escalada.policy.ticket_input import parse_ticket
from escalada.policy.ticket_input import parse_time
from escalada.ticket import ACTION_TYPES
from escalada.ticket import Decision

EXPECT_KEYS = ("path", "level", "team", "priority", "actions", "next")
NEXT_KEYS = ("level", "at")


@dataclass(frozen=True, slots=True)
class Mismatch:
    what: str  # "level", "actions", "next.at", ...
    expected: str
    got: str


@dataclass(frozen=True, slots=True)
class TestResult:
    test: PolicyTest
    mismatches: tuple[Mismatch, ...] = ()
    error: str | None = None  # the test itself is broken (bad ticket, bad expectation)
    decision: Decision | None = None

    @property
    def passed(self) -> bool:
        return not self.mismatches and self.error is None


class BadExpectation(Exception):
    pass


def run_tests(policy: Policy, tests: Iterable[PolicyTest] | None = None) -> list[TestResult]:
    """Run the given tests (default: every test in the policy), sorted by file and line."""
    evaluator = Evaluator(policy)
    chosen = list(policy.tests.values() if tests is None else tests)
    chosen.sort(key=lambda t: (t.where.file, t.where.line, t.name))
    return [run_test(evaluator, test) for test in chosen]


def run_test(evaluator: Evaluator, test: PolicyTest) -> TestResult:
    where = str(test.where)
    try:
        ticket = parse_ticket(test.ticket, policy=evaluator.policy, source=where)
    except EscaladaError as error:
        return TestResult(test, error=f"spec.ticket: {error.message}" + _hint(error))
    try:
        decision = evaluator.evaluate(ticket, test.at)
        mismatches = tuple(compare(test.expect, decision))
    except BadExpectation as error:
        return TestResult(test, error=str(error))
    except (EscaladaError, ValueError) as error:
        return TestResult(test, error=f"evaluation failed: {error}")
    return TestResult(test, mismatches, decision=decision)


def _hint(error: EscaladaError) -> str:
    return f" ({error.hint})" if error.hint else ""


def compare(expect: Mapping[str, Any], decision: Decision) -> list[Mismatch]:
    """What differs between an expectation and a decision; BadExpectation when the
    expectation itself cannot be read."""
    if not isinstance(expect, Mapping):
        raise BadExpectation("spec.expect must be a mapping")
    out: list[Mismatch] = []
    for key in expect:
        if key not in EXPECT_KEYS:
            raise BadExpectation(
                f"spec.expect.{key}: unknown expectation (known: {', '.join(EXPECT_KEYS)})"
            )
    for key in ("path", "team", "priority"):
        if key in expect:
            want = expect[key]
            if want is not None and not isinstance(want, str):
                raise BadExpectation(f"spec.expect.{key}: must be a name or null")
            got = getattr(decision, key)
            if want != got:
                out.append(Mismatch(key, _show(want), _show(got)))
    if "level" in expect:
        level = expect["level"]
        if isinstance(level, bool) or not isinstance(level, int):
            raise BadExpectation("spec.expect.level: must be a whole number")
        if level != decision.level:
            out.append(Mismatch("level", str(level), str(decision.level)))
    if "actions" in expect:
        out.extend(_actions(expect["actions"], decision))
    if "next" in expect:
        out.extend(_next(expect["next"], decision))
    return out


def _actions(value: Any, decision: Decision) -> list[Mismatch]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise BadExpectation("spec.expect.actions: must be a list of action types")
    unknown = [v for v in value if v not in ACTION_TYPES]
    if unknown:
        raise BadExpectation(
            f"spec.expect.actions: unknown action type {unknown[0]!r} "
            f"(known: {', '.join(ACTION_TYPES)})"
        )
    want = set(value)
    got: set[str] = {a.type for a in decision.actions}
    if "mark" not in want:
        got.discard("mark")
    if want == got:
        return []
    return [Mismatch("actions", _types(want), _types(got))]


def _types(types: set[str]) -> str:
    return "[" + ", ".join(t for t in ACTION_TYPES if t in types) + "]"


def _next(value: Any, decision: Decision) -> list[Mismatch]:
    got = decision.next
    if value is None:
        if got is None:
            return []
        return [Mismatch("next", "null", f"level {got.level} at {to_iso(got.at)}")]
    if not isinstance(value, Mapping) or any(k not in NEXT_KEYS for k in value):
        raise BadExpectation("spec.expect.next: write {level: N, at: TIME} (either key) or null")
    if got is None:
        return [Mismatch("next", _show_next(value), "null (nothing scheduled)")]
    out = []
    if "level" in value and value["level"] != got.level:
        out.append(Mismatch("next.level", str(value["level"]), str(got.level)))
    if "at" in value:
        want = _instant(value["at"])
        if want != got.at:
            out.append(Mismatch("next.at", to_iso(want), to_iso(got.at)))
    return out


def _instant(value: Any) -> datetime:
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value
    try:
        return parse_time(str(value))
    except ValueError as error:
        raise BadExpectation(f"spec.expect.next.at: {error}") from None


def _show(value: Any) -> str:
    return "null" if value is None else str(value)


def _show_next(value: Mapping[str, Any]) -> str:
    return ", ".join(f"{k} {value[k]}" for k in NEXT_KEYS if k in value)
