from __future__ import annotations

import pytest
import responses

from escalada.connectors.http import ResilientAdapter
from escalada.connectors.session import desk_secrets
from escalada.connectors.session import resilient_session
from escalada.errors import EscaladaError
from escalada.policy.model import Desk
from escalada.policy.model import SecretRef
from escalada.policy.model import Where
from tests.fakes.base import FakeServer
from tests.fakes.base import reply

URL = "https://desk.example.com"
AUTH = {"email": SecretRef("env", "DESK_EMAIL"), "token": SecretRef("env", "DESK_TOKEN")}
ENVIRON = {"DESK_EMAIL": "bot@acme.test", "DESK_TOKEN": " t0ken\n"}


def test_secrets_are_resolved_in_the_order_named() -> None:
    desk = Desk("helpdesk", "zendesk", url=URL, auth=AUTH)
    token, email = desk_secrets(desk, ("token", "email"), environ=ENVIRON, hint="h")
    assert (token, email) == ("t0ken", "bot@acme.test")
    assert "t0ken" not in repr(token)


def test_every_missing_secret_is_named_once_with_where_and_the_hint() -> None:
    desk = Desk("helpdesk", "jira", url=URL, where=Where("policy/desks.yaml", 4, 1))
    with pytest.raises(EscaladaError) as caught:
        desk_secrets(desk, ("email", "token"), environ=ENVIRON, hint="write auth: {...}")
    assert str(caught.value) == (
        "policy/desks.yaml:4:1: desk 'helpdesk': spec.auth lacks email and token "
        "(write auth: {...})"
    )


def test_an_unset_variable_is_named() -> None:
    desk = Desk("helpdesk", "zendesk", url=URL, auth=AUTH)
    with pytest.raises(EscaladaError, match="DESK_TOKEN is not set"):
        desk_secrets(desk, ("email", "token"), environ={"DESK_EMAIL": "a@b.c"}, hint="h")


def test_the_session_sends_through_the_resilient_adapter_and_counts_retries() -> None:
    sleeps: list[float] = []
    session, adapter = resilient_session(
        Desk("helpdesk", "zendesk", url=URL), sleep=sleeps.append, jitter=lambda: 1.0
    )
    assert isinstance(adapter, ResilientAdapter) and adapter.desk == "helpdesk"
    assert session.get_adapter(URL) is adapter and session.verify is True
    with responses.RequestsMock() as mock:
        server = FakeServer(mock, URL)
        server.route("GET", "/items", lambda request, match: reply(200, {"ok": True}), name="items")
        server.inject("503", retry_after=None)
        assert session.get(URL + "/items").json() == {"ok": True}
    assert (adapter.calls, sleeps) == (2, [1.0])
