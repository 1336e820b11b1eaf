"""The runner reads the desk's status history (for the SLA pause) only for the
tickets with a time-based action due, in one batch per cycle, and decides those
tickets again with it."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

from escalada.connectors.base import Connector
from escalada.policy.model import Desk
from escalada.runner import RunOptions
from escalada.runner import run_cycle
from escalada.ticket import StatusChange
from escalada.ticket import Ticket
from tests.connectors.contract import NOW
from tests.connectors.contract import Harness
from tests.runner_fixtures import RecordingNotifier
from tests.runner_fixtures import open_desk
from tests.runner_fixtures import runner_policy
from tests.runner_fixtures import seed


@pytest.fixture
def sandbox(tmp_path: Path) -> Iterator[Harness]:
    with open_desk("sandbox", tmp_path) as h:
        yield h


class Recording:
    """A connector that records each `history` batch (and can rewrite its answer)."""

    def __init__(self, inner: Connector, batches: list[list[str]]) -> None:
        self._inner = inner
        self.batches = batches

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def history(self, tickets: Sequence[Ticket]) -> list[Ticket]:
        self.batches.append([t.key for t in tickets])
        return self._inner.history(tickets)  # type: ignore[attr-defined]


def test_history_is_read_once_for_the_tickets_due_by_time_only(sandbox: Harness) -> None:
    keys = seed(sandbox)
    batches: list[list[str]] = []

    def connect(desk: Desk) -> Any:
        return Recording(sandbox.connector(), batches)

    policy = runner_policy(sandbox.desk)
    report = run_cycle(
        policy,
        now=NOW,
        connect=connect,
        notifier=RecordingNotifier(),
        options=RunOptions(dry_run=True),
    )
    assert report.desks[0].failed is None
    # outage and slow fall due by time; vip is a trigger, quiet has nothing due
    assert [sorted(b) for b in batches] == [sorted([keys["outage"], keys["slow"]])]


def test_a_ticket_whose_history_is_known_is_not_read_again(sandbox: Harness) -> None:
    keys = seed(sandbox)
    batches: list[list[str]] = []

    class Known(Recording):
        def candidates(self, **kwargs: Any) -> Iterator[Ticket]:
            for t in self._inner.candidates(**kwargs):
                if t.key == keys["slow"]:
                    t = t.__class__(
                        **{**_fields(t), "status_history": (StatusChange("open", t.created),)}
                    )
                yield t

    def connect(desk: Desk) -> Any:
        return Known(sandbox.connector(), batches)

    run_cycle(
        runner_policy(sandbox.desk),
        now=NOW,
        connect=connect,
        notifier=RecordingNotifier(),
        options=RunOptions(dry_run=True),
    )
    assert batches == [[keys["outage"]]]


def test_a_desk_without_history_is_decided_as_before(sandbox: Harness) -> None:
    seed(sandbox)

    class Without:
        def __init__(self, inner: Connector) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> Any:
            if name == "history":
                raise AttributeError(name)
            return getattr(self._inner, name)

    report = run_cycle(
        runner_policy(sandbox.desk),
        now=NOW,
        connect=lambda desk: Without(sandbox.connector()),
        notifier=RecordingNotifier(),
        options=RunOptions(dry_run=True),
    )
    assert report.desks[0].failed is None and report.desks[0].escalated == 3


def _fields(t: Ticket) -> dict[str, Any]:
    return {name: getattr(t, name) for name in t.__dataclass_fields__}
