"""Test-wide guards (no test reaches the network: the desks are `responses` fakes) and the
installed command for the tests that run it as a user would."""

from __future__ import annotations

import shutil
import socket
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise RuntimeError("a test tried to open a network connection")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)


@pytest.fixture(autouse=True)
def _forget_secrets() -> Iterator[None]:
    """Secrets a test resolved are scrubbed from logs for the rest of the process
    (escalada.redaction): forget them, so no test's log lines depend on another's."""
    yield
    from escalada import redaction

    redaction.FILTER.forget_all()


@pytest.fixture(scope="session")
def escalada_exe() -> str:
    """The installed `escalada` script: beside the interpreter running the tests (a venv's
    bin/, activated or not), else on PATH. Missing is a failure, not a skip: every way the
    README installs escalada puts the script there."""
    beside = Path(sys.executable).with_name("escalada")
    found = str(beside) if beside.exists() else shutil.which("escalada")
    assert found, "the escalada command is not installed (pip install -e '.[test]')"
    return found


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "off_contract: the test sends a fake requests its vendor's contract refuses, on purpose",
    )


@pytest.fixture(autouse=True)
def _held_to_contract(request: pytest.FixtureRequest) -> Iterator[None]:
    """Fail a test whose connector sent a fake a request, or whose fake gave a reply,
    that the vendor's contract (tests/contracts/) does not allow."""
    from tests.contracts.check import VIOLATIONS

    VIOLATIONS.clear()
    yield
    found, VIOLATIONS[:] = list(VIOLATIONS), []
    if found and request.node.get_closest_marker("off_contract") is None:
        shown = "\n  ".join(dict.fromkeys(found))
        pytest.fail(f"{len(found)} contract violation(s):\n  {shown}", pytrace=False)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    from tests.contracts.check import CHECKED

    if CHECKED:
        counts = ", ".join(f"{desk} {n}" for desk, n in sorted(CHECKED.items()))
        terminalreporter.write_line(f"contracts: requests and replies checked: {counts}")
