"""ISO-8601 instants as policies, tickets and desks write them.

Python 3.10's `datetime.fromisoformat` refuses a trailing `Z` (3.11 takes it),
so every parser of an instant goes through `from_iso`; `to_iso` writes one."""

from __future__ import annotations

from datetime import datetime


def from_iso(text: str) -> datetime:
    """`2026-11-23T10:00:00Z` (or any offset; `t`/`z` in any case) -> datetime.

    Raises ValueError for text that is not ISO-8601. A time without an offset
    comes back naive: callers that need an instant check `tzinfo`."""
    cleaned = text.strip().upper()
    if cleaned.endswith("Z"):
        cleaned = cleaned[:-1] + "+00:00"
    return datetime.fromisoformat(cleaned)


def to_iso(moment: datetime) -> str:
    """An instant to the second, UTC written `Z`: `2026-11-23T10:00:00Z`."""
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


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
