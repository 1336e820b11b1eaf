"""`escalada tickets export` on the sandbox, and its file fed to `simulate` (the
export -> simulate round trip)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from escalada.cli import cli
from escalada.ticket_file import read_tickets
from tests.paths import ROOT


def run(*args: object) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def test_export_then_simulate_round_trips_on_the_sandbox(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "examples" / "policy", "policy", ignore=shutil.ignore_patterns("tests"))
    code, out = run("sandbox", "seed", "--tickets", "60", "--now", "2026-11-23T12:00:00Z")
    assert code == 0, out
    code, out = run("tickets", "export", "--desk", "sandbox", "--output", "t.jsonl")
    assert code == 0, out
    assert out.startswith("exported 60 ticket(s) of sandbox to t.jsonl")
    tickets = read_tickets("t.jsonl")
    assert len(tickets) == 60 and all(t.status_history for t in tickets)
    assert all(t.status_history[-1].status == t.status for t in tickets)
    # the file is the normalized shape only: no desk credentials, no internal flags
    for line in Path("t.jsonl").read_text(encoding="utf-8").splitlines():
        assert "partial" not in json.loads(line)
    code, out = run(
        "simulate", "--policy", "policy", "--baseline", "policy", "--tickets", "t.jsonl",
        "--at", "2026-11-23T12:00:00Z", "--from", "2026-11-20T00:00:00Z",
        "--detailed-exitcode", "--format", "json",
    )  # fmt: skip
    assert code == 0, out
    assert json.loads(out)["tickets"] == 60
    # straight from the desk: the same figures as from the file
    code, direct = run(
        "simulate", "--policy", "policy", "--baseline", "policy", "--desk", "sandbox",
        "--at", "2026-11-23T12:00:00Z", "--from", "2026-11-20T00:00:00Z", "--format", "json",
    )  # fmt: skip
    assert code == 0, direct
    assert json.loads(direct)["summary"] == json.loads(out)["summary"]


def test_export_to_stdout_and_open_only(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "examples" / "policy", "policy", ignore=shutil.ignore_patterns("tests"))
    run("sandbox", "seed", "--tickets", "30", "--now", "2026-11-23T12:00:00Z")
    code, out = run("tickets", "export", "--desk", "sandbox", "--open-only")
    assert code == 0
    lines = [json.loads(line) for line in out.splitlines()]
    assert lines and all(line["status"] in ("open", "pending") for line in lines)


def test_an_unknown_desk_is_one_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "examples" / "policy", "policy", ignore=shutil.ignore_patterns("tests"))
    code, out = run("tickets", "export", "--desk", "nope")
    assert code == 1
    assert out.strip().splitlines() == [out.strip()]
    assert "no Desk named nope" in out


def test_export_leaves_out_a_bad_row_with_one_warning(tmp_path, monkeypatch, caplog):
    import sqlite3

    monkeypatch.chdir(tmp_path)
    shutil.copytree(ROOT / "examples" / "policy", "policy", ignore=shutil.ignore_patterns("tests"))
    run("sandbox", "seed", "--tickets", "10", "--now", "2026-11-23T12:00:00Z")
    db = sqlite3.connect(".escalada/sandbox.sqlite")
    (key,) = db.execute("SELECT key FROM tickets WHERE status = 'open' LIMIT 1").fetchone()
    db.execute("UPDATE tickets SET created = 'soon' WHERE key = ?", [key])
    db.commit()
    db.close()
    code, out = run("tickets", "export", "--desk", "sandbox", "--output", "t.jsonl")
    assert code == 0, out
    assert len(read_tickets("t.jsonl")) == 9
    (warning,) = [r.getMessage() for r in caplog.records if r.levelname == "WARNING"]
    assert warning.startswith(f"desk 'sandbox': ticket {key}: created 'soon': not an ISO-8601")
