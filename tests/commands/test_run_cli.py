"""`escalada run` as a user runs it: through click's CliRunner (stdout, stderr and
the exit code apart), and the installed `escalada` command in a subprocess on a
sandbox desk. The clock is the real one here, so the policy runs on 24x7 and the
tickets are opened relative to now: the decisions do not depend on the day."""

from __future__ import annotations

import json
import logging
import os
import select
import signal
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import datetime
from datetime import timezone
from pathlib import Path

import pytest
import responses
from click.testing import CliRunner
from click.testing import Result

from escalada import logs
from escalada.cli import cli
from tests.runner_fixtures import sandbox_rows
from tests.runner_fixtures import seed_sandbox
from tests.runner_fixtures import webhooks
from tests.runner_fixtures import write_policy
from tests.test_metrics import parse_exposition


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    """`run` points escalada's logger at the CliRunner's stderr: put it back after."""
    logger = logging.getLogger("escalada")
    saved = (logger.handlers[:], logger.level, logger.propagate, logs.current_format())
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[:3]
    logs._configured["format"] = saved[3]


@pytest.fixture
def desk_file(tmp_path: Path) -> Path:
    path = tmp_path / "desk.sqlite"
    seed_sandbox(path, datetime.now(timezone.utc))
    return path


@pytest.fixture
def policy(tmp_path: Path, desk_file: Path) -> Path:
    return write_policy(tmp_path / "policy", {"sandbox": desk_file})


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    with webhooks(monkeypatch) as mock:
        yield mock


def invoke(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(cli, ["run", *args], env=env, catch_exceptions=False)


def test_once_writes_notifies_and_prints_the_summary(
    policy: Path, desk_file: Path, hooks: responses.RequestsMock, tmp_path: Path
) -> None:
    audit, metrics = tmp_path / "audit.jsonl", tmp_path / "metrics.prom"
    result = invoke(
        "--once", "--policy", str(policy), "--audit", str(audit), "--metrics", str(metrics)
    )
    assert result.exit_code == 0, result.stderr
    (line,) = result.stdout.splitlines()
    assert line.startswith("cycle ") and line.endswith("s")
    assert "1 desk(s), 4 tickets seen, 3 written, 0 errors, 6 API calls, " in line
    assert len(hooks.calls) == 5
    assert "INFO SB-1: sent to channel net (https://hooks.example.test/***)" in result.stderr
    assert "/net" not in result.stderr  # webhook URLs are secrets: host only
    records = [json.loads(x) for x in audit.read_text(encoding="utf-8").splitlines()]
    assert len(records) == 15  # per ticket: its desk actions, its messages, a clearing mark
    families = parse_exposition(metrics.read_text(encoding="utf-8"))
    assert families["escalada_tickets_escalated"]["samples"] == [
        ("escalada_tickets_escalated", {"desk": "sandbox"}, 3.0)
    ]
    again = invoke("--once", "--policy", str(policy))
    assert again.exit_code == 0 and ", 0 written, " in again.stdout
    assert len(hooks.calls) == 5


def test_json_logs_and_a_json_summary(policy: Path, hooks: responses.RequestsMock) -> None:
    result = invoke("--policy", str(policy), "--log-format", "json")
    assert result.exit_code == 0
    (summary,) = [json.loads(line) for line in result.stdout.splitlines()]
    assert summary["event"] == "cycle"
    assert (summary["seen"], summary["escalated"], summary["errors"]) == (4, 3, 0)
    # the read, one status-history read, three writes and one clearing for the chunk
    assert (summary["calls"], summary["notifications"]) == (6, 5)
    assert summary["message"].startswith("cycle ")
    logged = [json.loads(line) for line in result.stderr.splitlines()]
    assert logged and {"time", "level", "logger", "message"} <= set(logged[0])
    assert {entry["logger"] for entry in logged} <= {"escalada.notify", "escalada.runner"}


def test_json_logs_print_the_fatal_error_as_json_too(policy: Path, desk_file: Path) -> None:
    result = invoke("--policy", str(policy), "--desk", "nope", "--log-format", "json")
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    record = json.loads(line)  # not `error: ...` in the middle of a JSON log (issue 12)
    assert record["level"] == "error" and record["event"] == "fatal"
    assert record["exit_code"] == 1
    assert record["message"] == "no Desk named nope in the policy (known desks: sandbox)"


def test_dry_run_prints_decisions_only(
    policy: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    before = sandbox_rows(desk_file)
    result = invoke("--dry-run", "--policy", str(policy))
    assert result.exit_code == 0
    assert "sandbox SB-1: critical-outage level 1 (network-l2)" in result.stdout
    assert "  comment, mark, notify mgmt: " in result.stdout
    assert "3 would write" in result.stdout.splitlines()[-1]
    assert sandbox_rows(desk_file) == before and len(hooks.calls) == 0


def test_a_failed_desk_exits_1_and_the_others_run(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    broken = tmp_path / "broken.sqlite"
    broken.write_text("not a database", encoding="utf-8")
    policy = write_policy(tmp_path / "two", {"sandbox": desk_file, "broken": broken})
    result = invoke("--once", "--policy", str(policy))
    assert result.exit_code == 1
    assert "desk broken failed: desk 'broken': open:" in result.stdout
    assert "2 desk(s), 4 tickets seen, 3 written, 1 errors" in result.stdout
    assert "ERROR desk broken failed" in result.stderr


def test_a_malformed_row_is_one_tickets_error_and_exits_1(
    policy: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    db = sqlite3.connect(desk_file)
    db.execute("UPDATE tickets SET tags = 'not json' WHERE key = 'SB-2'")
    db.commit()
    db.close()
    result = invoke("--once", "--policy", str(policy))
    assert result.exit_code == 1  # a ticket failed (issue 12)
    assert "4 tickets seen, 2 written, 1 errors" in result.stdout
    (error,) = [line for line in result.stderr.splitlines() if line.startswith("ERROR")]
    assert error.startswith("ERROR desk 'sandbox': ticket SB-2: tags 'not json': not a JSON")
    assert "Traceback" not in result.stderr
    db = sqlite3.connect(desk_file)
    revisions = dict(db.execute("SELECT key, revision FROM tickets").fetchall())
    db.close()
    assert revisions == {"SB-1": 3, "SB-2": 1, "SB-3": 3, "SB-4": 1}  # the others were written


def test_a_run_in_which_every_write_fails_exits_1(
    policy: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    db = sqlite3.connect(desk_file)  # a desk that refuses every write (as root, chmod would not)
    db.execute(
        "CREATE TRIGGER refuse BEFORE UPDATE ON tickets BEGIN SELECT RAISE(ABORT, 'read-only'); END"
    )
    db.commit()
    db.close()
    result = invoke("--once", "--policy", str(policy))
    assert result.exit_code == 1
    assert "4 tickets seen, 0 written, 3 errors" in result.stdout
    assert "Traceback" not in result.stderr


def test_desk_selects_and_an_unknown_desk_is_one_line(
    policy: Path, hooks: responses.RequestsMock
) -> None:
    assert invoke("--policy", str(policy), "--desk", "sandbox").exit_code == 0
    result = invoke("--policy", str(policy), "--desk", "zendesk-prod")
    assert result.exit_code == 1
    assert result.stderr == (
        "error: no Desk named zendesk-prod in the policy (known desks: sandbox)\n"
    )


def test_shard_option_and_indexed_job_environment(
    policy: Path, hooks: responses.RequestsMock
) -> None:
    seen = []
    for index in range(2):
        result = invoke("--dry-run", "--policy", str(policy), "--shard", f"{index}/2")
        assert result.exit_code == 0
        seen.append(int(result.stdout.split(" tickets seen")[0].rsplit(" ", 1)[1]))
    assert sum(seen) == 4 and all(seen)
    env = {"JOB_COMPLETION_INDEX": "1", "ESCALADA_SHARD_COUNT": "2"}
    from_env = invoke("--dry-run", "--policy", str(policy), env=env)
    assert f" {seen[1]} tickets seen" in from_env.stdout
    # an explicit --shard wins over the environment
    explicit = invoke("--dry-run", "--policy", str(policy), "--shard", "0/2", env=env)
    assert f" {seen[0]} tickets seen" in explicit.stdout
    wrong = invoke("--policy", str(policy), env={**env, "ESCALADA_SHARD_COUNT": "1"})
    assert wrong.exit_code == 1
    assert wrong.stderr.startswith("error: JOB_COMPLETION_INDEX=1 and ESCALADA_SHARD_COUNT=1:")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--shard", "2/2"], "Invalid value for '--shard': '2/2' is not a shard"),
        (["--shard", "x"], "Invalid value for '--shard': 'x' is not a shard"),
        (["--interval", "soon"], "Invalid value for '--interval'"),
        (["--once", "--interval", "60s"], "choose one of --once and --interval"),
        (["--log-format", "xml"], "Invalid value for '--log-format'"),
    ],
)
def test_usage_errors_exit_2(policy: Path, args: list[str], message: str) -> None:
    result = invoke("--policy", str(policy), *args)
    assert result.exit_code == 2
    assert message in result.stderr


def test_an_invalid_policy_stops_the_run_with_its_findings(policy: Path, desk_file: Path) -> None:
    text = (policy / "policy.yaml").read_text(encoding="utf-8")
    text = text.replace("after: 15m", "after: soon").replace("after: 4h", "after: later")
    (policy / "policy.yaml").write_text(text, encoding="utf-8")
    before = sandbox_rows(desk_file)
    result = invoke("--once", "--policy", str(policy))
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    findings = [line for line in lines if line.startswith("ERROR ")]
    assert len(findings) >= 2
    assert all(f"{policy / 'policy.yaml'}:" in line for line in findings)
    assert lines[-1].startswith(f"error: {policy / 'policy.yaml'}:")
    assert sandbox_rows(desk_file) == before


def test_run_help_teaches(policy: Path) -> None:
    result = CliRunner().invoke(cli, ["run", "--help"])
    assert result.exit_code == 0
    for text in ("--once", "--interval", "--dry-run", "--shard", "JOB_COMPLETION_INDEX", "--audit"):
        assert text in result.stdout


# --- the installed command --------------------------------------------------------------


def child_env(tmp_path: Path) -> dict[str, str]:
    """The parent's environment without webhook URLs (no message can leave the machine:
    each send fails at once with the variable named) and with unbuffered output."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HOOK_")}
    env.update(PYTHONUNBUFFERED="1", HOME=str(tmp_path))
    return env


def test_installed_command_runs_twice_on_the_sandbox(
    policy: Path, tmp_path: Path, escalada_exe: str
) -> None:
    command = escalada_exe
    audit = tmp_path / "audit.jsonl"
    args = [command, "run", "--once", "--policy", str(policy), "--audit", str(audit)]
    first = subprocess.run(
        args, capture_output=True, text=True, env=child_env(tmp_path), timeout=120, check=False
    )
    assert first.returncode == 0, first.stderr
    assert "1 desk(s), 4 tickets seen, 3 written, 0 errors" in first.stdout
    assert "HOOK_NET" in first.stderr  # why the messages were not sent
    records = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    assert {r["result"].split(":")[0] for r in records if ":" in r["action"]} == {"not sent"}
    rows = sandbox_rows(tmp_path / "desk.sqlite")
    assert all("escalada-pending" in rows[k][1] for k in ("SB-1", "SB-2", "SB-3"))
    second = subprocess.run(
        args, capture_output=True, text=True, env=child_env(tmp_path), timeout=120, check=False
    )
    assert second.returncode == 0 and ", 0 written, " in second.stdout
    assert sandbox_rows(tmp_path / "desk.sqlite") == rows


def test_installed_command_stops_cleanly_on_sigterm(
    policy: Path, tmp_path: Path, escalada_exe: str
) -> None:
    command = escalada_exe
    child = subprocess.Popen(
        [command, "run", "--interval", "1h", "--policy", str(policy)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=child_env(tmp_path),
    )
    try:
        assert child.stdout is not None
        ready, _, _ = select.select([child.stdout], [], [], 60)  # never hang the suite
        assert ready, "no cycle summary within 60 s"
        first = child.stdout.readline()  # the first cycle is done; the loop now waits
        assert "4 tickets seen, 3 written" in first
        child.send_signal(signal.SIGTERM)
        out, err = child.communicate(timeout=60)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert child.returncode == 0, err
    assert "SIGTERM received: finishing the tickets in hand, then stopping" in err
    assert out == ""  # no second cycle
