"""Durations summarised: count, median, 90th percentile and mean, in seconds."""

from __future__ import annotations

from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class Spread:
    count: int
    median: float | None  # seconds
    p90: float | None
    mean: float | None

    def as_json(self) -> dict[str, Any]:
        return {"count": self.count, "median": self.median, "p90": self.p90, "mean": self.mean}


def spread(seconds: Iterable[float]) -> Spread:
    values = sorted(seconds)
    if not values:
        return Spread(0, None, None, None)
    n = len(values)
    return Spread(n, _rank(values, 0.5), _rank(values, 0.9), round(sum(values) / n, 1))


def _rank(values: list[float], share: float) -> float:
    """The nearest-rank percentile (a value that occurred, not an interpolation)."""
    index = max(0, min(len(values) - 1, -(-int(share * len(values) * 1000) // 1000) - 1))
    return values[index]


def durations() -> array[float]:
    """A compact list of seconds (8 bytes a value)."""
    return array("d")
