"""Calendar `hours` as written -> WeekHours (open minutes per weekday).

Keys are day specs: `mon`..`sun`, ranges `mon-fri` (may wrap: `fri-mon`), comma
lists `sat,sun`, or `daily`. Values are `"HH:MM-HH:MM"` or a list of them; `24:00`
may end a range. A shift across midnight is two ranges on consecutive days."""

from __future__ import annotations

import re
from typing import Any

from escalada.policy.load.documents import Document
from escalada.policy.load.documents import Finding
from escalada.policy.model import WeekHours
from escalada.policy.model import Where

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_RANGE = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*-\s*(\d{1,2}):(\d{2})\s*$")
FORMAT_HINT = 'write each range as "HH:MM-HH:MM" in 24-hour time, e.g. "08:00-17:00"'
OVERNIGHT_HINT = (
    "a range must start before it ends; write a shift across midnight as two ranges "
    'on consecutive days, e.g. mon-fri: "22:00-24:00" and tue-sat: "00:00-06:00"'
)


def parse_days(spec: str) -> tuple[int, ...] | None:
    """`mon-fri` -> (0, 1, 2, 3, 4); None when the spec is not a day spec."""
    days: list[int] = []
    for token in str(spec).lower().split(","):
        token = token.strip()
        if token == "daily":
            days.extend(range(7))
        elif token in DAYS:
            days.append(DAYS.index(token))
        elif token.count("-") == 1 and all(part.strip() in DAYS for part in token.split("-")):
            first, last = (DAYS.index(part.strip()) for part in token.split("-"))
            days.extend((first + step) % 7 for step in range((last - first) % 7 + 1))
        else:
            return None
    return tuple(sorted(set(days)))


def parse_range(text: str) -> tuple[int, int] | str:
    """`"08:00-17:00"` -> (480, 1020); a message saying what is wrong otherwise."""
    found = _RANGE.match(str(text))
    if not found:
        return f'{text!r} is not an hour range: write "HH:MM-HH:MM", e.g. "08:00-17:00"'
    h1, m1, h2, m2 = (int(part) for part in found.groups())
    if h1 > 23 or m1 > 59 or h2 > 24 or m2 > 59 or (h2 == 24 and m2 != 0):
        return f"{text!r} names a time that does not exist (00:00 to 24:00)"
    start, end = h1 * 60 + m1, h2 * 60 + m2
    if start >= end:
        return f"{text!r} does not start before it ends"
    return start, end


def parse_hours(doc: Document, path: tuple[str | int, ...], findings: list[Finding]) -> WeekHours:
    """Parse `spec.hours`; append bad-hours / hours-overlap findings, never raise."""
    hours: Any = doc.data
    for part in path:
        hours = hours[part]
    written: list[list[tuple[int, int, Where]]] = [[] for _ in DAYS]
    for key, value in (hours or {}).items():
        days = parse_days(key)
        if days is None:
            findings.append(
                Finding(
                    "error",
                    "bad-hours",
                    doc.where_key(*path, key),
                    f"{key!r} is not a day spec",
                    "use mon..sun, a range such as mon-fri, a list such as sat,sun, or daily",
                )
            )
            continue
        items = (
            [(value, (*path, key))]
            if not isinstance(value, list)
            else [(item, (*path, key, i)) for i, item in enumerate(value)]
        )
        for text, at in items:
            parsed = parse_range(text)
            if isinstance(parsed, str):
                hint = OVERNIGHT_HINT if "before it ends" in parsed else FORMAT_HINT
                if text is None and "," not in str(key):
                    hint = (
                        "in a flow mapping a comma ends the key: quote a day list, "
                        '{"sat,sun": "10:00-16:00"}, or write hours as a block mapping'
                    )
                findings.append(
                    Finding("error", "bad-hours", doc.where(*at), f"{key}: {parsed}", hint)
                )
                continue
            for day in days:
                written[day].append((*parsed, doc.where(*at)))
    findings.extend(_overlaps(written))
    return tuple(_merged(ranges) for ranges in written)


def _overlaps(written: list[list[tuple[int, int, Where]]]) -> list[Finding]:
    """One finding per range that overlaps a range written before it, naming the days."""
    found: dict[tuple[Where, Where], tuple[str, str, list[str]]] = {}
    for day, ranges in enumerate(written):
        for i, (start, end, where) in enumerate(ranges):
            for other_start, other_end, other in ranges[:i]:
                if start < other_end and other_start < end and where != other:
                    first, later = sorted((other, where), key=lambda w: (w.line, w.column))
                    spans = [
                        f"{_clock(start)}-{_clock(end)}",
                        f"{_clock(other_start)}-{_clock(other_end)}",
                    ]
                    if later != where:
                        spans.reverse()
                    entry = found.setdefault((later, first), (spans[0], spans[1], []))
                    entry[2].append(DAYS[day])
    return [
        Finding(
            "error",
            "hours-overlap",
            later,
            f"{this} overlaps {that} (written at {first}) on {', '.join(days)}",
            "each day's ranges must not overlap: join them into one range, or drop the "
            "day from one of the day specs",
        )
        for (later, first), (this, that, days) in found.items()
    ]


def _merged(ranges: list[tuple[int, int, Where]]) -> tuple[tuple[int, int], ...]:
    """Sorted ranges, with overlapping or touching ones joined."""
    merged: list[tuple[int, int]] = []
    for start, end, _ in sorted(ranges, key=lambda r: (r[0], r[1])):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return tuple(merged)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
