"""check_policy: the semantic checks.

Every finding code has a bad policy in tests/policy/bad/ that yields exactly the
findings its `# expect: CODE LINE:COL` lines name, through the whole of
`escalada validate` (loader, schema, build, checks). The cases JSON Schema
already refuses live in bad/behind-schema/: they run the real loader, build and
checks without the schema, because the checks must hold on their own too, and
through the whole of validate, where the schema must report each mistake with
the checks' code at the checks' place (one code per mistake, whichever layer
finds it)."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from datetime import timezone
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from escalada.policy.build import build_policy
from escalada.policy.check.base import suggest
from escalada.policy.check.overlap import exclusive
from escalada.policy.check.paths import _components
from escalada.policy.check.schema import validator
from escalada.policy.check.semantic import check_policy
from escalada.policy.conditions import matches
from escalada.policy.load.documents import Document
from escalada.policy.load.documents import Finding
from escalada.policy.load.files import load_paths
from escalada.policy.model import AllOf
from escalada.policy.model import AnyOf
from escalada.policy.model import FieldCondition
from escalada.policy.model import NotOf
from escalada.policy.model import Priority
from escalada.policy.model import PriorityMatrix
from escalada.policy.validate import validate_paths
from escalada.ticket import Requester
from escalada.ticket import Ticket
from tests.paths import BAD
from tests.paths import ROOT

BEHIND_SCHEMA = BAD / "behind-schema"
EXAMPLE = ROOT / "examples" / "policy"
_EXPECT = re.compile(r"^# expect: (?P<code>[a-z0-9-]+) (?P<line>\d+):(?P<column>\d+)$", re.M)


def load_dir(*paths: Path) -> list[Document]:
    """Documents of every policy file under the given paths, through the real loader."""
    loaded = load_paths(paths)
    assert loaded.findings == (), loaded.findings
    return list(loaded.documents)


def validate(docs: list[Document]) -> list[Finding]:
    """Build and check, without the schema pass."""
    policy, findings = build_policy(docs)
    return findings + check_policy(policy, docs)


def expectations(case: Path) -> tuple[set[tuple[str, int, int]], list[Path]]:
    """What a case expects, and the paths to load with it (the base, unless `# base: no`)."""
    text = case.read_text(encoding="utf-8")
    expected = {(m["code"], int(m["line"]), int(m["column"])) for m in _EXPECT.finditer(text)}
    assert expected, f"{case.name} has no `# expect: CODE LINE:COL` lines"
    return expected, [case] if "# base: no" in text else [BAD / "base", case]


def assert_found(
    findings: list[Finding] | tuple[Finding, ...], expected: set[tuple[str, int, int]]
) -> None:
    got = {(f.code, f.where.line, f.where.column) for f in findings}
    assert got == expected, "\n".join(
        f"{f.where}: {f.severity} {f.code} {f.message} ({f.hint})" for f in findings
    )
    for finding in findings:
        assert finding.message and finding.hint, finding


CASES = sorted(BAD.glob("*.yaml"))
BEHIND = sorted(BEHIND_SCHEMA.glob("*.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_bad_policy_yields_exactly_its_expected_findings(case: Path):
    expected, paths = expectations(case)
    result = validate_paths([str(p) for p in paths])
    assert_found(result.findings, expected)


@pytest.mark.parametrize("case", BEHIND, ids=[p.stem for p in BEHIND])
def test_checks_behind_the_schema_still_hold(case: Path):
    expected, paths = expectations(case)
    assert_found(validate(load_dir(*paths)), expected)


@pytest.mark.parametrize("case", BEHIND, ids=[p.stem for p in BEHIND])
def test_the_schema_reports_what_it_refuses_as_the_checks_do(case: Path):
    expected, paths = expectations(case)
    result = validate_paths([str(p) for p in paths])
    assert_found(result.findings, expected)


def documented_codes() -> set[str]:
    """The codes of the one table of finding codes (docs/validate.md)."""
    table = (ROOT / "docs" / "validate.md").read_text(encoding="utf-8")
    return set(re.findall(r"^\| `([a-z0-9-]+)` \| (?:error|warning) \|", table, re.M))


# The loader's codes come with files the corpus cannot hold (not UTF-8, over 1 MiB,
# unreadable); tests/policy/load/test_files.py produces each of them.
LOADER_CODES = {
    "yaml-syntax",
    "duplicate-key",
    "unsafe-tag",
    "alias-limit",
    "too-deep",
    "file-too-large",
    "not-utf8",
    "not-a-mapping",
    "bad-key",
    "no-files",
    "unreadable",
}

# Comparisons with the committed policy need a git repository, which the corpus is not
# in; tests/commands/test_validate_renames.py produces each of them.
BASE_CODES = {"rename-without-moved-from"}


def test_every_finding_code_has_a_bad_policy_and_a_line_in_the_docs():
    codes = {m["code"] for case in CASES + BEHIND for m in _EXPECT.finditer(case.read_text())}
    assert documented_codes() == codes | LOADER_CODES | BASE_CODES
    loader_tests = (ROOT / "tests/policy/load/test_files.py").read_text(encoding="utf-8")
    assert {code for code in LOADER_CODES if f'"{code}"' in loader_tests} == LOADER_CODES
    base_tests = (ROOT / "tests/commands/test_validate_renames.py").read_text(encoding="utf-8")
    assert {code for code in BASE_CODES if f'"{code}"' in base_tests} == BASE_CODES


def test_the_policy_language_doc_points_at_the_one_table_instead_of_its_own():
    text = (ROOT / "docs" / "policy-language.md").read_text(encoding="utf-8")
    assert not re.search(r"^\| `[a-z0-9-]+` \| (?:error|warning) \|", text, re.M)
    assert "[Finding codes](validate.md#finding-codes)" in text


def test_the_base_of_the_bad_corpus_is_clean():
    assert validate(load_dir(BAD / "base")) == []


def test_the_example_policy_validates_with_zero_findings():
    docs = load_dir(EXAMPLE)
    assert {d.kind for d in docs} >= {
        "PriorityMatrix",
        "Calendar",
        "Team",
        "Channel",
        "EscalationPath",
        "Desk",
    }
    assert validate(docs) == []


# --- which paths can match the same ticket ------------------------------------

MATRIX = PriorityMatrix(
    name="m",
    impact=("high", "low"),
    urgency=("high", "low"),
    cells={},
    priorities={
        name: Priority(name, name, None, None, None, "24x7", rank)
        for rank, name in enumerate(("P1", "P2", "P3"))
    },
)
SCALES = {"priority": ("P1", "P2", "P3"), "impact": ("high", "low"), "urgency": ("high", "low")}


def cond(field: str, op: str, value: object) -> FieldCondition:
    return FieldCondition(field, op, tuple(value) if op == "in" else value)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (None, None, False),
        (None, cond("priority", "equals", "P1"), False),
        (cond("priority", "equals", "P1"), cond("priority", "equals", "P2"), True),
        (cond("priority", "equals", "P1"), cond("priority", "equals", "p1"), False),
        (cond("priority", "in", ["P1", "P2"]), cond("priority", "in", ["P2", "P3"]), False),
        (cond("priority", "gte", "P1"), cond("priority", "lte", "P2"), True),
        (cond("priority", "gte", "P2"), cond("priority", "lte", "P2"), False),
        (cond("priority", "equals", ["P1"]), cond("priority", "equals", "P1"), False),
        (cond("tags", "in", ["a"]), cond("tags", "in", ["b"]), False),
        (cond("fields.tier", "in", ["gold"]), cond("fields.tier", "in", ["silver"]), False),
        (cond("tags", "contains", "a"), NotOf(cond("tags", "contains", "a")), True),
        (cond("team", "exists", True), cond("team", "exists", False), True),
        (
            AllOf((cond("priority", "in", ["P1", "P2"]), cond("tags", "contains", "a"))),
            AllOf(
                (NotOf(cond("priority", "equals", "P1")), NotOf(cond("priority", "equals", "P2")))
            ),
            True,
        ),
        (
            AnyOf((cond("status", "equals", "open"), cond("status", "equals", "pending"))),
            cond("status", "in", ["resolved"]),
            True,
        ),
        (
            AnyOf((cond("status", "equals", "open"), cond("tags", "contains", "x"))),
            cond("status", "in", ["resolved"]),
            False,
        ),
        (
            NotOf(AnyOf((cond("impact", "equals", "high"), cond("impact", "equals", "low")))),
            cond("impact", "in", ["low"]),
            True,
        ),
        (NotOf(AllOf((cond("impact", "equals", "high"),))), cond("impact", "equals", "high"), True),
    ],
)
def test_exclusive_proves_only_what_it_can(first, second, expected):
    assert exclusive(first, second, SCALES) is expected
    assert exclusive(second, first, SCALES) is expected


_FIELD_CONDITIONS = st.one_of(
    st.builds(
        cond,
        st.just("priority"),
        st.sampled_from(["equals", "gte", "lte"]),
        st.sampled_from(["P1", "P2", "P3", "P9"]),
    ),
    st.builds(
        cond,
        st.just("priority"),
        st.just("in"),
        st.lists(st.sampled_from(["P1", "P2", "P3"]), max_size=3),
    ),
    st.builds(
        cond,
        st.just("status"),
        st.sampled_from(["equals", "in"]),
        st.sampled_from(["open", "pending"]).map(lambda v: v),
    ),
    st.builds(
        cond,
        st.just("impact"),
        st.sampled_from(["equals", "gte", "lte"]),
        st.sampled_from(["high", "low"]),
    ),
    st.builds(
        cond, st.just("tags"), st.sampled_from(["contains", "equals"]), st.sampled_from(["a", "b"])
    ),
    st.builds(cond, st.just("tags"), st.just("in"), st.lists(st.sampled_from(["a", "b"]))),
    st.builds(cond, st.just("requester.vip"), st.just("equals"), st.booleans()),
    st.builds(cond, st.just("team"), st.just("exists"), st.booleans()),
    st.builds(cond, st.just("team"), st.sampled_from(["equals", "in"]), st.just(["x"])),
)
CONDITIONS = st.recursive(
    _FIELD_CONDITIONS,
    lambda inner: st.one_of(
        st.builds(AllOf, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(AnyOf, st.lists(inner, min_size=1, max_size=3).map(tuple)),
        st.builds(NotOf, inner),
    ),
    max_leaves=6,
)
TICKETS = st.builds(
    Ticket,
    desk=st.just("d"),
    key=st.just("T-1"),
    title=st.just("t"),
    created=st.just(datetime(2026, 1, 1, tzinfo=timezone.utc)),
    status=st.sampled_from(["open", "pending", "resolved"]),
    priority=st.sampled_from(["P1", "P2", "P3", None]),
    impact=st.sampled_from(["high", "low", None]),
    team=st.sampled_from(["x", None]),
    tags=st.frozensets(st.sampled_from(["a", "b"])),
    requester=st.builds(Requester, vip=st.booleans()),
)


@settings(max_examples=250, deadline=None)
@given(CONDITIONS, CONDITIONS, st.lists(TICKETS, min_size=1, max_size=8))
def test_exclusive_is_sound_against_the_engine(first, second, tickets):
    """Whenever the check says two matches exclude each other, the engine agrees."""
    if exclusive(first, second, SCALES):
        for ticket in tickets:
            assert not (
                matches(first, ticket, matrix=MATRIX) and matches(second, ticket, matrix=MATRIX)
            )


# --- hints ---------------------------------------------------------------------


def test_suggest_names_the_closest_then_the_choices_then_how_to_define():
    assert suggest("ofice", ["office", "emea"]) == "did you mean 'office'?"
    assert suggest("p1", ["P1", "P2"]) == "did you mean 'P1'?"
    assert suggest("zzz", ["P1", "P2"], "add it") == "known: P1, P2; or add it"
    assert suggest("zzz", [], "define a Team") == "define a Team"
    many = [f"name-{i}" for i in range(30)]
    assert suggest("zzz", many, "add it") == "add it"


def test_findings_come_sorted_by_position(tmp_path):
    docs = load_dir(BAD / "base", BAD / "unknown-team.yaml")
    policy, _ = build_policy(docs)
    findings = check_policy(policy, docs)
    positions = [(f.where.line, f.where.column) for f in findings]
    assert positions == sorted(positions) and len(findings) == 4


def test_a_duplicate_document_is_reported_once_not_checked_twice():
    docs = load_dir(BAD / "base")
    twice = docs + [d for d in docs if d.kind == "EscalationPath"]
    policy, _ = build_policy(twice)
    codes = [f.code for f in check_policy(policy, twice)]
    assert codes == ["duplicate-name"]


def test_the_example_desks_pass_their_connectors_option_parsers():
    from escalada.connectors.jira.options import JiraOptions
    from escalada.connectors.servicenow.options import parse_options

    policy, _ = build_policy(load_dir(EXAMPLE))
    assert JiraOptions.of(policy.desks["jira-prod"]).team_field == "customfield_10050"
    assert parse_options(policy.desks["servicenow-prod"]).table == "incident"


# --- no policy makes validation crash ----------------------------------------------


def _paths(data, path=()):
    yield path
    if isinstance(data, dict):
        for key, value in data.items():
            yield from _paths(value, (*path, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from _paths(value, (*path, i))


_ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-3, 10**6),
    st.sampled_from(
        [
            "",
            "x",
            "P9",
            "P1",
            "desk",
            "24x7",
            "0m",
            "1h",
            "mon-sun",
            "(",
            "next",
            "99% resolve",
            "0% respond",
            "25:00-26:00",
            "22:00-06:00",
            "UTC",
            "service-desk",
            "network-l2",
            "office",
            "compliance",
            "2026-02-30",
        ]
    ),
    st.lists(st.sampled_from(["P1", "P2", "outage", "08:00-12:00", "11:00-14:00"]), max_size=3),
    st.just({}),
    st.just({"field": "priority", "in": ["P1", "P7"]}),
)


def _mutated(data, path, draw):
    """`data` with the node at `path` replaced, dropped (in a mapping), or kept as
    another value of the same type."""
    if not path:
        if isinstance(data, dict) and data and draw(st.booleans()):
            drop = draw(st.sampled_from(list(data)))
            return {k: v for k, v in data.items() if k != drop}
        if isinstance(data, list) and draw(st.booleans()):
            return draw(st.sampled_from([[], data[:1], data[::-1], data + data[:1]]))
        return draw(_ANY_VALUE)
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        return {k: (_mutated(v, rest, draw) if k == head else v) for k, v in data.items()}
    return [(_mutated(v, rest, draw) if i == head else v) for i, v in enumerate(data)]


EXAMPLE_DOCS = load_dir(EXAMPLE)


@settings(max_examples=150, deadline=None)
@given(st.data())
def test_no_schema_valid_mutation_of_the_example_makes_build_or_checks_raise(data):
    """validate hands build and checks every document that passed the schema; no
    such policy may make them raise."""
    docs = list(EXAMPLE_DOCS)
    for _ in range(data.draw(st.integers(1, 4))):
        index = data.draw(st.integers(0, len(docs) - 1))
        doc = docs[index]
        spots = [p for p in _paths(doc.data) if p[:1] == ("spec",) or p == ("metadata", "name")]
        spot = data.draw(st.sampled_from(spots))
        docs[index] = replace(doc, data=_mutated(doc.data, spot, data.draw))
    # the schema's own verdict (not its error messages, which are the loader's business)
    docs = [doc for doc in docs if validator(str(doc.kind)).is_valid(doc.data)]
    policy, findings = build_policy(docs)
    findings += check_policy(policy, docs)
    assert all(f.code and f.message for f in findings)


def _reaches(edges, start, goal):
    seen, todo = set(), list(edges[start])
    while todo:
        node = todo.pop()
        if node == goal:
            return True
        if node not in seen:
            seen.add(node)
            todo.extend(edges[node])
    return False


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.sampled_from("abcdef"), st.lists(st.sampled_from("abcdef"), max_size=3)))
def test_components_group_exactly_the_paths_that_reach_each_other(graph):
    edges = {node: sorted(set(graph.get(node, ()))) for node in "abcdef"}
    component = _components(edges)
    for a in edges:
        for b in edges:
            if a != b:
                mutual = _reaches(edges, a, b) and _reaches(edges, b, a)
                assert (component[a] == component[b]) is mutual, (a, b, edges)


def test_the_installed_command_finds_the_example_clean_even_when_strict():
    import json
    import subprocess
    import sys

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "escalada",
            "validate",
            "--strict",
            "--format",
            "json",
            str(EXAMPLE),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    report = json.loads(done.stdout)
    assert (done.returncode, report["ok"], report["findings"]) == (0, True, [])
    assert report["documents"] >= 33
