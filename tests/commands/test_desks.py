"""`escalada desks check`: every desk's check items in one table; a desk that
cannot be reached is one failed line and does not stop the others."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalada.cli import cli
from escalada.commands.desks import check_desks
from escalada.commands.desks import render
from escalada.connectors.base import ConfigObject
from escalada.connectors.sandbox.connector import SandboxConnector
from escalada.connectors.sandbox.store import ensure_groups
from escalada.connectors.sandbox.store import open_db
from escalada.errors import EscaladaError
from escalada.policy.model import Desk
from escalada.policy.model import Policy


def policy(*desks: Desk) -> Policy:
    return Policy(
        matrix=None,
        calendars={},
        teams={},
        channels={},
        paths={},
        desks={desk.name: desk for desk in desks},
        tests={},
    )


def sandbox_file(path: Path, groups: list[str], priorities: list[str]) -> Path:
    db = open_db(path)
    ensure_groups(db, groups)
    db.close()
    desk = SandboxConnector(Desk(name="setup", type="sandbox", options={"path": str(path)}))
    for name in priorities:
        desk.write_config("create", ConfigObject("priority", name))
    desk.close()
    return path


def not_a_sandbox(path: Path) -> Path:
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE inventory (item TEXT)")
    db.close()
    return path


def test_every_desk_is_checked_and_a_broken_one_is_one_failed_line(tmp_path: Path) -> None:
    good = Desk(
        name="lab",
        type="sandbox",
        priorities={"P1": "Critical", "P2": "High"},
        teams={"network-l2": "Network L2"},
        options={"path": str(sandbox_file(tmp_path / "lab.sqlite", ["Network L2"], ["Critical"]))},
    )
    broken = Desk(
        name="broken", type="sandbox", options={"path": str(not_a_sandbox(tmp_path / "x.sqlite"))}
    )
    items = check_desks(policy(broken, good))
    assert [(i.desk, i.item, i.ok) for i in items] == [
        ("broken", "connection", False),
        ("lab", "database", True),
        ("lab", "group Network L2", True),
        ("lab", "priority Critical", True),
        ("lab", "priority High", False),
    ]
    assert "is an SQLite file but not an escalada sandbox" in items[0].detail

    lines = render(items).splitlines()
    assert lines[0].split() == ["DESK", "ITEM", "RESULT", "DETAIL"]
    assert lines[1].startswith("broken  connection         FAIL    desk 'broken': open: ")
    assert lines[3].startswith("lab     group Network L2   ok      exists")
    assert lines[-1] == "5 checks on 2 desk(s): 2 failed"


def test_only_the_named_desks_are_checked(tmp_path: Path) -> None:
    first = Desk(name="one", type="sandbox", options={"path": str(tmp_path / "one.sqlite")})
    second = Desk(name="two", type="sandbox", options={"path": str(not_a_sandbox(tmp_path / "t"))})
    items = check_desks(policy(first, second), ["one"])
    assert [(i.desk, i.item, i.ok) for i in items] == [("one", "database", True)]
    assert render(items).splitlines()[-1] == "1 checks on 1 desk(s): all ok"
    with pytest.raises(EscaladaError, match="no Desk named three"):
        check_desks(policy(first, second), ["three"])


def test_a_policy_without_desks_is_a_user_error() -> None:
    with pytest.raises(EscaladaError, match="the policy has no Desk to check"):
        check_desks(policy())


POLICY = """\
apiVersion: escalada/v1
kind: Desk
metadata: {name: lab}
spec:
  type: sandbox
  options: {path: lab.sqlite}
  priorities: {P1: Critical}
---
apiVersion: escalada/v1
kind: PriorityMatrix
metadata: {name: default}
spec:
  impact: [high]
  urgency: [high]
  matrix: {high: [P1]}
  priorities:
    P1: {title: Critical, respond_within: 15m, resolve_within: 4h, calendar: 24x7}
"""


def test_the_command_exits_1_until_every_item_is_ok(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("escalada.policy.validate", reason="the policy loader has not landed")
    monkeypatch.chdir(tmp_path)
    (tmp_path / "policy").mkdir()
    (tmp_path / "policy" / "desks.yaml").write_text(textwrap.dedent(POLICY))
    runner = CliRunner()
    failing = runner.invoke(cli, ["desks", "check"])
    assert failing.exit_code == 1, failing.output
    assert "lab   priority Critical  FAIL" in failing.stdout
    assert failing.stdout.splitlines()[-1] == "2 checks on 1 desk(s): 1 failed"

    sandbox_file(tmp_path / "lab.sqlite", [], ["Critical"])
    passing = runner.invoke(cli, ["desks", "check", "--policy", "policy", "--desk", "lab"])
    assert passing.exit_code == 0, passing.output
    assert passing.stdout.splitlines()[-1] == "2 checks on 1 desk(s): all ok"
