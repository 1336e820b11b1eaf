"""`escalada test` as a user runs it: click's CliRunner, and the installed `escalada`
command in a subprocess (the runner itself: tests/engine/test_policytests.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from click.testing import CliRunner

from escalada.cli import cli
from tests.paths import ROOT

EXAMPLE = ROOT / "examples" / "policy"


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_test_runs_the_example_policy_tests() -> None:
    code, out, _ = invoke("test", str(EXAMPLE))
    assert code == 0
    assert out.splitlines()[-1].endswith(" passed, 0 failed")
    assert int(out.split()[0]) >= 15


def test_test_reports_a_failure_with_file_and_line(tmp_path: Path) -> None:
    policy = tmp_path / "policy"
    shutil.copytree(EXAMPLE, policy)
    broken = policy / "tests" / "broken.yaml"
    broken.write_text(
        "# a test that expects the wrong level\n"
        "apiVersion: escalada/v1\n"
        "kind: PolicyTest\n"
        "metadata: {name: wrong-level}\n"
        "spec:\n"
        "  at: 2026-11-23T10:00:00Z\n"
        "  ticket: {key: T-9, priority: P1, created: 2026-11-23T09:40:00Z, tags: [outage]}\n"
        "  expect: {level: 3, actions: [comment]}\n",
        encoding="utf-8",
    )
    code, out, _ = invoke("test", str(policy))
    assert code == 1
    lines = out.splitlines()
    assert f"{broken}:2:1: test wrong-level: level: expected 3, got 1" in lines
    got = "got [assign, comment, notify]"
    assert f"{broken}:2:1: test wrong-level: actions: expected [comment], {got}" in lines
    assert lines[-1].endswith(" passed, 1 failed")


def test_test_with_an_invalid_policy_fails_with_its_findings(tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text("apiVersion: escalada/v1\nkind: Nope\n", encoding="utf-8")
    code, _, err = invoke("test", str(tmp_path))
    assert code == 1
    assert err.startswith("error: ")


def test_help_teaches() -> None:
    code, out, _ = invoke("test", "--help")
    assert code == 0
    assert "Examples:" in out


def test_the_installed_command_runs_the_example_policy_tests(escalada_exe: str) -> None:
    tested = subprocess.run(
        [escalada_exe, "test", str(EXAMPLE)],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert tested.returncode == 0, tested.stderr
    assert tested.stdout.splitlines()[-1].endswith("0 failed")


def test_a_policy_without_tests_is_said_so_and_fails_with_strict(tmp_path: Path) -> None:
    """Once: `0 passed, 0 failed`, exit 0, and nothing else (issue 12)."""
    policy = Path(shutil.copytree(EXAMPLE, tmp_path / "policy"))
    shutil.rmtree(policy / "tests")
    code, out, err = invoke("test", str(policy))
    assert (code, out.strip()) == (0, "0 passed, 0 failed")
    assert err.startswith("warning: no PolicyTest documents in ")
    code, _, err = invoke("test", str(policy), "--strict")
    assert code == 1 and err.startswith("error: no PolicyTest documents in ")
    assert invoke("test", str(EXAMPLE), "--strict")[0] == 0
