"""A webhook whose TLS certificate this machine does not trust is refused at once,
with the fix (REQUESTS_CA_BUNDLE), as the desks' are (tests/connectors/test_tls.py):
retrying cannot make a certificate trusted. The chat tool is a local HTTPS server
with a self-signed certificate (tests/hostile.py) under Slack's host name."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from escalada.notify import Notifier
from tests.connectors.test_tls import settled
from tests.hostile import TlsServer
from tests.hostile import allow_loopback
from tests.hostile import self_signed
from tests.hostile import send_to
from tests.hostile import tls_server
from tests.test_notify import CHANNELS
from tests.test_notify import MESSAGE

HOOK = "https://hooks.slack.com/services/T0/B0/s3cr3tpath"


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def untrusted(
    monkeypatch: pytest.MonkeyPatch, certificate: tuple[Path, Path]
) -> Iterator[TlsServer]:
    allow_loopback(monkeypatch)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    monkeypatch.setenv("SLACK_SD_LEADS", HOOK)
    with tls_server(*certificate) as server:
        send_to(monkeypatch, server.port)
        yield server


def test_an_untrusted_webhook_certificate_is_refused_at_once_with_the_fix(
    untrusted: TlsServer,
) -> None:
    slept: list[float] = []
    result = Notifier(CHANNELS, sleep=slept.append).send("sd-leads", MESSAGE)
    assert not result.ok
    assert result.error is not None
    assert "hooks.slack.com: certificate not trusted" in result.error
    assert "REQUESTS_CA_BUNDLE" in result.error
    assert "s3cr3tpath" not in result.error  # the host, never the URL's secret path
    assert not result.maybe_delivered  # refused in the handshake: nothing was sent
    assert slept == []  # not retried
    assert settled(untrusted) == ["SSLError"]  # one handshake


def test_a_certificate_for_another_host_is_refused_too(
    untrusted: TlsServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its CA trusted, but the certificate names 127.0.0.1, not hooks.slack.com."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    slept: list[float] = []
    result = Notifier(CHANNELS, sleep=slept.append).send("sd-leads", MESSAGE)
    assert result.error is not None and "certificate not trusted (Hostname mismatch" in result.error
    assert slept == []


def test_the_fix_the_error_names_works(
    untrusted: TlsServer, certificate: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The server's CA in REQUESTS_CA_BUNDLE, the URL naming the host it is for."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(certificate[0]))
    monkeypatch.setenv("HOOK_OPS", f"https://127.0.0.1:{untrusted.port}/hook/s3cr3tpath")
    result = Notifier(CHANNELS, sleep=lambda seconds: None).send("ops", MESSAGE)
    assert result.ok, result.error
