"""Instants and durations as escalada reads and writes them: the one module.

Python 3.10's `datetime.fromisoformat` refuses a trailing `Z` (3.11 takes it),
so every parser of an instant goes through `from_iso`. Every instant escalada
writes goes through `to_iso` (JSON, audit, notifications, logs) or `stamp`
(reasons and text for people), both in UTC; `human` writes a duration for
people."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import timezone
from functools import lru_cache

_ZERO = timedelta(0)
_MINUTE = timedelta(minutes=1)


def from_iso(text: str) -> datetime:
    """`2026-11-23T10:00:00Z` (or any offset; `t`/`z` in any case) -> datetime.

    Raises ValueError for text that is not ISO-8601. A time without an offset
    comes back naive: callers that need an instant check `tzinfo`."""
    cleaned = text.strip().upper()
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    return datetime.fromisoformat(cleaned)


def to_iso(moment: datetime) -> str:
    """An instant to the second in UTC, written with a `Z`: `2026-11-23T10:00:00Z`,
    whatever zone `moment` carries (a naive one is taken as UTC)."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    elif moment.utcoffset() != _ZERO:
        try:
            moment = moment.astimezone(timezone.utc)
        except OverflowError:  # within hours of datetime's ends: write the offset
            return moment.isoformat(timespec="seconds")
    # isoformat, not strftime: glibc's %Y does not pad years before 1000
    return moment.replace(tzinfo=None).isoformat(timespec="seconds") + "Z"


@lru_cache(maxsize=4096)
def stamp(moment: datetime) -> str:
    """An instant for people and reasons, in UTC to the minute: `2026-11-23 09:55Z`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    utc = moment.astimezone(timezone.utc).replace(tzinfo=None)
    return utc.isoformat(sep=" ", timespec="minutes") + "Z"


_HUMAN: dict[int, str] = {}


def human(delta: timedelta) -> str:
    """A duration for people: `58m`, `3h02m`, `2d 3h05m` (seconds dropped; the
    sign too: callers say "left" or "overdue").

    Cached by whole minutes: every escalation names two durations."""
    minutes = (-delta if delta < _ZERO else delta) // _MINUTE
    found = _HUMAN.get(minutes)
    if found is None:
        if minutes < 60:
            found = f"{minutes}m"
        elif minutes < 1440:
            found = f"{minutes // 60}h{minutes % 60:02d}m"
        else:
            days, rest = divmod(minutes, 1440)
            found = f"{days}d {rest // 60}h{rest % 60:02d}m"
        if len(_HUMAN) >= 65536:
            _HUMAN.clear()
        _HUMAN[minutes] = found
    return found


# The instants escalada computes with: due times add weeks to an instant and
# calendars walk days from it, so near datetime's ends (year 1, year 9999) the
# arithmetic overflows or walks for ages. Tickets, `--at` and PolicyTests
# outside these years are refused where they are read.
EARLIEST_YEAR = 1900
LATEST_YEAR = 2999


def supported(moment: datetime) -> bool:
    """True when the instant (in UTC) lies within the years escalada computes with."""
    # the local year decides: an offset moves an instant across a year end by hours
    # only, and converting first would overflow at year 1 or 9999
    return EARLIEST_YEAR <= moment.year <= LATEST_YEAR


def unsupported_text(moment: datetime) -> str:
    """Why an instant outside the supported years is refused."""
    return (
        f"{to_iso(moment)} is outside the years {EARLIEST_YEAR}-{LATEST_YEAR} "
        "that escalada computes with"
    )
