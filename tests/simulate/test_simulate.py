"""simulate end to end over ticket files: identical policies, a renamed path, a lowered
threshold (issue 14, item 5)."""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import replace
from datetime import datetime
from datetime import timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalada.cli import cli
from escalada.engine.evaluator import Evaluator
from escalada.policy.validate import load_policy
from escalada.simulate import Window
from escalada.simulate import simulate
from escalada.ticket import EscalationState
from escalada.ticket import StatusChange
from escalada.ticket import Ticket
from escalada.ticket_file import write_tickets
from tests.paths import ROOT

UTC = timezone.utc
NOW = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def at(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def copy_policy(tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(ROOT / "examples" / "policy", target, ignore=shutil.ignore_patterns("tests"))
    return target


def edit(policy: Path, old: str, new: str) -> None:
    paths = policy / "paths.yaml"
    text = paths.read_text(encoding="utf-8")
    assert old in text
    paths.write_text(text.replace(old, new, 1), encoding="utf-8")


def tickets() -> list[Ticket]:
    return [
        # P1 outage, escalated to L1 of critical-outage by an earlier run, still unanswered
        Ticket(
            desk="file",
            key="T-1",
            title="VPN down for everyone",
            created=at("2026-11-25T11:00:00Z"),
            priority="P1",
            tags=frozenset({"outage", "escalada-critical-outage-1"}),
            escalation=EscalationState("critical-outage", 1, since=at("2026-11-25T11:16:00Z")),
        ),
        # P3 opened Monday 10:00 Stockholm, answered Tuesday, resolved Wednesday
        Ticket(
            desk="file",
            key="T-2",
            title="Report export is slow",
            created=at("2026-11-23T09:00:00Z"),
            status="resolved",
            priority="P3",
            responded=at("2026-11-24T09:00:00Z"),
            resolved=at("2026-11-25T09:00:00Z"),
            status_history=(
                StatusChange("open", at("2026-11-23T09:00:00Z")),
                StatusChange("resolved", at("2026-11-25T09:00:00Z")),
            ),
        ),
        Ticket(desk="file", key="T-3", title="Printer", created=NOW, priority="P4"),
    ]


@pytest.fixture
def ticket_file(tmp_path: Path) -> Path:
    path = tmp_path / "tickets.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_tickets(tickets(), out)
    return path


def run(*args: str | Path) -> tuple[int, str]:
    result = CliRunner().invoke(cli, [str(a) for a in args])
    return result.exit_code, result.output


def test_identical_policies_change_nothing_and_exit_0(tmp_path, ticket_file):
    new, old = copy_policy(tmp_path, "new"), copy_policy(tmp_path, "old")
    code, out = run(
        "simulate", "--policy", new, "--baseline", old, "--tickets", ticket_file,
        "--at", "2026-11-25T12:00:00Z", "--from", "2026-11-20T00:00:00Z",
        "--format", "json", "--detailed-exitcode",
    )  # fmt: skip
    assert code == 0, out
    data = json.loads(out)
    assert list(data) == ["tickets", "summary", "changed"]
    assert data["tickets"] == 3 and data["changed"] == []
    assert data["summary"]["baseline"]["open"] == data["summary"]["policy"]["open"]
    assert data["summary"]["baseline"]["backtest"] == data["summary"]["policy"]["backtest"]


def test_a_renamed_path_shows_its_reannouncements(tmp_path, ticket_file):
    new, old = copy_policy(tmp_path, "new"), copy_policy(tmp_path, "old")
    edit(new, "name: critical-outage", "name: major-outage")
    code, out = run(
        "simulate", "--policy", new, "--baseline", old, "--tickets", ticket_file,
        "--at", "2026-11-25T12:00:00Z", "--format", "json", "--detailed-exitcode",
    )  # fmt: skip
    assert code == 2, out
    (change,) = json.loads(out)["changed"]
    assert change["ticket"] == "T-1"
    assert change["why"].startswith("re-announces L1 on major-outage")
    assert "moved_from" in change["why"]
    assert change["baseline"]["path"] == "critical-outage"
    assert "notify" in change["policy"]["actions"]
    assert "notify" not in change["baseline"]["actions"]
    code, text = run(
        "simulate", "--policy", new, "--baseline", old, "--tickets", ticket_file,
        "--at", "2026-11-25T12:00:00Z", "--format", "markdown",
    )  # fmt: skip
    assert code == 0
    assert "1 re-announcement(s)" in text and "<details>" in text


def test_markdown_shows_a_hostile_ticket_key_as_typed_in_its_cell(tmp_path):
    """A key from a ticket file or a desk with `|` or `*` in it splits no cell and
    makes no emphasis in the pull-request comment."""
    new, old = copy_policy(tmp_path, "new"), copy_policy(tmp_path, "old")
    edit(new, "name: critical-outage", "name: major-outage")
    hostile = [replace(t, key="T|1 **x**") if t.key == "T-1" else t for t in tickets()]
    path = tmp_path / "hostile.jsonl"
    with path.open("w", encoding="utf-8") as out:
        write_tickets(hostile, out)
    code, text = run(
        "simulate", "--policy", new, "--baseline", old, "--tickets", path,
        "--at", "2026-11-25T12:00:00Z", "--format", "markdown",
    )  # fmt: skip
    assert code == 0, text
    (row,) = [line for line in text.splitlines() if line.startswith("| T")]
    assert row.startswith("| T\\|1 \\*\\*x\\*\\* | re-announces L1 on major-outage")
    assert "`moved_from: [critical-outage]`" in row  # escalada's own code span stays
    cells = [c for c in re.split(r"(?<!\\)\|", row)[1:-1]]
    assert len(cells) == 2


def test_a_lowered_threshold_shows_the_extra_escalations_at_the_right_instants(tmp_path):
    new, old = copy_policy(tmp_path, "new"), copy_policy(tmp_path, "old")
    edit(new, "after: 4h\n      unless: responded", "after: 2h\n      unless: responded")
    result = simulate(
        load_policy([str(new)]),
        load_policy([str(old)]),
        tickets(),
        now=NOW,
        window=Window(at("2026-11-23T00:00:00Z"), NOW),
    )
    assert result.backtest is not None
    was = result.backtest.baseline.per_ticket()["T-2"]
    now = result.backtest.policy.per_ticket()["T-2"]
    # office hours 08:00-17:00 Stockholm (UTC+1): opened 10:00 local, L1 after 4h -> 14:00
    # local, after 2h -> 12:00 local
    assert was[0] == ("standard", 1, at("2026-11-23T13:00:00Z"))
    assert now[0] == ("standard", 1, at("2026-11-23T11:00:00Z"))
    assert "T-2" in result.backtest.changed
    # the same instants the engine names for the fresh ticket
    fresh = tickets()[1]
    opened = at("2026-11-23T09:00:00Z")
    fresh_open = Ticket(desk="file", key="T-2", title="x", created=opened, priority="P3")
    for policy, (_, _, when) in ((old, was[0]), (new, now[0])):
        step = Evaluator(load_policy([str(policy)])).evaluate(fresh_open, opened).next
        assert step is not None and step.at == when
    assert fresh.resolved is not None


def test_a_git_revision_is_a_baseline(tmp_path, ticket_file):
    import subprocess

    repo = tmp_path / "repo"
    policy = copy_policy(repo, "policy")

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)

    git("init", "-q")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "policy", "--allow-empty")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "policy")
    edit(policy, "name: critical-outage", "name: major-outage")
    code, out = run(
        "simulate", "--policy", policy, "--baseline", "HEAD", "--tickets", ticket_file,
        "--at", "2026-11-25T12:00:00Z", "--detailed-exitcode",
    )  # fmt: skip
    assert code == 2, out
    assert "re-announces L1 on major-outage" in out
    code, out = run(
        "simulate", "--policy", policy, "--baseline", "no-such-rev", "--tickets", ticket_file
    )
    assert code == 1
    assert "neither a policy path nor a revision" in out


def test_one_source_of_tickets_is_required(tmp_path, ticket_file):
    code, out = run("simulate", "--policy", tmp_path, "--baseline", tmp_path)
    assert code == 2 and "one of --desk NAME and --tickets FILE" in out


def test_a_rename_the_path_declares_is_no_change(tmp_path):
    """`moved_from` (DESIGN: a rename re-announces nothing): the renamed path's tickets
    show no change, now or in the backtest."""
    new, old = copy_policy(tmp_path, "new"), copy_policy(tmp_path, "old")
    edit(
        new,
        "name: critical-outage\nspec:",
        "name: major-outage\nspec:\n  moved_from: [critical-outage]",
    )
    result = simulate(
        load_policy([str(new)]),
        load_policy([str(old)]),
        tickets(),
        now=NOW,
        window=Window(at("2026-11-23T00:00:00Z"), NOW),
    )
    assert not result.changed, result
