"""--debug shows urllib3's request lines, which carry paths and queries: every
resolved secret (a webhook URL, a ServiceNow user name) is scrubbed from every
log record in each form it can take there, percent-encoded included."""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from escalada import redaction
from escalada.notify import Notifier
from tests.hostile import TlsServer
from tests.hostile import allow_loopback
from tests.hostile import self_signed
from tests.hostile import tls_server
from tests.paths import EXAMPLE
from tests.test_notify import CHANNELS
from tests.test_notify import MESSAGE


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def trusted(monkeypatch: pytest.MonkeyPatch, certificate: tuple[Path, Path]) -> Iterator[TlsServer]:
    """A local HTTPS server whose certificate REQUESTS_CA_BUNDLE trusts."""
    allow_loopback(monkeypatch)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    monkeypatch.setenv("NO_PROXY", "*")
    with tls_server(*certificate) as server:
        yield server


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """What `--debug` shows: every logger's records at DEBUG on a root handler."""
    text = io.StringIO()
    handler = logging.StreamHandler(text)
    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    redaction.install_everywhere()
    try:
        yield text
    finally:
        root.removeHandler(handler)
        root.setLevel(level)


def test_a_webhook_path_is_scrubbed_from_urllib3_lines_percent_encoded_too(
    trusted: TlsServer, debug_log: io.StringIO, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = "/services/T0/B0/s3cr\u00e9t k3y"  # requests sends /s3cr%C3%A9t%20k3y
    monkeypatch.setenv("HOOK_OPS", f"https://127.0.0.1:{trusted.port}{path}?sig=s%2Fig")
    result = Notifier(CHANNELS, sleep=lambda seconds: None).send("ops", MESSAGE)
    assert result.ok, result.error
    shown = debug_log.getvalue()
    assert '"POST ' in shown  # urllib3's request line was logged, scrubbed
    for secret in ("s3cr", "k3y", "%C3%A9t", "s%2Fig", "sig="):
        assert secret not in shown, shown


def test_forms_cover_encoded_and_decoded_spellings() -> None:
    found = redaction.forms("bot@acme.com")
    assert {"bot@acme.com", "bot%40acme.com"} <= found
    url = redaction.forms("https://h.example/a b/c?x=1&y=%2F")
    assert {"/a b/c", "/a%20b/c", "x=1&y=%2F", "x=1&y=/"} <= url


def test_a_short_value_is_not_remembered() -> None:
    assert redaction.forms("ab") == set()


def test_a_record_with_args_is_scrubbed_after_formatting() -> None:
    scrubber = redaction.RedactFilter()
    scrubber.remember("escalada.bot")
    record = logging.makeLogRecord({"msg": "GET %s -> %d", "args": ("?user=escalada.bot", 200)})
    scrubber.filter(record)
    assert record.getMessage() == "GET ?user=*** -> 200"


def test_the_installed_command_keeps_the_servicenow_user_out_of_debug(
    trusted: TlsServer, escalada_exe: str, tmp_path: Path, certificate: tuple[Path, Path]
) -> None:
    """`escalada --debug desks check` reads sys_user by the user name, which
    urllib3 logs percent-encoded (`user_name%3Dbot%40acme.com`)."""
    policy = Path(shutil.copytree(EXAMPLE, tmp_path / "policy"))
    desks = policy / "desks.yaml"
    desks.write_text(
        desks.read_text(encoding="utf-8").replace(
            "https://acme.service-now.com", f"https://127.0.0.1:{trusted.port}"
        ),
        encoding="utf-8",
    )
    done = subprocess.run(
        [escalada_exe, "--debug", "desks", "check", "--policy", str(policy)]
        + ["--desk", "servicenow-prod"],
        capture_output=True,
        text=True,
        timeout=60,
        env={
            "PATH": "/usr/bin:/bin",
            "REQUESTS_CA_BUNDLE": str(certificate[0]),
            "NO_PROXY": "*",
            "SERVICENOW_USER": "escalada.bot@acme.com",
            "SERVICENOW_PASSWORD": "pa55word",
        },
    )
    assert "urllib3.connectionpool" in done.stderr  # the debug lines are there
    assert "sys_user" in done.stderr
    for secret in ("escalada.bot", "pa55word"):
        assert secret not in done.stdout + done.stderr


def test_a_logged_traceback_is_scrubbed() -> None:
    """`log.error(..., exc_info=True)` under --debug: the handler's formatter would
    format the traceback after every filter ran, so the filter formats it first."""
    scrubber = redaction.RedactFilter()
    scrubber.remember("tok-91be07c2")
    try:
        raise RuntimeError("refused https://h.example/?token=tok-91be07c2")
    except RuntimeError:
        record = logging.makeLogRecord(
            {"msg": "desk failed", "exc_info": sys.exc_info(), "levelname": "ERROR"}
        )
    scrubber.filter(record)
    shown = logging.Formatter("%(message)s").format(record)
    assert "Traceback (most recent call last):" in shown
    assert "RuntimeError: refused https://h.example/?token=***" in shown
    assert "tok-91be07c2" not in shown
