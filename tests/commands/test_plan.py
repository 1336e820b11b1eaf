"""`escalada plan` as a user runs it, on a sandbox desk: click's CliRunner for
stdout, stderr and exit codes apart, and the installed `escalada` command in a subprocess;
and the policy repository's workflow that reads the plan."""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
import subprocess
from pathlib import Path

from tests.commands.sandbox_desk import CREATES
from tests.commands.sandbox_desk import DESK
from tests.commands.sandbox_desk import config
from tests.commands.sandbox_desk import digest_of
from tests.commands.sandbox_desk import run
from tests.paths import ROOT


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


def test_the_sandbox_creates_a_missing_group(policy: str, db: sqlite3.Connection) -> None:
    db.execute("DELETE FROM config WHERE name = 'network-l2'")
    result = run("plan", "--policy", policy, "--detailed-exitcode")
    assert result.exit_code == 2, result.stderr  # a change, not a problem (issue 12)
    assert "  + group/network-l2\n" in result.stdout
    assert run("apply", "--policy", policy, "--auto-approve").exit_code == 0
    assert run("plan", "--policy", policy, "--detailed-exitcode").exit_code == 0


def test_every_desk_is_planned_and_a_failing_one_says_why(
    policy: str, db: sqlite3.Connection, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.sqlite"
    broken.write_text("not a database", encoding="utf-8")
    desk = DESK.format(path=broken).replace("{name: sandbox}", "{name: broken}")
    (Path(policy) / "broken.yaml").write_text(desk, encoding="utf-8")
    result = run("plan", "--policy", policy, "--detailed-exitcode")
    assert result.exit_code == 1
    assert "desk sandbox (sandbox)\n  + priority/P1" in result.stdout  # the healthy desk
    assert "desk broken (sandbox)\n  ? cannot plan this desk: desk 'broken': open:" in (
        result.stdout
    )
    assert result.stderr == (
        "error: 1 problem(s) in the plan of broken (the `?` lines above): fix them, "
        "then plan again\n"
    )
    applied = run("apply", "--policy", policy, "--auto-approve")
    assert applied.exit_code == 1
    assert f"Applied {CREATES} of {CREATES} change(s)." in applied.stdout
    assert applied.stderr.startswith("error: 1 problem(s) in the plan of broken")


def test_an_unknown_desk_is_one_line(policy: str, db: sqlite3.Connection) -> None:
    result = run("plan", "--policy", policy, "--desk", "nope")
    assert result.exit_code == 1
    assert result.stderr == "error: no Desk named nope in the policy (known desks: sandbox)\n"


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


def test_plan_warns_of_a_path_renamed_since_head_without_moved_from(
    policy: str, db: sqlite3.Connection
) -> None:
    def git(*args: str) -> None:
        subprocess.run(
            ["git", "-C", policy, "-c", "user.name=t", "-c", "user.email=t@t", *args],
            check=True,
            capture_output=True,
        )

    git("init", "-q", "-b", "main")
    git("add", ".")
    git("commit", "-qm", "policy")
    (file,) = Path(policy).glob("*.yaml")
    file.write_text(file.read_text().replace("{name: standard}", "{name: general}"))
    result = run("plan", "--policy", policy)
    assert result.exit_code == 0, result.output
    (warning,) = result.stderr.splitlines()
    assert warning.startswith(f"{file}:")
    assert "warning rename-without-moved-from path 'general' has the levels of 'standard'" in (
        warning
    )
    assert warning.endswith("(hint: add `moved_from: [standard]` to the spec of path 'general')")
    file.write_text(
        file.read_text().replace(
            "spec:\n  precedence: 0", "spec:\n  moved_from: [standard]\n  precedence: 0"
        )
    )
    assert run("plan", "--policy", policy).stderr == ""


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


def test_plan_on_a_sandbox_not_created_yet_writes_nothing(policy: str, db_path: Path) -> None:
    """plan is documented as writing nothing: no folder, no SQLite file (issue 12)."""
    result = run("plan", "--policy", policy, "--detailed-exitcode")
    assert result.exit_code == 2, result.stderr
    assert not db_path.parent.exists()
    checked = run("desks", "check", "--policy", policy)  # 1: no priorities or groups yet
    assert "not created yet" in checked.stdout
    assert not db_path.parent.exists()
