"""The three renderings of a validation result, exactly."""

from __future__ import annotations

import json

from escalada.policy.check.report import REPORTERS
from escalada.policy.check.report import render_github
from escalada.policy.check.report import render_json
from escalada.policy.check.report import render_text
from escalada.policy.load.documents import Finding
from escalada.policy.model import Where
from escalada.policy.validate import ValidationResult

ERROR = Finding(
    "error",
    "schema",
    Where("policy/paths.yaml", 12, 7),
    "unknown key `resolve_whitin` in spec.priorities.P1",
    "did you mean `resolve_within`?",
)
WARNING = Finding("warning", "unused", Where("policy/teams.yaml", 3, 1), "Team 'x' is unused")
RESULT = ValidationResult(("policy/",), 12, 40, (ERROR, WARNING))
CLEAN = ValidationResult(("policy/",), 1, 1, ())


def test_text_is_file_line_col_severity_code_message_with_an_indented_hint_and_a_summary():
    assert render_text(RESULT, False) == (
        "policy/paths.yaml:12:7: error schema unknown key `resolve_whitin` in spec.priorities.P1\n"
        "    hint: did you mean `resolve_within`?\n"
        "policy/teams.yaml:3:1: warning unused Team 'x' is unused\n"
        "policy/ failed: 12 files, 40 documents, 1 error, 1 warning"
    )


def test_the_summary_says_ok_and_counts_in_the_singular_and_plural():
    assert render_text(CLEAN, False) == "policy/ ok: 1 file, 1 document, 0 errors, 0 warnings"
    warned = ValidationResult(("a.yaml", "b.yaml"), 2, 2, (WARNING,))
    assert render_text(warned, False).endswith(
        "a.yaml b.yaml ok: 2 files, 2 documents, 0 errors, 1 warning"
    )
    assert render_text(warned, True).endswith(
        "a.yaml b.yaml failed: 2 files, 2 documents, 0 errors, 1 warning"
    )


def test_the_summary_says_when_follow_on_findings_were_held_back():
    held = ValidationResult(("p",), 1, 1, (ERROR,), held_back=3)
    assert render_text(held, False).endswith(
        "p failed: 1 file, 1 document, 1 error, 0 warnings "
        "(3 follow-on findings about names held back until the schema errors are fixed)"
    )


def test_json_is_exactly_the_documented_shape():
    data = json.loads(render_json(RESULT, False))
    assert data == {
        "ok": False,
        "files": 12,
        "documents": 40,
        "findings": [
            {
                "severity": "error",
                "code": "schema",
                "file": "policy/paths.yaml",
                "line": 12,
                "column": 7,
                "message": "unknown key `resolve_whitin` in spec.priorities.P1",
                "hint": "did you mean `resolve_within`?",
            },
            {
                "severity": "warning",
                "code": "unused",
                "file": "policy/teams.yaml",
                "line": 3,
                "column": 1,
                "message": "Team 'x' is unused",
                "hint": None,
            },
        ],
    }
    assert json.loads(render_json(ValidationResult(("p",), 1, 1, (WARNING,)), True))["ok"] is False
    assert json.loads(render_json(CLEAN, True))["ok"] is True


def test_github_annotations_escape_data_and_properties():
    tricky = Finding("error", "schema", Where("a,b:c.yaml", 2, 3), "100% wrong\nreally", "fix: it")
    result = ValidationResult(("p",), 1, 1, (tricky, WARNING))
    assert render_github(result, False).splitlines() == [
        "::error file=a%2Cb%3Ac.yaml,line=2,col=3,title=escalada schema::"
        "schema 100%25 wrong%0Areally%0Ahint: fix: it",
        "::warning file=policy/teams.yaml,line=3,col=1,title=escalada unused::"
        "unused Team 'x' is unused",
        "p failed: 1 file, 1 document, 1 error, 1 warning",
    ]


def test_the_registry_names_the_formats():
    assert list(REPORTERS) == ["text", "json", "github"]
    assert REPORTERS["text"] is render_text
