"""A desk whose TLS certificate this machine does not trust is refused at once,
on every desk, with the fix (REQUESTS_CA_BUNDLE): retrying cannot make a
certificate trusted, so it is not retried as "the desk is down". The desks
talk to a local HTTPS server with a self-signed certificate (tests/hostile.py)
under their usual host names."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
from click.testing import CliRunner

from escalada.cli import cli
from escalada.connectors.http import mount_resilience
from escalada.errors import DeskError
from escalada.errors import DeskUnavailable
from tests.hostile import TlsServer
from tests.hostile import allow_loopback
from tests.hostile import self_signed
from tests.hostile import send_to
from tests.hostile import tls_server
from tests.paths import EXAMPLE

CREDENTIALS = {
    "JIRA_EMAIL": "bot@example.com",
    "JIRA_API_TOKEN": "jira-token",
    "ZENDESK_EMAIL": "bot@example.com",
    "ZENDESK_API_TOKEN": "zendesk-token",
    "SERVICENOW_USER": "escalada.bot",
    "SERVICENOW_PASSWORD": "sn-password",
}
HOSTS = {
    "jira-prod": "acme.atlassian.net",
    "zendesk-prod": "acme.zendesk.com",
    "servicenow-prod": "acme.service-now.com",
}


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    return self_signed(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def untrusted(
    monkeypatch: pytest.MonkeyPatch, certificate: tuple[Path, Path]
) -> Iterator[TlsServer]:
    cert, key = certificate
    allow_loopback(monkeypatch)
    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "HTTPS_PROXY", "https_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("NO_PROXY", "*")
    with tls_server(cert, key) as server:
        send_to(monkeypatch, server.port)
        yield server


@pytest.mark.parametrize("desk", sorted(HOSTS))
def test_an_untrusted_certificate_is_refused_at_once_with_the_fix(
    untrusted: TlsServer, desk: str
) -> None:
    result = CliRunner().invoke(
        cli, ["desks", "check", "--policy", str(EXAMPLE), "--desk", desk], env=CREDENTIALS
    )
    assert result.exit_code == 1, result.output
    failed = [line for line in result.output.splitlines() if "FAIL" in line]
    assert len(failed) == 1, result.output
    assert f"{HOSTS[desk]}: certificate not trusted" in failed[0]
    assert "REQUESTS_CA_BUNDLE" in failed[0]
    assert "attempts" not in failed[0] and "down" not in failed[0]
    assert "Traceback" not in result.output
    assert settled(untrusted) == ["SSLError"]  # one handshake: not retried


def settled(server: TlsServer) -> list[str]:
    """The server's handshakes once it has recorded the last one (the client can
    see its failure before the server's thread writes it down)."""
    for _ in range(200):
        if server.handshakes:
            break
        time.sleep(0.01)
    time.sleep(0.05)  # a retry would be on its way by now
    return list(server.handshakes)


def session() -> requests.Session:
    made = requests.Session()
    mount_resilience(made, "hostile", sleep=lambda seconds: None)
    return made


def test_the_error_is_a_desk_error_not_an_outage(untrusted: TlsServer) -> None:
    with pytest.raises(DeskError) as caught:
        session().get("https://acme.zendesk.com/api/v2/users/me.json")
    assert not isinstance(caught.value, DeskUnavailable)
    assert "acme.zendesk.com: certificate not trusted" in str(caught.value)
    assert "self-signed" in str(caught.value)  # what the TLS library said
    assert settled(untrusted) == ["SSLError"]


def test_the_fix_the_error_names_works(
    untrusted: TlsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """REQUESTS_CA_BUNDLE naming the desk's CA (here the certificate itself) is
    trusted: verification stays on, and passes."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(untrusted.cert))
    answer = session().get("https://acme.service-now.com/api/now/table/sys_user")
    assert answer.json() == {"ok": True}
    assert untrusted.handshakes == ["ok"]


def test_a_certificate_for_another_host_is_refused_too(
    untrusted: TlsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(untrusted.cert))
    with pytest.raises(DeskError, match="other.example.com: certificate not trusted") as caught:
        session().get("https://other.example.com/x")
    assert "other.example.com" in str(caught.value)
    assert settled(untrusted) == ["SSLError"]
