"""OAuth client credentials and Basic auth on the session pysnc is given."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from escalada.connectors import connect
from escalada.connectors.base import Wiring
from escalada.connectors.http import mount_resilience
from escalada.connectors.servicenow.connector import ServiceNowConnector
from escalada.connectors.servicenow.session import ClientCredentials
from escalada.errors import DeskError
from escalada.errors import EscaladaError
from escalada.policy.model import SecretRef
from escalada.secrets import Secret
from tests.connectors.contract import OPENED
from tests.connectors.servicenow.harness import ServiceNowHarness
from tests.connectors.servicenow.harness import open_harness
from tests.fakes.servicenow import CLIENT_ID
from tests.fakes.servicenow import CLIENT_SECRET
from tests.fakes.servicenow import URL

OAUTH = {"client_id": SecretRef("env", "SN_CLIENT_ID"), "secret": SecretRef("env", "SN_SECRET")}
ENV = {"SN_CLIENT_ID": CLIENT_ID, "SN_SECRET": CLIENT_SECRET}


@pytest.fixture
def h(tmp_path: Path) -> Iterator[ServiceNowHarness]:
    with open_harness(tmp_path) as harness:
        harness.desk = dataclasses.replace(
            harness.desk,
            auth={"client_id": OAUTH["client_id"], "client_secret": OAUTH["secret"]},
        )
        yield harness


def oauth_connector(h: ServiceNowHarness, environ: dict[str, str] = ENV) -> ServiceNowConnector:
    sn = connect(h.desk, wiring=Wiring(sleep=h.sleeps.append, environ=environ))
    assert isinstance(sn, ServiceNowConnector)
    return sn


def test_oauth_token_is_fetched_once_through_the_resilient_session(h: ServiceNowHarness) -> None:
    h.add_ticket(title="VPN down", created=OPENED)
    h.fake.inject("503", path=r"^/oauth_token\.do$")  # retried like any other call
    sn = oauth_connector(h)
    assert len(list(sn.candidates())) == 1
    assert len(list(sn.candidates())) == 1
    assert h.fake.calls["oauth"] == 2  # one refused with 503, one token
    assert sn.calls == 2 + 1 + 2  # token (with its retry), groups once, two incident reads
    assert sn.user is None


def test_refused_client_credentials_say_which_secret_to_check(h: ServiceNowHarness) -> None:
    sn = oauth_connector(h, {"SN_CLIENT_ID": CLIENT_ID, "SN_SECRET": "wrong"})
    with pytest.raises(DeskError) as caught:
        list(sn.candidates())
    assert caught.value.status == 401
    assert "client_secret" in (caught.value.hint or "")
    assert "wrong" not in str(caught.value)


def test_token_is_renewed_a_minute_before_it_expires(h: ServiceNowHarness) -> None:
    session = requests.Session()
    mount_resilience(session, "servicenow-contract", sleep=h.sleeps.append)
    now = [1000.0]
    auth = ClientCredentials(
        "servicenow-contract",
        session,
        f"{URL}/oauth_token.do",
        Secret(CLIENT_ID),
        Secret(CLIENT_SECRET),
        clock=lambda: now[0],
    )
    session.auth = auth
    assert session.get(f"{URL}/api/now/table/sys_user_group?sysparm_limit=1").ok
    now[0] += 1800 - 61
    h.fake.advance(1800 - 61)
    assert session.get(f"{URL}/api/now/table/sys_user_group?sysparm_limit=1").ok
    assert h.fake.calls["oauth"] == 1
    now[0] += 2
    h.fake.advance(2)
    assert session.get(f"{URL}/api/now/table/sys_user_group?sysparm_limit=1").ok
    assert h.fake.calls["oauth"] == 2
    assert CLIENT_SECRET not in repr(auth)


def test_auth_needs_user_and_password_or_a_client_id_and_secret(h: ServiceNowHarness) -> None:
    desk = dataclasses.replace(h.desk, auth={"token": SecretRef("env", "SN_TOKEN")})
    with pytest.raises(EscaladaError, match="auth has token") as caught:
        connect(desk, wiring=Wiring(environ={"SN_TOKEN": "x"}))
    assert "client_secret" in (caught.value.hint or "")
