"""validate_paths: load -> schema -> build -> checks, findings sorted; load_policy
and its one-line refusal; the default policy path."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from escalada.errors import EscaladaError
from escalada.errors import PolicyInvalid
from escalada.policy.load.documents import Finding
from escalada.policy.load.documents import Severity
from escalada.policy.model import Policy
from escalada.policy.model import Where
from escalada.policy.validate import ValidationResult
from escalada.policy.validate import default_paths
from escalada.policy.validate import load_policy
from escalada.policy.validate import validate_paths
from tests.paths import EXAMPLE

HEAD = "apiVersion: escalada/v1\n"


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    """A copy of the example policy to break."""
    return Path(shutil.copytree(EXAMPLE, tmp_path / "policy"))


def test_the_example_policy_is_clean():
    result = validate_paths([str(EXAMPLE)])
    assert result.findings == ()
    assert result.ok() and result.ok(strict=True)
    assert result.files == len(list(EXAMPLE.rglob("*.yaml")))
    assert result.documents > 40
    assert isinstance(result.policy, Policy) and "critical-outage" in result.policy.paths


def test_loader_schema_and_semantic_findings_come_together_sorted(policy: Path):
    (policy / "b.yaml").write_text(
        HEAD + "kind: Team\nmetadata: {name: broken}\nspec: {notfy: [sd-leads]}\n"
    )
    (policy / "a.yaml").write_text("x: 1\nx: 2\n")
    (policy / "c.yaml").write_text(
        HEAD + "kind: EscalationPath\nmetadata: {name: ghost}\n"
        "spec:\n  match: {field: tags, contains: ghost}\n  levels: [{team: nobody}]\n"
    )
    result = validate_paths([str(policy)])
    found = [(Path(f.where.file).name, f.where.line, f.code) for f in result.findings]
    assert ("a.yaml", 2, "duplicate-key") in found
    assert ("b.yaml", 4, "schema") in found
    assert ("c.yaml", 6, "unknown-team") in found
    assert found == sorted(found, key=lambda item: (str(policy / item[0]), item[1]))
    assert not result.ok()
    # a document with a schema error never reaches the builder
    assert result.policy is not None and "broken" not in result.policy.teams


def test_name_findings_that_only_echo_a_dropped_document_are_held_back(policy: Path):
    text = (policy / "paths.yaml").read_text()
    (policy / "paths.yaml").write_text(text.replace("after: 15m", "after: 15 minutes", 1))
    result = validate_paths([str(policy)])
    # critical-outage is dropped: tests naming it, and teams only it names, are not reported
    assert [f.code for f in result.findings] == ["bad-duration"]
    assert result.held_back > 0


def test_findings_that_only_say_the_matrix_is_missing_are_held_back(policy: Path):
    text = (policy / "matrix.yaml").read_text()
    (policy / "matrix.yaml").write_text(text.replace("resolve_within:", "resolve_whitin:", 1))
    result = validate_paths([str(policy)])
    assert [f.code for f in result.findings] == ["schema"]
    assert "no-matrix" not in {f.code for f in result.findings} and result.held_back > 0


def test_real_reference_errors_elsewhere_are_still_reported(policy: Path):
    (policy / "broken.yaml").write_text(
        HEAD
        + "kind: Team\nmetadata: {name: broken}\nspec: {pager: 1}\n---\n"
        + HEAD
        + "kind: EscalationPath\nmetadata: {name: ghost}\n"
        "spec:\n  match: {field: tags, contains: ghost}\n  levels: [{team: nobody}]\n"
    )
    result = validate_paths([str(policy)])
    codes = [f.code for f in result.findings]
    assert codes[0] == "schema" and "unknown-team" in codes  # `nobody` is no dropped name
    assert result.held_back == 0


def test_load_policy_returns_the_policy():
    assert "default" == load_policy([str(EXAMPLE)]).matrix.name  # type: ignore[union-attr]


def test_load_policy_names_the_first_error_and_counts_the_rest(policy: Path):
    (policy / "paths.yaml").write_text(
        (policy / "paths.yaml").read_text().replace("after: 15m", "after: 15 minutes", 1)
    )
    (policy / "z.yaml").write_text("- not a mapping\n")
    with pytest.raises(PolicyInvalid) as caught:
        load_policy([str(policy)])
    error = caught.value
    line = next(
        n
        for n, text in enumerate((policy / "paths.yaml").read_text().splitlines(), 1)
        if "15 minutes" in text
    )
    assert error.where is not None
    assert error.where == f"{policy / 'paths.yaml'}:{line}:{error.where.rsplit(':', 1)[1]}"
    assert error.message.startswith("bad-duration `15 minutes` is not a duration")
    assert error.hint == f"and 1 more; run `escalada validate {policy}`"
    assert [f.code for f in error.findings] == ["bad-duration", "not-a-mapping"]
    assert isinstance(error, EscaladaError) and "\n" not in str(error)


def test_load_policy_with_one_error_gives_its_hint(policy: Path):
    (policy / "z.yaml").write_text("- not a mapping\n")
    with pytest.raises(PolicyInvalid) as caught:
        load_policy([str(policy)])
    assert caught.value.where == f"{policy / 'z.yaml'}:1:1"
    assert caught.value.hint is not None and "apiVersion: escalada/v1" in caught.value.hint


def test_warnings_alone_do_not_make_a_policy_invalid(policy: Path):
    (policy / "extra.yaml").write_text(
        HEAD + "kind: Channel\nmetadata: {name: nobody-listens}\n"
        "spec: {type: webhook, url: {env: HOOK}}\n"
    )
    result = validate_paths([str(policy)])
    assert result.errors == 0 and result.warnings >= 1
    assert result.ok() and not result.ok(strict=True)
    assert "nobody-listens" in load_policy([str(policy)]).channels


def test_ok_counts_errors_and_with_strict_warnings():
    def result(*severities: Severity) -> ValidationResult:
        findings = tuple(Finding(s, "x", Where("f", 1, 1), "m") for s in severities)
        return ValidationResult(("p",), 1, 1, findings)

    assert result().ok(strict=True)
    assert result("warning").ok() and not result("warning").ok(strict=True)
    assert not result("error").ok()
    assert (result("error", "warning").errors, result("error", "warning").warnings) == (1, 1)


def test_the_default_policy_path_is_dot_policy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    with pytest.raises(EscaladaError, match="no policy path given and ./policy does not exist"):
        default_paths([])
    (tmp_path / "policy").mkdir()
    assert default_paths([]) == ("policy",)
    assert default_paths(["x", "y"]) == ("x", "y")


def test_a_missing_path_is_a_user_error(tmp_path: Path):
    with pytest.raises(EscaladaError, match="no such file or directory"):
        validate_paths([str(tmp_path / "nope")])
