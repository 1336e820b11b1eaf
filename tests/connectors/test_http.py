from __future__ import annotations

import logging

import pytest
import requests
import responses

from escalada.connectors.http import ResilientAdapter
from escalada.connectors.http import RetryPolicy
from escalada.connectors.http import error_for_status
from escalada.connectors.http import mount_resilience
from escalada.connectors.http import retry_after_seconds
from escalada.errors import DeskUnavailable
from tests.fakes.base import FakeServer
from tests.fakes.base import reply

URL = "https://desk.example.com"


@pytest.fixture
def fake():
    with responses.RequestsMock() as mock:
        server = FakeServer(mock, URL)
        server.route("GET", "/items", lambda request, match: reply(200, {"ok": True}), name="items")
        yield server


def session_with(sleeps, **options):
    session = requests.Session()
    session.headers["Authorization"] = "Bearer s3cret-token"
    adapter = mount_resilience(
        session, "test-desk", sleep=sleeps.append, jitter=lambda: 1.0, **options
    )
    return session, adapter


def test_429_waits_for_retry_after_then_succeeds(fake):
    fake.inject("429", retry_after=7)
    sleeps: list[float] = []
    session, adapter = session_with(sleeps)
    assert session.get(URL + "/items").json() == {"ok": True}
    assert sleeps == [7.0]
    assert adapter.calls == 2 and fake.calls["items"] == 2


@pytest.mark.parametrize("kind", ["502", "503", "504", "reset", "timeout"])
def test_transient_failures_are_retried_with_backoff(fake, kind):
    fake.inject(kind, times=2, retry_after=None)
    sleeps: list[float] = []
    session, _ = session_with(sleeps)
    assert session.get(URL + "/items").status_code == 200
    assert sleeps == [1.0, 2.0]


@pytest.mark.parametrize("kind", ["400", "401", "403", "404", "409"])
def test_errors_retrying_cannot_fix_come_back_at_once(fake, kind):
    fake.inject(kind)
    sleeps: list[float] = []
    session, _ = session_with(sleeps)
    assert session.get(URL + "/items").status_code == int(kind)
    assert sleeps == []


def test_attempts_are_bounded_and_the_error_names_desk_and_operation(fake, caplog):
    fake.inject("503", times=99, retry_after=None)
    sleeps: list[float] = []
    session, adapter = session_with(sleeps, policy=RetryPolicy(attempts=4))
    caplog.set_level(logging.DEBUG)
    with pytest.raises(DeskUnavailable) as raised:
        session.get(URL + "/items?token=abc")
    assert adapter.calls == 4 and len(sleeps) == 3
    assert "test-desk" in str(raised.value) and "GET /items" in str(raised.value)
    assert "HTTP 503 after 4 attempts" in str(raised.value)
    assert "s3cret" not in caplog.text and "token=abc" not in caplog.text


def test_total_backoff_is_bounded_even_when_retry_after_is_huge(fake):
    fake.inject("429", retry_after=3600)
    sleeps: list[float] = []
    session, _ = session_with(sleeps, policy=RetryPolicy(max_total=120))
    with pytest.raises(DeskUnavailable):
        session.get(URL + "/items")
    assert sleeps == []


def test_every_call_gets_a_timeout_and_tls_verification():
    seen: dict[str, object] = {}

    class Probe(ResilientAdapter):
        pass

    def capture(request, stream=False, timeout=None, verify=True, cert=None, proxies=None):
        seen.update(timeout=timeout, verify=verify)
        response = requests.Response()
        response.status_code = 200
        return response

    adapter = Probe("d", timeout=12.5, sleep=lambda s: None)
    original = requests.adapters.HTTPAdapter.send
    requests.adapters.HTTPAdapter.send = lambda self, *a, **k: capture(*a, **k)  # type: ignore[method-assign]
    try:
        request = requests.Request("GET", URL + "/x").prepare()
        adapter.send(request, verify=False)
    finally:
        requests.adapters.HTTPAdapter.send = original  # type: ignore[method-assign]
    assert seen == {"timeout": 12.5, "verify": True}


def test_retry_after_reads_seconds_and_http_dates():
    assert retry_after_seconds({"Retry-After": "30"}) == 30.0
    assert retry_after_seconds({}) is None
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    date = "Wed, 25 Nov 2026 10:00:30 GMT"
    from email.utils import parsedate_to_datetime

    now = parsedate_to_datetime(date).timestamp() - 30
    assert retry_after_seconds({"Retry-After": date}, now=now) == 30.0


def test_error_for_status_gives_a_hint_per_status():
    error = error_for_status("zendesk-prod", "PUT /api/v2/tickets/1.json", 403, "Forbidden\n  x")
    text = str(error)
    assert "zendesk-prod" in text and "HTTP 403: Forbidden x" in text
    assert "permission" in text and error.status == 403
