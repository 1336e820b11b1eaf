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
