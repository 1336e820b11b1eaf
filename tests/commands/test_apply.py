"""`escalada apply` as a user runs it, on a sandbox desk (click's CliRunner): the
confirmation, dependency order, conflicts and --adopt, the plan digest, a failed write."""

from __future__ import annotations

import json
import re
import sqlite3

from tests.commands.sandbox_desk import CREATES
from tests.commands.sandbox_desk import config
from tests.commands.sandbox_desk import digest_of
from tests.commands.sandbox_desk import run


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


def test_apply_on_a_new_sandbox_creates_its_groups_and_exits_0(policy: str) -> None:
    """No groups on the desk: the embedded sandbox makes them (issue 12: it printed
    "Applied 11 of 11" and exited 1 with no line saying why)."""
    result = run("apply", "--policy", policy, "--auto-approve")
    assert result.exit_code == 0, result.stderr
    assert f"Applied {CREATES + 3} of {CREATES + 3} change(s)." in result.stdout
    assert run("plan", "--policy", policy, "--detailed-exitcode").exit_code == 0
