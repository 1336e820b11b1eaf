"""A webhook receiver on 127.0.0.1 that misbehaves (tests/hostile.py): the
notifier ends each post within its deadline, never sends twice a message that
may have arrived, and turns each misbehaviour into one line."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from escalada.notify import Notifier
from escalada.secrets import Secret
from tests.hostile import Hostile
from tests.hostile import allow_loopback
from tests.hostile import hostile_server
from tests.test_notify import CHANNELS
from tests.test_notify import MESSAGE


@pytest.fixture
def hostile(monkeypatch: pytest.MonkeyPatch) -> Iterator[Hostile]:
    allow_loopback(monkeypatch)
    with hostile_server() as server:
        yield server


def sender(hostile: Hostile, path: str, monkeypatch: pytest.MonkeyPatch) -> Notifier:
    made = Notifier(CHANNELS, timeout=0.25, sleep=lambda seconds: None)  # deadline 0.5 s
    # the https check has its own tests; the hostile server speaks plain HTTP
    monkeypatch.setattr(made, "_url", lambda channel: Secret(hostile.base + path))
    return made


def test_a_trickling_receiver_is_unconfirmed_and_posted_once(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = sender(hostile, "/trickle", monkeypatch).send("ops", MESSAGE)
    assert not result.ok and result.maybe_delivered
    assert "may have been delivered" in (result.error or "")
    assert hostile.requests == ["POST /trickle"]


@pytest.mark.parametrize(
    ("path", "error", "posts"),
    [
        ("/odd-retry", "HTTP 429 (rate limited) after 3 attempts", 3),
        ("/reset", "ConnectionError", 3),
    ],
)
def test_odd_answers_are_one_line_and_retried_within_bounds(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch, path: str, error: str, posts: int
) -> None:
    result = sender(hostile, path, monkeypatch).send("ops", MESSAGE)
    assert not result.ok and not result.maybe_delivered
    assert error in (result.error or "") and "\n" not in (result.error or "")
    assert len(hostile.requests) == posts


def test_a_well_behaved_receiver_takes_the_message(
    hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert sender(hostile, "/ok", monkeypatch).send("ops", MESSAGE).ok
