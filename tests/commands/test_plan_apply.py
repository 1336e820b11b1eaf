"""`escalada plan` and `escalada apply` as a user runs them, on a sandbox desk:
click's CliRunner for stdout, stderr and exit codes apart, and the installed
`escalada` command in a subprocess."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from click.testing import Result

from escalada.cli import cli
from escalada.connectors.sandbox.store import open_db
from tests.paths import ROOT
from tests.reconcile.rigs import POLICY

DESK = """\
---
apiVersion: escalada/v1
kind: Desk
metadata: {{name: sandbox}}
spec:
  type: sandbox
  options: {{path: "{path}"}}
"""
GROUPS = ("service-desk", "network-l2", "it-management")
CREATES = 11  # 4 priorities, 3 schedules (24x7, office, support), 4 SLAs


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "desk" / "sandbox.sqlite"


@pytest.fixture
def policy(tmp_path: Path, db_path: Path) -> str:
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "policy.yaml").write_text(POLICY + DESK.format(path=db_path), encoding="utf-8")
    return str(folder)


@pytest.fixture
def db(db_path: Path) -> Iterator[sqlite3.Connection]:
    conn = open_db(db_path)
    conn.executemany("INSERT INTO config (kind, name) VALUES ('group', ?)", [(g,) for g in GROUPS])
    yield conn
    conn.close()


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def config(db: sqlite3.Connection) -> list[tuple[str, str, int]]:
    rows = db.execute("SELECT kind, name, managed FROM config WHERE kind != 'group' ORDER BY id")
    return [tuple(row) for row in rows]


def digest_of(policy: str) -> str:
    data = json.loads(run("plan", "--policy", policy, "--format", "json").stdout)
    return str(data["digest"])


# --- plan ---------------------------------------------------------------------------


def test_plan_text_lists_creates_with_their_fields_and_the_digest(
    policy: str, db: sqlite3.Connection
) -> None:
    result = run("plan", "--policy", policy)
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert out.startswith("desk sandbox (sandbox)\n  + priority/P1\n")
    assert '  + schedule/office\n      holidays: {"country": "SE"' in out
    assert '  + sla/P2\n      calendar: "office"\n' in out
    assert f"Plan: {CREATES} to create, 0 to update, 0 to delete, 0 conflict(s)." in out
    assert re.search(r"^Plan digest: [0-9a-f]{16} \(apply exactly this plan", out, re.M)
    assert result.stderr == ""
    assert config(db) == []  # planning writes nothing


def test_plan_markdown_and_json_carry_the_same_digest(policy: str, db: sqlite3.Connection) -> None:
    markdown = run("plan", "--policy", policy, "--format", "markdown")
    data = json.loads(run("plan", "--policy", policy, "--format", "json").stdout)
    assert markdown.exit_code == 0
    text = markdown.stdout
    assert text.startswith("## escalada plan\n\nPlan: 11 to create,")
    assert "### `sandbox` (sandbox)\n\n```diff\n+ priority/P1\n" in text
    assert text.rstrip().endswith(f"<sub>plan digest `{data['digest']}`</sub>")
    assert data["changes"] is True
    assert data["summary"] == {"create": CREATES, "update": 0, "delete": 0, "conflict": 0}
    (desk,) = data["desks"]
    assert desk["desk"] == "sandbox" and desk["problems"] == []
    sla = next(c for c in desk["changes"] if c["name"] == "P2" and c["kind"] == "sla")
    assert sla["op"] == "create"
    assert sla["fields"]["respond_minutes"] == {"from": None, "to": 60}


def test_detailed_exitcode_is_2_with_changes_and_0_without(
    policy: str, db: sqlite3.Connection
) -> None:
    assert run("plan", "--policy", policy).exit_code == 0
    assert run("plan", "--policy", policy, "--detailed-exitcode").exit_code == 2
    assert run("apply", "--policy", policy, "--auto-approve").exit_code == 0
    result = run("plan", "--policy", policy, "--detailed-exitcode")
    assert result.exit_code == 0
    assert result.stdout == (
        "desk sandbox (sandbox)\n  no changes\nNo changes: every desk matches the policy.\n"
    )


def test_a_missing_group_is_a_problem_and_exit_1(policy: str, db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM config WHERE name = 'network-l2'")
    result = run("plan", "--policy", policy, "--detailed-exitcode")
    assert result.exit_code == 1
    assert "  ? group/network-l2: not found on the desk" in result.stdout


def test_an_unknown_desk_is_one_line(policy: str, db: sqlite3.Connection) -> None:
    result = run("plan", "--policy", policy, "--desk", "nope")
    assert result.exit_code == 1
    assert result.stderr == "error: no Desk named nope in the policy (known desks: sandbox)\n"


# --- apply --------------------------------------------------------------------------


def test_apply_declined_writes_nothing(policy: str, db: sqlite3.Connection) -> None:
    result = run("apply", "--policy", policy, input="n\n")
    assert result.exit_code == 1
    assert f"Apply these {CREATES} change(s)? [y/N]: n\nNothing applied.\n" in result.stdout
    assert config(db) == []


def test_apply_accepted_writes_in_dependency_order(policy: str, db: sqlite3.Connection) -> None:
    result = run("apply", "--policy", policy, input="y\n")
    assert result.exit_code == 0, result.output
    done = re.findall(r"^sandbox: create (\S+): done$", result.stdout, re.M)
    assert len(done) == CREATES
    assert done.index("schedule/office") < done.index("sla/P2")
    assert done.index("priority/P2") < done.index("sla/P2")
    assert result.stdout.endswith(f"Applied {CREATES} of {CREATES} change(s).\n")
    assert {(kind, managed) for kind, _, managed in config(db)} == {
        ("priority", 1),
        ("schedule", 1),
        ("sla", 1),
    }
    again = run("apply", "--policy", policy)
    assert again.exit_code == 0
    assert again.stdout.endswith("No changes: every desk matches the policy.\nNothing to apply.\n")


def test_auto_approve_does_not_ask(policy: str, db: sqlite3.Connection) -> None:
    result = run("apply", "--policy", policy, "--auto-approve")
    assert result.exit_code == 0
    assert "Apply these" not in result.stdout
    assert len(config(db)) == CREATES


def test_a_conflict_is_left_alone_until_adopted(policy: str, db: sqlite3.Connection) -> None:
    db.execute(
        "INSERT INTO config (kind, name, attrs, managed) VALUES ('schedule', 'office', ?, 0)",
        [json.dumps({"timezone": "UTC"})],
    )
    planned = run("plan", "--policy", policy)
    assert (
        "  ! schedule/office: an object with this name exists but escalada does not manage it; "
        "adopt it with --adopt 'office', or rename it in the desk\n"
    ) in planned.stdout
    assert (
        "# sla/P2 uses schedule/office, which escalada does not manage: it stays as the desk "
        "has it until adopted"
    ) in planned.stdout
    applied = run("apply", "--policy", policy, "--auto-approve")
    assert applied.exit_code == 0
    assert "1 conflict(s) left alone (see --adopt)." in applied.stdout
    row = db.execute("SELECT attrs, managed FROM config WHERE name = 'office'").fetchone()
    assert tuple(row) == ('{"timezone": "UTC"}', 0)
    assert run("plan", "--policy", policy, "--detailed-exitcode").exit_code == 2  # still there

    adopting = run("plan", "--policy", policy, "--adopt", "office")
    assert (
        "  ~ schedule/office  (adopted: escalada will manage it from now on)\n" in adopting.stdout
    )
    assert '      timezone: "UTC" -> "Europe/Stockholm"\n' in adopting.stdout
    adopted = run("apply", "--policy", policy, "--adopt", "schedule/office", "--auto-approve")
    assert adopted.exit_code == 0
    assert "sandbox: update schedule/office: done" in adopted.stdout
    row = db.execute("SELECT attrs, managed FROM config WHERE name = 'office'").fetchone()
    assert row["managed"] == 1 and json.loads(row["attrs"])["timezone"] == "Europe/Stockholm"
    assert run("plan", "--policy", policy, "--detailed-exitcode").exit_code == 0


def test_an_adopt_name_that_matches_nothing_is_a_warning(
    policy: str, db: sqlite3.Connection
) -> None:
    result = run("plan", "--policy", policy, "--adopt", "ofice")
    assert result.exit_code == 0
    assert result.stderr.startswith("warning: --adopt ofice: no unmanaged object of that name")


def test_plan_digest_guards_the_reviewed_plan(policy: str, db: sqlite3.Connection) -> None:
    run("apply", "--policy", policy, "--auto-approve")
    db.execute(
        "UPDATE config SET attrs = json_set(attrs, '$.respond_minutes', 30) "
        "WHERE kind = 'sla' AND name = 'P2'"
    )
    reviewed = digest_of(policy)
    # Someone edits the desk again between the review and the merge.
    db.execute(
        "UPDATE config SET attrs = json_set(attrs, '$.resolve_minutes', 1) "
        "WHERE kind = 'sla' AND name = 'P3'"
    )
    before = db.execute("SELECT attrs FROM config ORDER BY id").fetchall()
    refused = run("apply", "--policy", policy, "--auto-approve", "--plan-digest", reviewed)
    assert refused.exit_code == 1
    assert refused.stderr.startswith("error: the plan changed since it was reviewed (digest ")
    assert f"expected {reviewed}); nothing was applied" in refused.stderr
    assert "      resolve_minutes: 1 -> 4320\n" in refused.stdout  # the plan that was refused
    assert db.execute("SELECT attrs FROM config ORDER BY id").fetchall() == before

    current = digest_of(policy)
    accepted = run("apply", "--policy", policy, "--auto-approve", "--plan-digest", current)
    assert accepted.exit_code == 0
    assert "Applied 2 of 2 change(s)." in accepted.stdout
    assert run("plan", "--policy", policy, "--detailed-exitcode").exit_code == 0


def test_a_failed_write_stops_apply_and_says_what_was_done(
    policy: str, db: sqlite3.Connection
) -> None:
    db.execute(
        "CREATE TRIGGER refuse BEFORE INSERT ON config WHEN NEW.kind = 'sla' AND NEW.name = 'P3' "
        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
    )
    result = run("apply", "--policy", policy, "--auto-approve")
    assert result.exit_code == 1
    assert "sandbox: create sla/P2: done\n" in result.stdout
    assert "sla/P3: done" not in result.stdout
    assert f"Applied 9 of {CREATES} change(s).\n" in result.stdout
    assert result.stderr.startswith(
        "sandbox: create sla/P3 failed: desk 'sandbox': create sla/P3: database or disk is full\n"
    )
    assert "Stopped there: the changes above it are done" in result.stderr
    db.execute("DROP TRIGGER refuse")
    rerun = run("apply", "--policy", policy, "--auto-approve")
    assert rerun.exit_code == 0
    assert "Plan: 2 to create, 0 to update" in rerun.stdout
    assert run("plan", "--policy", policy, "--detailed-exitcode").exit_code == 0


def test_help_teaches_by_example() -> None:
    for command in ("plan", "apply"):
        text = run(command, "--help").stdout
        assert "Examples:" in text and "--adopt NAME" in text
    assert "--plan-digest DIGEST" in run("apply", "--help").stdout


# --- the installed command ------------------------------------------------------------


def test_the_installed_escalada_plans_in_a_subprocess(
    policy: str, db: sqlite3.Connection, escalada_exe: str
) -> None:
    done = subprocess.run(
        [escalada_exe, "plan", "--policy", policy, "--detailed-exitcode", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr
    assert json.loads(done.stdout)["summary"]["create"] == CREATES
    assert done.stderr == ""


# --- the policy repository's workflow (deploy/github/escalada-policy.yml) --------------

WORKFLOW = ROOT / "deploy" / "github" / "escalada-policy.yml"


def test_the_workflow_reads_the_digest_the_markdown_plan_prints(
    policy: str, db: sqlite3.Connection
) -> None:
    """The apply-on-merge job finds the digest in the PR comment with sed."""
    text = WORKFLOW.read_text(encoding="utf-8")
    (expression,) = re.findall(r"sed -n '([^']+)'", text)
    comment = (
        "<!-- escalada-plan -->\n" + run("plan", "--policy", policy, "--format", "markdown").stdout
    )
    sed = shutil.which("sed")
    assert sed
    found = subprocess.run(
        [sed, "-n", expression], input=comment, capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == digest_of(policy)


def test_the_workflow_uses_options_the_commands_have() -> None:
    text = WORKFLOW.read_text(encoding="utf-8")
    calls = re.findall(r"escalada (plan|apply|validate|test)\b([^\n|>]*(?:\n\s+--[^\n]*)*)", text)
    assert {command for command, _ in calls} == {"plan", "apply", "validate", "test"}
    for command, rest in calls:
        helptext = run(command, "--help").stdout
        for option in re.findall(r"(--[a-z-]+)", rest):
            assert option in helptext, f"escalada {command} has no {option}"
