"""A cycle's early stop, shared by its desks and their writing threads."""

from __future__ import annotations

import logging
import threading

from escalada.connectors.http import abort_in_flight

log = logging.getLogger("escalada.runner")  # one logger for the whole runner (docs/runner.md)


class Halt:
    """Why a cycle stops early: the run's stop (a signal) or the cycle's budget."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.expired = threading.Event()

    def expire(self, budget: float) -> None:
        log.warning(
            "the cycle ran past its %.0fs budget: ending requests in flight; "
            "the remaining tickets wait for the next cycle",
            budget,
        )
        self.expired.set()
        abort_in_flight(f"the cycle ran past its {budget:.0f}s budget")

    def is_set(self) -> bool:
        return self.stop.is_set() or self.expired.is_set()
