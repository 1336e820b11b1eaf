"""Fixtures for the command tests that plan and apply on a sandbox desk (test_plan.py,
test_apply.py): `policy` (a folder holding the policy and a sandbox Desk on `db_path`)
and `db` (that sandbox, holding the policy's groups). A test module's own `policy`
fixture takes precedence in that module."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from escalada.connectors.sandbox.store import open_db
from tests.commands.sandbox_desk import DESK
from tests.commands.sandbox_desk import GROUPS
from tests.reconcile.rigs import POLICY


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "desk" / "sandbox.sqlite"


@pytest.fixture
def policy(tmp_path: Path, db_path: Path) -> str:
    folder = tmp_path / "policy"
    folder.mkdir()
    (folder / "policy.yaml").write_text(POLICY + DESK.format(path=db_path), encoding="utf-8")
    return str(folder)


@pytest.fixture
def db(db_path: Path) -> Iterator[sqlite3.Connection]:
    conn = open_db(db_path)
    conn.executemany("INSERT INTO config (kind, name) VALUES ('group', ?)", [(g,) for g in GROUPS])
    yield conn
    conn.close()
