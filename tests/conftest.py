"""Test-wide guards (no test reaches the network: the desks are `responses` fakes) and the
installed command for the tests that run it as a user would."""

from __future__ import annotations

import shutil
import socket
import sys
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(scope="session")
def escalada_exe() -> str:
    """The installed `escalada` script: beside the interpreter running the tests (a venv's
    bin/, activated or not), else on PATH. Missing is a failure, not a skip: every way the
    README installs escalada puts the script there."""
    beside = Path(sys.executable).with_name("escalada")
    found = str(beside) if beside.exists() else shutil.which("escalada")
    assert found, "the escalada command is not installed (pip install -e '.[test]')"
    return found
