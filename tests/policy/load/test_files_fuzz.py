"""Fuzzing the loader (and the schema check behind it): whatever the input,
the result is documents and findings with positions, never an exception."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from escalada.policy.check.schema import check_document
from escalada.policy.load.documents import Finding
from escalada.policy.load.files import load_file
from escalada.policy.load.files import load_text
from escalada.schemas.examples import EXAMPLES

LOADER_CODES = {
    "yaml-syntax",
    "duplicate-key",
    "unsafe-tag",
    "alias-limit",
    "too-deep",
    "not-a-mapping",
    "bad-key",
    "not-utf8",
    "file-too-large",
}
# the schema's codes: its own, and the semantic checks' codes for the mistakes both catch
SCHEMA_CODES = {
    "schema",
    "unknown-kind",
    "unknown-api-version",
    "literal-secret",
    "bad-duration",
    "bad-regex",
    "bad-date",
    "bad-hours",
    "bad-threshold",
    "duplicate-value",
    "duplicate-name",
    "unknown-field",
    "desk-option",
    "desk-url",
}

HANDWRITTEN = """\
apiVersion: escalada/v1
kind: EscalationPath
metadata: {name: p, labels: {a: b}}
defaults: &d {unless: resolved, actions: [comment, notify]}
spec:
  match: {any: [{field: priority, in: [P1]}, {not: {field: tags, contains: x}}]}
  levels:
    - team: desk
    - <<: *d
      team: l2
      after: 1h30m
  triggers:
    - {name: vip, if: {field: requester.vip, equals: yes}, goto: next, reason: "VIP: $key"}
---
apiVersion: escalada/v1
kind: Calendar
metadata: {name: office}
spec:
  timezone: Europe/Stockholm
  hours: {mon-fri: ["08:00-12:00", "13:00-17:00"], 'sat,sun': 10:00-14:00}
  holidays: {country: SE, dates: [2026-12-24]}
"""
SEEDS = [HANDWRITTEN] + [
    yaml.safe_dump(example, default_flow_style=flow, sort_keys=False)
    for example in EXAMPLES.values()
    for flow in (False, None)
]
SYNTAX = list(":-[]{},&*!|>'\"#%@`?<=~\n\t ") + ["<<", "---", "...", "\n  ", "*a", "&a ", "!!"]
PIECES = st.one_of(st.sampled_from(SYNTAX), st.text(max_size=4))


def assert_sane(findings: list[Finding], codes: set[str]) -> None:
    for finding in findings:
        assert finding.code in codes, finding
        assert finding.where.line >= 1 and finding.where.column >= 1, finding
        assert finding.message and finding.severity in ("error", "warning")


def load_and_check(text: str) -> None:
    documents, findings = load_text(text, "fuzz.yaml")
    assert_sane(findings, LOADER_CODES)
    for document in documents:
        assert isinstance(document.data, dict)
        assert document.where("spec", "levels", 0, "team").line >= 1
        assert_sane(check_document(document), SCHEMA_CODES)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_random_text_never_raises(text: str):
    load_and_check(text)


@settings(max_examples=400, deadline=None)
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(
        st.tuples(st.floats(0, 1), st.sampled_from(["insert", "delete", "replace"]), PIECES),
        min_size=1,
        max_size=6,
    ),
)
def test_mutations_of_valid_policies_never_raise(seed: str, edits: list[tuple[float, str, str]]):
    text = seed
    for where, operation, piece in edits:
        at = int(where * len(text))
        if operation == "insert":
            text = text[:at] + piece + text[at:]
        elif operation == "delete":
            text = text[:at] + text[at + len(piece) + 1 :]
        else:
            text = text[:at] + piece + text[at + len(piece) :]
    load_and_check(text)


@pytest.fixture(scope="module")
def scratch(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("fuzz") / "fuzz.yaml"


@settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=st.binary(max_size=300))
def test_random_bytes_from_a_file_never_raise(scratch: Path, data: bytes):
    scratch.write_bytes(data)
    documents, findings = load_file(str(scratch), max_file_bytes=200)
    assert_sane(findings, LOADER_CODES | {"unreadable"})
    if len(data) > 200:
        assert [f.code for f in findings] == ["file-too-large"]
