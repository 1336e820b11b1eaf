"""check_policy: the semantic checks. Every finding code has a bad policy in
tests/policy/bad/ that yields exactly the findings its `# expect:` lines name."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from escalada.policy.build import build_policy
from escalada.policy.checks import check_policy
from escalada.policy.documents import Document
from escalada.policy.documents import Finding
from tests.policy.test_build import _documents

ROOT = Path(__file__).resolve().parents[2]
BAD = Path(__file__).resolve().parent / "bad"
EXAMPLE = ROOT / "examples" / "policy"
_EXPECT = re.compile(r"^# expect: (?P<code>[a-z0-9-]+) (?P<line>\d+):(?P<column>\d+)$", re.M)


def load_dir(*paths: Path) -> list[Document]:
    """Documents of every .yaml file under the given directories and files."""
    docs: list[Document] = []
    for path in paths:
        for file in sorted(path.rglob("*.yaml")) if path.is_dir() else [path]:
            docs.extend(_documents(file.read_text(encoding="utf-8"), str(file)))
    return docs


def validate(docs: list[Document]) -> list[Finding]:
    policy, findings = build_policy(docs)
    return findings + check_policy(policy, docs)


def found(findings: list[Finding], file: Path | None = None) -> set[tuple[str, int, int]]:
    return {
        (f.code, f.where.line, f.where.column)
        for f in findings
        if file is None or f.where.file == str(file)
    }


CASES = sorted(p for p in BAD.glob("*.yaml"))


@pytest.mark.parametrize("case", CASES, ids=[p.stem for p in CASES])
def test_bad_policy_yields_exactly_its_expected_findings(case: Path):
    text = case.read_text(encoding="utf-8")
    expected = {(m["code"], int(m["line"]), int(m["column"])) for m in _EXPECT.finditer(text)}
    assert expected, f"{case.name} has no `# expect: CODE LINE:COL` lines"
    with_base = "# base: no" not in text
    findings = validate(load_dir(BAD / "base", case) if with_base else load_dir(case))
    assert found(findings) == expected, "\n".join(
        f"{f.where}: {f.severity} {f.code} {f.message} ({f.hint})" for f in findings
    )
    for finding in findings:
        assert finding.message and finding.hint, finding


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
