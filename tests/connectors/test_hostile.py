"""The shared transport against a hostile server on 127.0.0.1 (tests/hostile.py):
every request ends within its deadline, and each misbehaviour is one clear
DeskError, never a hang or a traceback. Deadlines here are a fraction of a
second so the whole file takes a few seconds of real time."""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator

import pytest
import requests

from escalada.commands import run as run_command
from escalada.connectors import http
from escalada.connectors.http import ResilientAdapter
from escalada.connectors.http import RetryPolicy
from escalada.connectors.http import mount_resilience
from escalada.errors import DeskError
from escalada.errors import DeskUnavailable
from tests.hostile import Hostile
from tests.hostile import allow_loopback
from tests.hostile import hostile_server

DEADLINE = 0.5


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hostile]:
    allow_loopback(monkeypatch)
    with hostile_server() as server:
        yield server
    http.resume()


def session(**options: object) -> requests.Session:
    made = requests.Session()
    made.trust_env = False  # no proxy from the environment: loopback only
    mount_resilience(
        made,
        "hostile",
        policy=RetryPolicy(attempts=2, base_delay=0.0),
        timeout=5.0,  # per socket read: a trickle never trips it
        deadline=DEADLINE,
        sleep=lambda seconds: None,
        **options,
    )
    return made


@pytest.mark.parametrize("path", ["/trickle", "/trickle-headers"])
def test_a_trickling_server_ends_at_the_deadline_and_is_not_retried(
    hostile: Hostile, path: str
) -> None:
    started = time.monotonic()
    with pytest.raises(DeskUnavailable, match=r"no complete answer within 0s|within 1s"):
        session().get(hostile.base + path)
    assert time.monotonic() - started < 5 * DEADLINE
    assert hostile.requests == [f"GET {path}"]  # one attempt: a trickle would repeat


def test_a_well_behaved_answer_passes(hostile: Hostile) -> None:
    assert session().get(hostile.base + "/ok").json() == {"ok": True}


def test_an_odd_retry_after_is_ignored_not_a_traceback(hostile: Hostile) -> None:
    with pytest.raises(DeskUnavailable, match="HTTP 429 after 2 attempts"):
        session().get(hostile.base + "/odd-retry")
    assert len(hostile.requests) == 2


def test_a_reset_is_retried_then_one_clear_error(hostile: Hostile) -> None:
    with pytest.raises(DeskUnavailable, match="ConnectionError after 2 attempts"):
        session().get(hostile.base + "/reset")


def test_a_200_with_a_body_that_is_not_json_is_a_clear_desk_error(hostile: Hostile) -> None:
    from escalada.runner.failures import describe_internal

    response = session().get(hostile.base + "/not-json")
    with pytest.raises(ValueError) as caught:
        response.json()
    assert "not JSON" in describe_internal(caught.value)


def test_one_request_s_deadline_ends_only_its_own_of_the_requests_in_flight(
    hostile: Hostile,
) -> None:
    """Threads send through one adapter at once (the runner's concurrent writes): a
    trickling answer's deadline shuts its own connection, not another thread's."""
    shared = session()
    adapter = shared.get_adapter("http://")
    assert isinstance(adapter, ResilientAdapter)
    adapter.deadline = 60.0  # for the held request, read when it goes
    answers: list[object] = []

    def held() -> None:
        try:
            answers.append(shared.get(hostile.base + "/hold").json())
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            answers.append(error)

    holder = threading.Thread(target=held)
    holder.start()
    while not hostile.requests:
        time.sleep(0.01)
    adapter.deadline = DEADLINE  # the trickle's
    with pytest.raises(DeskUnavailable, match="no complete answer"):
        shared.get(hostile.base + "/trickle")
    hostile.release.set()
    holder.join(10)
    assert answers == [{"ok": True}]
    assert hostile.requests == ["GET /hold", "GET /trickle"]


def test_sigterm_ends_a_stuck_read_within_seconds(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`run`'s signal handler stops the loop and, after a grace, ends the request
    in flight; without it a trickling desk would hold the run for ever."""
    monkeypatch.setattr(run_command, "STOP_GRACE", 0.2)
    stop = threading.Event()
    restore = run_command._stop_on_signals(stop)
    assert restore is not None
    failure: list[BaseException] = []
    slow = session()
    adapter = slow.get_adapter("http://")
    assert isinstance(adapter, ResilientAdapter)
    adapter.deadline = 60.0  # only the signal can end it

    def read() -> None:
        try:
            slow.get(hostile.base + "/trickle")
        except BaseException as error:  # noqa: BLE001 - handed to the test thread
            failure.append(error)

    reader = threading.Thread(target=read)
    try:
        reader.start()
        while not hostile.requests:
            time.sleep(0.01)
        started = time.monotonic()
        os.kill(os.getpid(), signal.SIGTERM)
        reader.join(10)
        assert not reader.is_alive()
        assert time.monotonic() - started < 5
    finally:
        restore()
    assert stop.is_set()
    assert isinstance(failure[0], DeskError) and "the run is stopping" in str(failure[0])
