"""`escalada sandbox seed` and `escalada sandbox show` as a user runs them: the seeded
tickets listed for people with their escalation state, bad input as one line, and the
installed command."""

from __future__ import annotations

import sqlite3
import subprocess
from datetime import datetime
from datetime import timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalada.cli import cli
from escalada.connectors.sandbox.connector import SandboxConnector
from escalada.policy.model import Desk
from escalada.ticket import Action
from escalada.ticket import EscalationState


def rows(path: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(path) as db:
        found = [tuple(row) for row in db.execute(sql)]
    db.close()
    return found


def connector(path: Path) -> SandboxConnector:
    return SandboxConnector(Desk(name="sandbox", type="sandbox", options={"path": str(path)}))


def test_seed_and_show_from_the_command_line(tmp_path: Path) -> None:
    db = str(tmp_path / "demo.sqlite")
    runner = CliRunner()
    seeded = runner.invoke(
        cli, ["sandbox", "seed", "--db", db, "--tickets", "12", "--now", "2026-11-23T10:00:00Z"]
    )
    assert seeded.exit_code == 0, seeded.output
    assert seeded.stdout.startswith(f"seeded 12 tickets into {db}: ")

    desk = connector(Path(db))
    ticket = next(t for t in desk.candidates() if t.key == "SB-1")
    since = datetime(2026, 11, 23, 10, 15, tzinfo=timezone.utc)
    state = EscalationState(path="data-protection", level=1, since=since)
    desk.apply(ticket, [Action("comment", "r"), Action("mark", "r", state=state)])
    desk.close()

    shown = runner.invoke(cli, ["sandbox", "show", "--db", db])
    assert shown.exit_code == 0, shown.output
    lines = shown.stdout.splitlines()
    assert lines[0].split() == [
        "KEY", "PRI", "STATUS", "TEAM", "VIP", "OPENED", "ESCALATION", "NOTES", "TITLE"
    ]  # fmt: skip
    sb1 = next(line for line in lines if line.startswith("SB-1 "))
    starts = [lines[0].index(name) for name in ("ESCALATION", "NOTES", "TITLE")]
    assert sb1[starts[0] : starts[1]].strip() == "data-protection L1 since 2026-11-23 10:15"
    assert sb1[starts[1] : starts[2]].strip() == "1"
    assert sb1[starts[2] :] == "Customer list emailed to the wrong recipient"
    assert lines[-1].endswith(f"tickets in {db}")

    everything = runner.invoke(cli, ["sandbox", "show", "--db", db, "--all"])
    assert len(everything.stdout.splitlines()) >= len(lines)
    config = runner.invoke(cli, ["sandbox", "show", "--db", db, "--config"])
    config_rows = [line.split() for line in config.stdout.splitlines()]
    assert ["group", "service-desk-emea", "desk", "{}"] in config_rows


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (["seed", "--now", "2026-11-23T10:00:00"], 2, "has no timezone: add Z or an offset"),
        (["seed", "--now", "monday"], 2, "'monday' is not a time"),
        (["seed", "--tickets", "0"], 2, "--tickets"),
        (["show", "--db", "missing.sqlite"], 1, "error: no sandbox at missing.sqlite (create"),
    ],
)
def test_bad_input_is_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], code: int, message: str
) -> None:
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["sandbox", *args])
    assert result.exit_code == code
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_seed_refuses_a_file_that_is_not_a_sandbox(tmp_path: Path) -> None:
    other = tmp_path / "inventory.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE inventory (item TEXT)")
    db.close()
    result = CliRunner().invoke(cli, ["sandbox", "seed", "--db", str(other)])
    assert result.exit_code == 1
    assert result.stderr.strip() == (
        f"error: {other} is an SQLite file but not an escalada sandbox (choose another --db path)"
    )
    assert rows(other, "SELECT count(*) FROM inventory") == [(0,)]


def test_the_installed_command_seeds_and_shows(tmp_path: Path, escalada_exe: str) -> None:
    def escalada(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [escalada_exe, "sandbox", *args],
            cwd=tmp_path,
            capture_output=True,
            text=True,
            timeout=60,
        )

    seeded = escalada("seed", "--tickets", "5", "--now", "2026-11-23T10:00:00Z")
    assert (seeded.returncode, seeded.stderr) == (0, "")
    assert seeded.stdout.startswith("seeded 5 tickets into .escalada/sandbox.sqlite: ")
    shown = escalada("show", "--all")
    assert shown.returncode == 0
    assert shown.stdout.splitlines()[-1] == "5 tickets in .escalada/sandbox.sqlite"
    missing = escalada("show", "--db", "nowhere.sqlite")
    assert missing.returncode == 1
    assert missing.stderr == (
        "error: no sandbox at nowhere.sqlite (create one with `escalada sandbox seed`, "
        "or pass --db)\n"
    )


def test_show_with_a_bad_row_shows_the_others_and_names_it(tmp_path: Path) -> None:
    db = str(tmp_path / "s.sqlite")
    runner = CliRunner()
    assert runner.invoke(cli, ["sandbox", "seed", "--db", db, "--tickets", "5"]).exit_code == 0
    conn = sqlite3.connect(db)
    first, second = (k for (k,) in conn.execute("SELECT key FROM tickets ORDER BY rowid LIMIT 2"))
    conn.execute("UPDATE tickets SET tags = 'x' WHERE key = ?", [first])
    conn.execute("UPDATE tickets SET created = 'soon' WHERE key = ?", [second])
    conn.commit()
    conn.close()
    shown = runner.invoke(cli, ["sandbox", "show", "--db", db, "--all"])
    assert shown.exit_code == 1
    assert shown.stdout.splitlines()[-1] == f"3 tickets in {db}"
    assert shown.stderr.splitlines() == [
        f"error: {first}: tags 'x' is not a JSON list",
        f"error: {second}: created 'soon' is not a time",
        f"error: 2 row(s) of {db} cannot be read (fix them, or re-create the file with "
        "`escalada sandbox seed`)",
    ]
