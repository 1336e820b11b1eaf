"""`escalada explain` as a user runs it: click's CliRunner for stdout, stderr and the
exit code apart, and the installed `escalada` command in a subprocess (the renderers
themselves: test_explain.py)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalada.cli import cli
from tests.paths import ROOT

EXAMPLE = ROOT / "examples" / "policy"

TICKET = """\
key: SD-123
title: VPN down for Stockholm office
priority: P1
impact: extensive
urgency: critical
created: 2026-11-23T09:00:00Z
tags: [outage, escalada-critical-outage-1, escalada-since-20261123t091500z]
requester: {organization: Acme AB}
"""


def invoke(*args: str, stdin: str | None = None) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def ticket(tmp_path: Path) -> str:
    path = tmp_path / "ticket.yaml"
    path.write_text(TICKET, encoding="utf-8")
    return str(path)


def test_explain_json_follows_the_contract(ticket: str) -> None:
    code, out, err = invoke(
        "explain",
        ticket,
        "--policy",
        str(EXAMPLE),
        "--at",
        "2026-11-23T11:05:00Z",
        "--format",
        "json",
    )
    assert (code, err) == (0, "")
    data = json.loads(out)
    assert list(data) == ["ticket", "priority", "path", "level", "team", "actions", "next"]
    assert (data["ticket"], data["priority"], data["path"], data["level"], data["team"]) == (
        "SD-123",
        "P1",
        "critical-outage",
        2,
        "senior-engineers",
    )
    assert [a["type"] for a in data["actions"]] == ["comment", "mark", "notify"]
    assert data["actions"][0]["reason"].startswith(
        "Escalated to level 2 (senior-engineers) on critical-outage: 50% of the 4h resolve "
        "target for P1 passed (2h05m business time elapsed, 1h55m left)."
    )
    assert data["next"] == {"level": 3, "at": "2026-11-23T12:00:00Z"}


def test_explain_text_is_a_timeline(ticket: str) -> None:
    code, out, _ = invoke(
        "explain", ticket, "--policy", str(EXAMPLE), "--at", "2026-11-23T11:05:00Z"
    )
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == 'SD-123 "VPN down for Stockholm office" at 2026-11-23 11:05Z'
    assert "  > due     L2 senior-engineers     11:00Z            50% of the 4h resolve" in out
    assert lines[-1] == "  next      L3 duty-managers at 2026-11-23 12:00Z (in 55m)"


def test_explain_reads_stdin() -> None:
    code, out, _ = invoke(
        "explain",
        "-",
        "--policy",
        str(EXAMPLE),
        "--at",
        "2026-11-23T11:05:00Z",
        "--format",
        "json",
        stdin='{"key": "J-1", "created": "2026-11-23T11:00:00Z", "priority": "P4"}',
    )
    assert code == 0
    assert json.loads(out)["path"] == "standard"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "key: X\ncreated: 2026-11-23 09:00\n",
            "ticket.yaml:2:1: ticket field 'created': '2026-11-23 09:00' has no UTC offset",
        ),
        (
            "key: X\ncreated: 2026-11-23T09:00:00Z\npriority: P7\n",
            "ticket.yaml:3:1: ticket field 'priority': 'P7' is not a priority the policy defines",
        ),
        (
            "key: X\ncreated: 2026-11-23T09:00:00Z\nassigned: me\n",
            "ticket.yaml:3:1: ticket field 'assigned': unknown field (did you mean 'assignee'?)",
        ),
    ],
)
def test_explain_bad_ticket_is_one_line_and_exit_1(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "ticket.yaml"
    path.write_text(text, encoding="utf-8")
    code, out, err = invoke(
        "explain", str(path), "--policy", str(EXAMPLE), "--at", "2026-11-23T11:05:00Z"
    )
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and err.startswith("error: ")
    assert message in err


def test_explain_at_without_offset_is_a_usage_error(ticket: str) -> None:
    code, _, err = invoke("explain", ticket, "--policy", str(EXAMPLE), "--at", "2026-11-23T11:05")
    assert code == 2
    assert "has no timezone" in err


def test_help_teaches() -> None:
    code, out, _ = invoke("explain", "--help")
    assert code == 0
    assert "Examples:" in out


def test_the_installed_command_explains_a_ticket_file(tmp_path: Path, escalada_exe: str) -> None:
    ticket = tmp_path / "t.json"
    ticket.write_text(
        json.dumps(
            {"key": "E-1", "created": "2026-11-23T09:40:00Z", "priority": "P1", "tags": ["outage"]}
        ),
        encoding="utf-8",
    )
    run = subprocess.run(
        [
            escalada_exe,
            "explain",
            str(ticket),
            "--policy",
            str(EXAMPLE),
            "--at",
            "2026-11-23T10:00:00Z",
            "--format",
            "json",
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    assert json.loads(run.stdout)["level"] == 1
