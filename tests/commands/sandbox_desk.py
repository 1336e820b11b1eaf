"""What the tests of `escalada plan` and `escalada apply` share besides the fixtures
(conftest.py): the policy's sandbox Desk, the desk's groups, and how to run the CLI."""

from __future__ import annotations

import json
import sqlite3

from click.testing import CliRunner
from click.testing import Result

from escalada.cli import cli

DESK = """\
---
apiVersion: escalada/v1
kind: Desk
metadata: {{name: sandbox}}
spec:
  type: sandbox
  options: {{path: "{path}"}}
"""
GROUPS = ("service-desk", "network-l2", "it-management")
CREATES = 11  # 4 priorities, 3 schedules (24x7, office, support), 4 SLAs


def run(*args: str, input: str | None = None) -> Result:
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def config(db: sqlite3.Connection) -> list[tuple[str, str, int]]:
    rows = db.execute("SELECT kind, name, managed FROM config WHERE kind != 'group' ORDER BY id")
    return [tuple(row) for row in rows]


def digest_of(policy: str) -> str:
    data = json.loads(run("plan", "--policy", policy, "--format", "json").stdout)
    return str(data["digest"])
