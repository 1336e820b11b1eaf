"""`escalada validate` against the policy as committed (`--base`, default HEAD): a path
that disappears while a new one with the same levels appears, without `moved_from`,
is a rename that would re-announce every ticket on it; it is warned about at the new
path's name. Outside git there is nothing to compare with: no warning, no error."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from escalada.cli import cli
from tests.paths import EXAMPLE

CODE = "rename-without-moved-from"


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout


def copy_policy(into: Path) -> Path:
    # the PolicyTests expect the path `standard` by name: leave them out of a rename
    return Path(shutil.copytree(EXAMPLE, into, ignore=shutil.ignore_patterns("tests")))


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    root = tmp_path / "repo"
    copy_policy(root / "policy")
    git(root, "init", "-q", "-b", "main")
    git(root, "add", ".")
    git(root, "commit", "-qm", "policy")
    return root


def rename(policy: Path, *, moved_from: bool = False) -> tuple[int, int]:
    """standard -> general in paths.yaml; the line and column of the new name."""
    paths = policy / "paths.yaml"
    text = paths.read_text(encoding="utf-8")
    new = "  name: general\n" + ("spec:\n  moved_from: [standard]\n" if moved_from else "spec:\n")
    text = text.replace("  name: standard\nspec:\n", new)
    paths.write_text(text, encoding="utf-8")
    line = text.splitlines().index("  name: general") + 1
    return line, len("  name: ") + 1


def findings(result) -> list[dict[str, Any]]:
    return [f for f in json.loads(result.stdout)["findings"] if f["code"] == CODE]


def test_a_rename_since_head_is_warned_at_the_new_name_with_the_fix(repo, monkeypatch):
    monkeypatch.chdir(repo)
    line, column = rename(repo / "policy")
    result = run("validate", "policy")
    assert result.exit_code == 0, result.output
    expected = (
        f"policy/paths.yaml:{line}:{column}: warning {CODE} path 'general' has the levels "
        "of 'standard', which HEAD has and this policy does not: a rename without "
        "`moved_from` announces every escalated ticket of 'standard' again"
    )
    assert expected in result.stdout
    assert "hint: add `moved_from: [standard]` to the spec of path 'general'" in result.stdout
    assert result.stdout.splitlines()[-1].endswith("0 errors, 1 warning")
    assert run("validate", "policy", "--strict").exit_code == 1
    (found,) = findings(run("validate", "policy", "--format", "json"))
    assert (found["severity"], found["line"], found["column"]) == ("warning", line, column)
    assert found["hint"] == "add `moved_from: [standard]` to the spec of path 'general'"


def test_moved_from_silences_it(repo, monkeypatch):
    monkeypatch.chdir(repo)
    rename(repo / "policy", moved_from=True)
    result = run("validate", "policy", "--strict")
    assert result.exit_code == 0, result.output
    assert CODE not in result.stdout


def test_a_committed_rename_is_seen_against_the_base_branch(repo, monkeypatch):
    # in CI the pull request's commit is HEAD: compare with the branch it merges into
    monkeypatch.chdir(repo)
    git(repo, "checkout", "-qb", "rename")
    rename(repo / "policy")
    git(repo, "commit", "-qam", "rename")
    assert CODE not in run("validate", "policy").stdout  # HEAD has the rename already
    result = run("validate", "policy", "--base", "main")
    assert f"warning {CODE} path 'general'" in result.stdout
    assert "which main has and this policy does not" in result.stdout
    assert CODE not in run("validate", "policy", "--base", "main", "--no-base").stdout


def test_a_path_whose_levels_changed_too_is_no_rename(repo, monkeypatch):
    monkeypatch.chdir(repo)
    rename(repo / "policy")
    paths = repo / "policy" / "paths.yaml"
    text = paths.read_text(encoding="utf-8")
    paths.write_text(text.replace("      after: 3d\n", "      after: 4d\n"), "utf-8")
    assert CODE not in run("validate", "policy", "--strict").stdout


def test_outside_git_there_is_no_warning_and_no_error(tmp_path, monkeypatch):
    policy = copy_policy(tmp_path / "policy")
    rename(policy)
    monkeypatch.chdir(tmp_path)
    result = run("validate", "policy", "--strict")
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_a_policy_new_in_this_commit_has_nothing_to_compare(repo, monkeypatch):
    monkeypatch.chdir(repo)
    copy_policy(repo / "other")
    rename(repo / "other")
    result = run("validate", "other", "--strict", "--base", "main")
    assert result.exit_code == 0, result.output


def test_a_base_that_is_no_revision_is_one_line_and_exit_1(repo, monkeypatch):
    monkeypatch.chdir(repo)
    result = run("validate", "policy", "--base", "origin/nowhere")
    assert result.exit_code == 1
    (line,) = [x for x in result.stderr.splitlines() if x.startswith("error")]
    assert "--base origin/nowhere" in line and "Traceback" not in result.stderr
    assert "fetch-depth: 0" in result.stderr


def test_a_base_outside_git_is_one_line_and_exit_1(tmp_path, monkeypatch):
    copy_policy(tmp_path / "policy")
    monkeypatch.chdir(tmp_path)
    result = run("validate", "policy", "--base", "main")
    assert result.exit_code == 1
    assert "not in a git repository" in result.stderr
