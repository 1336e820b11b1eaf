"""`escalada validate` as a user runs it: stdout, stderr and the exit code asserted
separately; the last tests run the installed command."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalada.cli import cli
from tests.paths import EXAMPLE

BAD = (
    "apiVersion: escalada/v1\nkind: Channel\nmetadata: {name: leads}\n"
    "spec: {type: slack, url: https://hooks.slack.com/T0/B0/s3cr3t}\n"
)
UNUSED = (
    "apiVersion: escalada/v1\nkind: Channel\nmetadata: {name: nobody-listens}\n"
    "spec: {type: webhook, url: {env: HOOK}}\n"
)


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def policy(tmp_path: Path) -> Path:
    return Path(shutil.copytree(EXAMPLE, tmp_path / "policy"))


def test_a_clean_policy_exits_0_with_one_summary_line():
    result = run("validate", str(EXAMPLE))
    assert result.exit_code == 0
    files = len(list(EXAMPLE.rglob("*.yaml")))
    assert re.fullmatch(
        rf"{re.escape(str(EXAMPLE))} ok: {files} files, \d+ documents, 0 errors, 0 warnings\n",
        result.stdout,
    )
    assert result.stderr == ""


def test_errors_exit_1_with_file_line_col_lines_on_stdout(policy: Path):
    (policy / "bad.yaml").write_text(BAD)
    result = run("validate", str(policy))
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    assert (
        lines[0] == f"{policy / 'bad.yaml'}:4:26: error literal-secret a literal secret in spec.url"
    )
    assert lines[1] == "    hint: write {env: NAME} or {file: PATH}; never commit a token"
    assert lines[-1].startswith(f"{policy} failed: ") and "1 error" in lines[-1]
    assert "s3cr3t" not in result.stdout
    assert result.stderr == ""


def test_json_format(policy: Path):
    (policy / "bad.yaml").write_text(BAD)
    result = run("validate", str(policy), "--format", "json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert set(data) == {"ok", "files", "documents", "findings"}
    assert data["ok"] is False
    assert [(f["code"], f["line"], f["column"]) for f in data["findings"]] == [
        ("literal-secret", 4, 26)
    ]


def test_github_format(policy: Path):
    (policy / "bad.yaml").write_text(BAD)
    result = run("validate", str(policy), "--format", "github")
    assert result.exit_code == 1
    assert result.stdout.startswith(
        f"::error file={policy / 'bad.yaml'},line=4,col=26,title=escalada literal-secret::"
        "literal-secret a literal secret in spec.url"
    )


def test_a_null_trigger_is_a_finding_not_an_internal_error(policy: Path):
    (policy / "null.yaml").write_text(
        "apiVersion: escalada/v1\nkind: EscalationPath\nmetadata: {name: nulls}\nspec:\n"
        "  match: {field: tags, contains: nulls}\n"
        "  levels: [{team: service-desk}, {team: network-l2, after: 1h}]\n"
        "  triggers: [null]\n"
    )
    result = run("validate", str(policy))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[0] == (
        f"{policy / 'null.yaml'}:7:14: error schema spec.triggers[0] must be a mapping, not null"
    )
    assert result.stderr == ""


def test_a_misspelt_desk_option_is_named_with_the_option_meant(policy: Path):
    desks = policy / "desks.yaml"
    text = desks.read_text()
    desks.write_text(
        text.replace("    table: incident\n", "    table: incident\n    page_sise: 500\n")
    )
    line = desks.read_text().splitlines().index("    page_sise: 500") + 1
    result = run("validate", str(policy))
    assert result.exit_code == 1
    assert result.stdout.splitlines()[:2] == [
        f"{desks}:{line}:5: error desk-option unknown key `page_sise` in spec.options",
        "    hint: did you mean `page_size`?",
    ]


def test_every_servicenow_option_the_connector_takes_validates(policy: Path):
    desks = policy / "desks.yaml"
    options = (
        "    table: incident\n    marker_field: u_escalada\n    page_size: 500\n"
        "    responded_field: u_responded_at\n"
        '    states: {"1": open, "2": open, "3": pending, "6": resolved, "7": closed}\n'
        "    tags_field: null\n    vip_field: caller_id.vip\n"
        "    organization_field: caller_id.company\n    user: escalada.integration\n"
    )
    text = desks.read_text()
    assert "    manage_priority_lookup: true\n" in text  # the example sets the tenth option
    desks.write_text(text.replace("    table: incident\n", options))
    result = run("validate", str(policy), "--strict")
    assert result.exit_code == 0, result.stdout


def imported_by(*args: str) -> set[str]:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "escalada", *args],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return {line.rsplit("|", 1)[-1].strip() for line in done.stderr.splitlines()}


def test_validate_never_imports_a_desk_client_library():
    imported = imported_by("validate", str(EXAMPLE))
    assert {"escalada.policy.validate", "escalada.connectors.registry"} <= imported
    assert {f"escalada.connectors.{desk}.options" for desk in ("jira", "zendesk")} <= imported
    assert not {m for m in imported if m.split(".")[0] in ("jira", "zenpy", "pysnc")}


def test_help_imports_no_command():
    """The CLI imports each command inside its body, and reads --format choices from
    the renderers' registries only when a command needs them."""
    imported = imported_by("--help")
    assert "escalada.cli" in imported
    ours = {m for m in imported if m.startswith("escalada.")}
    assert {m for m in ours if not m.startswith("escalada.cli.")} <= {
        "escalada.cli",
        "escalada.errors",
    }


def test_warnings_fail_only_with_strict(policy: Path):
    (policy / "extra.yaml").write_text(UNUSED)
    relaxed = run("validate", str(policy))
    assert relaxed.exit_code == 0 and " warning unused " in relaxed.stdout
    strict = run("validate", str(policy), "--strict")
    assert strict.exit_code == 1
    assert strict.stdout.splitlines()[-1].startswith(f"{policy} failed:")


def test_the_default_path_is_dot_policy(policy: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(policy.parent)
    result = run("validate")
    assert result.exit_code == 0
    assert result.stdout.startswith("policy ok: ")


def test_no_path_and_no_dot_policy_is_one_line_on_stderr(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = run("validate")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        "error: no policy path given and ./policy does not exist (pass the policy directory "
        "or files, e.g. `escalada validate path/to/policy`)\n"
    )


@pytest.mark.parametrize(
    ("args", "complaint"),
    [
        (["validate", "does/not/exist"], "does not exist"),
        (["validate", str(EXAMPLE), "--format", "xml"], "'xml' is not one of"),
    ],
)
def test_usage_errors_exit_2(args: list[str], complaint: str):
    result = run(*args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert complaint in result.stderr


def test_help_teaches_with_examples():
    result = run("validate", "--help")
    assert result.exit_code == 0
    assert "Examples:" in result.stdout and "escalada validate" in result.stdout


# --- the installed command ------------------------------------------------------


def test_the_installed_command_validates_and_exits_1_on_errors(policy: Path, escalada_exe: str):
    (policy / "bad.yaml").write_text(BAD)
    done = subprocess.run(
        [escalada_exe, "validate", str(policy)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    assert done.stdout.splitlines()[0].startswith(
        f"{policy / 'bad.yaml'}:4:26: error literal-secret"
    )
    assert done.stderr == ""


def test_a_credential_in_a_desk_url_is_a_literal_secret_never_echoed(
    policy: Path, escalada_exe: str
):
    """The installed command: `https://user:PW@host`, `?token=` in a desk's url are
    `literal-secret` at the url, and neither the password nor the token is printed
    (not by the https check either, for an http:// url with a password)."""
    desks = policy / "desks.yaml"
    text = desks.read_text(encoding="utf-8")
    text = text.replace("https://acme.atlassian.net", "https://bot:hunter2@acme.atlassian.net")
    text = text.replace("https://acme.service-now.com", "https://acme.service-now.com/?token=tok3n")
    text = text.replace("https://acme.zendesk.com", "http://bot:pa55@acme.zendesk.com")
    desks.write_text(text, encoding="utf-8")
    done = subprocess.run(
        [escalada_exe, "validate", str(policy)], capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 1
    found = [line for line in done.stdout.splitlines() if "literal-secret" in line]
    assert len(found) == 2, done.stdout
    assert found[0].startswith(f"{desks}:11:8: error literal-secret desk 'jira-prod': spec.url")
    assert "a user name and password" in found[0]
    assert "the query parameter token" in found[1]
    assert "{env: NAME}" in done.stdout
    assert "hunter2" not in done.stdout + done.stderr
    assert "tok3n" not in done.stdout + done.stderr
    assert "pa55" not in done.stdout + done.stderr
    assert "desk-url" in done.stdout
