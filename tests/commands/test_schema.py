"""`escalada schema` as a user runs it (CliRunner), and the installed command."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from click.testing import CliRunner
from click.testing import Result

from escalada.cli import cli
from escalada.policy.model import KINDS


def run(*args: str) -> Result:
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_schema_without_a_kind_prints_the_combined_schema():
    result = run("schema")
    assert result.exit_code == 0 and result.stderr == ""
    schema = json.loads(result.stdout)
    assert schema["$id"] == "https://escalada.dev/schemas/v1/policy.json"
    assert set(KINDS) <= set(schema["$defs"])


def test_schema_of_one_kind_case_insensitively():
    result = run("schema", "escalationpath")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["$id"] == "https://escalada.dev/schemas/v1/EscalationPath.json"


def test_an_unknown_kind_is_a_usage_error() -> None:
    result = run("schema", "Pod")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "'Pod' is not one of" in result.stderr


def test_help_teaches_with_examples() -> None:
    result = run("schema", "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and "escalada schema" in result.stdout


def test_the_installed_command_prints_a_schema_editors_can_use(tmp_path: Path, escalada_exe: str):
    done = subprocess.run(
        [escalada_exe, "schema"], capture_output=True, text=True, timeout=120, cwd=tmp_path
    )
    assert done.returncode == 0
    assert json.loads(done.stdout)["title"] == "escalada policy document"
