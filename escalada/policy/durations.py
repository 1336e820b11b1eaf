"""Durations as written in policies: 30s, 15m, 1h30m, 2d, 1w.

A day here is 24 hours of the calendar that measures it (business time counts
only open hours, so `1d` on an office calendar is 24 open hours, not one
working day)."""

from __future__ import annotations

import re
from datetime import timedelta

_UNIT_SECONDS = {"w": 7 * 86400, "d": 86400, "h": 3600, "m": 60, "s": 1}
# ASCII digits only: `\d` would also take Arabic-Indic and other Unicode digits
_DURATION = re.compile(r"^(?:([0-9]+)w)?(?:([0-9]+)d)?(?:([0-9]+)h)?(?:([0-9]+)m)?(?:([0-9]+)s)?$")
DURATION_PATTERN = r"^(?=[0-9])([0-9]+w)?([0-9]+d)?([0-9]+h)?([0-9]+m)?([0-9]+s)?$"
# The longest duration accepted: due times add durations to instants, and past
# this the arithmetic overflows datetime (99999999999w) or walks calendars for ages.
MAX_DURATION = timedelta(days=3660)


def parse_duration(text: str) -> timedelta:
    """Parse `1h30m` into a timedelta; raise ValueError with the accepted form."""
    stripped = text.strip() if isinstance(text, str) else ""
    match = _DURATION.match(stripped) if len(stripped) <= 40 else None
    if not match or not stripped or not any(match.groups()):
        raise ValueError(
            f"{text!r} is not a duration: write a number and a unit, largest first, "
            "e.g. 30s, 15m, 1h30m, 2d, 1w"
        )
    seconds = sum(
        int(value) * _UNIT_SECONDS[unit]
        for value, unit in zip(match.groups(), "wdhms", strict=True)
        if value is not None
    )
    if seconds == 0:
        raise ValueError(f"{text!r} is zero: a duration must be longer than 0s")
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(
            f"{text!r} is longer than {MAX_DURATION.days}d (about ten years), "
            "the longest duration escalada computes with"
        )
    return timedelta(seconds=seconds)


def format_duration(delta: timedelta) -> str:
    """Render a timedelta the way a policy writes it (`1h30m`); negative gets a minus."""
    seconds = int(delta.total_seconds())
    sign = "-" if seconds < 0 else ""
    seconds = abs(seconds)
    if seconds == 0:
        return "0m"
    parts = []
    for unit in "dhms":
        size = _UNIT_SECONDS[unit]
        if seconds >= size:
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return sign + "".join(parts)
