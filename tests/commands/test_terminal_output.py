"""Ticket text reaches no terminal raw: the installed command's `sandbox show`,
`run --dry-run` and `explain` show escape sequences (ANSI CSI, OSC 8 links) and
line breaks in a ticket's title as escapes, so a title cannot colour, link or
forge a line of escalada's output. JSON output stays exact (JSON escapes)."""

from __future__ import annotations

import json
import shutil
import sqlite3
import subprocess
from pathlib import Path

import pytest

from tests.paths import EXAMPLE

HOSTILE = (
    "Printer \x1b[31mRED\x1b[0m \x1b]8;;https://evil.example\x1b\\click here\x1b]8;;\x1b\\"
    "\nSB-99  P1   open     forged line\r\u202eevil"
)


def unsafe(text: str) -> list[str]:
    return [c for c in ("\x1b", "\r", "\u202e", "forged line\n") if c in text] + [
        line for line in text.splitlines() if line.startswith("SB-99")
    ]


@pytest.fixture
def sandbox(tmp_path: Path, escalada_exe: str) -> Path:
    """A seeded sandbox whose first ticket has a hostile title, and the policy."""
    shutil.copytree(EXAMPLE, tmp_path / "policy")
    subprocess.run(
        [escalada_exe, "sandbox", "seed", "--now", "2026-11-23T10:00:00Z"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        timeout=60,
    )
    db = sqlite3.connect(tmp_path / ".escalada" / "sandbox.sqlite")
    db.execute("UPDATE tickets SET title = ? WHERE key = 'SB-1'", [HOSTILE])
    db.commit()
    db.close()
    return tmp_path


def escalada(exe: str, folder: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, *args], cwd=folder, capture_output=True, text=True, timeout=120, env={"PATH": ""}
    )


def test_sandbox_show(sandbox: Path, escalada_exe: str) -> None:
    done = escalada(escalada_exe, sandbox, "sandbox", "show")
    assert done.returncode == 0, done.stderr
    assert unsafe(done.stdout) == []
    (row,) = [line for line in done.stdout.splitlines() if line.startswith("SB-1 ")]
    assert "Printer \\x1b[31mRED" in row and "\\nSB-99" in row and "\\u202eevil" in row


def test_run_dry_run(sandbox: Path, escalada_exe: str) -> None:
    done = escalada(
        escalada_exe,
        sandbox,
        "run",
        "--once",
        "--dry-run",
        "--desk",
        "sandbox",
        "--policy",
        "policy",
    )
    assert "sandbox SB-1:" in done.stdout, done.stdout + done.stderr
    assert "Printer \\x1b[31mRED" in done.stdout
    assert unsafe(done.stdout) == [] and unsafe(done.stderr) == []


def test_run_dry_run_json_keeps_the_text_exact(sandbox: Path, escalada_exe: str) -> None:
    done = escalada(
        escalada_exe,
        sandbox,
        "run",
        "--once",
        "--dry-run",
        "--desk",
        "sandbox",
        "--policy",
        "policy",
        "--log-format",
        "json",
    )
    assert "\x1b" not in done.stdout  # JSON escapes it
    reasons = [
        action["reason"]
        for line in done.stdout.splitlines()
        if line.startswith("{") and json.loads(line).get("ticket") == "SB-1"
        for action in json.loads(line).get("actions", [])
    ]
    assert any(HOSTILE in reason for reason in reasons), done.stdout


def test_explain(tmp_path: Path, escalada_exe: str) -> None:
    ticket = tmp_path / "ticket.json"
    ticket.write_text(
        json.dumps(
            {
                "key": "SD-1\x1b[2J",
                "title": HOSTILE,
                "priority": "P1",
                "created": "2026-11-23T09:00:00Z",
            }
        ),
        encoding="utf-8",
    )
    done = escalada(
        escalada_exe,
        tmp_path,
        "explain",
        str(ticket),
        "--policy",
        str(EXAMPLE),
        "--at",
        "2026-11-23T12:00:00Z",
    )
    assert done.returncode == 0, done.stderr
    assert unsafe(done.stdout) == []
    assert done.stdout.startswith('SD-1\\x1b[2J "Printer \\x1b[31mRED')
    shown = escalada(
        escalada_exe,
        tmp_path,
        "explain",
        str(ticket),
        "--policy",
        str(EXAMPLE),
        "--at",
        "2026-11-23T12:00:00Z",
        "--format",
        "json",
    )
    assert json.loads(shown.stdout)["ticket"] == "SD-1\x1b[2J"  # exact: JSON escapes it
    assert "\x1b" not in shown.stdout
