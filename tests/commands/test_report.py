"""`escalada report` from the command line: inputs, window, formats, output, errors."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from escalada.cli import cli
from tests.paths import EXAMPLE
from tests.report.records import sample_audit
from tests.report.records import ticket
from tests.report.records import write_lines


@pytest.fixture
def files(tmp_path):
    audit = write_lines(tmp_path / "audit.jsonl", sample_audit())
    tickets = write_lines(
        tmp_path / "tickets.jsonl",
        [
            ticket(
                "A",
                status="resolved",
                resolved="2026-11-23T15:00:00Z",
                responded="2026-11-23T08:40:00Z",
            ),
            ticket("B"),
            ticket("C", priority="P3"),
        ],
    )
    return audit, tickets


def invoke(*args):
    return CliRunner().invoke(cli, ["report", *map(str, args)])


def test_text_from_the_audit_and_tickets(files):
    audit, tickets = files
    result = invoke("--audit", audit, "--tickets", tickets, "--policy", EXAMPLE)
    assert result.exit_code == 0, result.output
    assert "4 escalations of 2 tickets: 3 by time threshold, 1 by trigger" in result.output
    assert "3 tickets, 2 escalated (67%)" in result.output
    assert "SLA attainment per priority" in result.output


@pytest.mark.parametrize("name", ["markdown", "json", "html"])
def test_every_format_to_a_file(files, tmp_path, name):
    audit, tickets = files
    target = tmp_path / f"report.{name}"
    result = invoke(
        "--audit",
        audit,
        "--tickets",
        tickets,
        "--policy",
        EXAMPLE,
        "--format",
        name,
        "--output",
        target,
    )
    assert result.exit_code == 0, result.output
    assert result.output.strip() == f"wrote the {name} report to {target}"
    assert target.stat().st_size > 500
    assert not target.with_name(target.name + ".part").exists()


def test_the_window_keeps_what_falls_inside(files):
    audit, _ = files
    result = invoke(
        "--audit",
        audit,
        "--format",
        "json",
        "--from",
        "2026-11-23T10:30:00Z",
        "--to",
        "2026-11-24",
        "--timezone",
        "UTC",
    )
    data = json.loads(result.output)
    assert data["from"] == "2026-11-23T10:30:00Z" and data["to"] == "2026-11-24T00:00:00Z"
    assert data["audit"]["volume"]["total"] == 2  # A's L2 (11:00) and L3 (12:30)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((), "nothing to report on"),
        (("--audit", "missing.jsonl"), "audit log missing.jsonl does not exist"),
        (("--audit", "{audit}", "--from", "yesterday"), "--from 'yesterday' is not a date"),
        (("--audit", "{audit}", "--timezone", "Mars/Base"), "is not a time zone"),
        (("--audit", "{audit}", "--from", "2026-11-24", "--to", "2026-11-23"), "--to is not after"),
        (("--desk", "zendesk-prod"), "--desk needs the policy"),
    ],
)
def test_bad_input_is_one_line_and_exit_1(files, args, message):
    audit, _ = files
    result = invoke(*(a.format(audit=audit) for a in args))
    assert result.exit_code == 1, result.output
    assert message in result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1


def test_an_unknown_format_is_a_usage_error(files):
    result = invoke("--audit", files[0], "--format", "pdf")
    assert result.exit_code == 2


def test_the_demo_day_reported_from_its_audit_and_its_desk(tmp_path, monkeypatch):
    """The demo's audit log, and the sandbox desk's tickets read through
    `escalada tickets export`'s reader (--desk): every format."""
    from escalada.commands.demo import run_demo

    monkeypatch.chdir(tmp_path)
    audit = tmp_path / "audit.jsonl"
    run_demo(
        db=tmp_path / ".escalada" / "sandbox.sqlite",
        tickets=20,
        seed=3,
        audit=audit,
        echo=lambda line: None,
    )
    for name in ("text", "markdown", "json", "html"):
        result = invoke(
            "--audit",
            audit,
            "--desk",
            "sandbox",
            "--since",
            "30d",
            "--policy",
            EXAMPLE,
            "--format",
            name,
            "-o",
            f"r.{name}",
        )
        assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "r.json").read_text(encoding="utf-8"))
    assert data["sources"] == [f"audit {audit}", "desk sandbox"]
    assert data["audit"]["volume"]["total"] > 0
    assert data["tickets"]["tickets"] == 20
    assert data["tickets"]["escalated"] > 0


def test_markdown_shows_desk_values_as_typed(tmp_path):
    """An organisation with `|`, `*` or `<` in its name splits no table cell and
    makes no emphasis or HTML, in the table and in the summary that quotes it."""
    audit = write_lines(tmp_path / "audit.jsonl", sample_audit())
    org = {"organization": "North|wind *Ltd* <b>"}
    tickets = write_lines(
        tmp_path / "tickets.jsonl",
        [ticket(key, requester=org) for key in ("A", "B")] + [ticket("C", requester=org)],
    )
    result = invoke(
        "--audit", audit, "--tickets", tickets, "--policy", EXAMPLE, "--format", "markdown"
    )
    assert result.exit_code == 0, result.output
    shown = "North\\|wind \\*Ltd\\* \\<b>"
    assert f"| organization | {shown} | 3 | 2 | 67% |" in result.output.splitlines()
    assert f"- most recurring: organization {shown}, 2 of 3 tickets escalated" in result.output
