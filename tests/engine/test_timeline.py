"""Timelines answer exactly what the calendar's clock answers, across clock
changes and holidays, and hand back to the clock outside their window."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from escalada.engine.calendars import BusinessClock
from escalada.engine.levels import Clocks
from escalada.engine.levels import Ruler
from escalada.engine.timeline import AHEAD
from escalada.engine.timeline import BACK
from escalada.engine.timeline import BUILD_AFTER
from escalada.engine.timeline import Timeline
from escalada.engine.timeline import Timelines
from escalada.policy.model import Calendar
from escalada.policy.model import WeekHours

UTC = timezone.utc
# instants near the 2026 changes in Stockholm (29 Mar, 25 Oct), New York (8 Mar,
# 1 Nov) and Sydney (5 Apr, 4 Oct), and Christmas
NEAR = [
    datetime(2026, 3, 29, 1, 0, tzinfo=UTC),
    datetime(2026, 10, 25, 1, 0, tzinfo=UTC),
    datetime(2026, 3, 8, 7, 0, tzinfo=UTC),
    datetime(2026, 11, 1, 6, 0, tzinfo=UTC),
    datetime(2026, 4, 4, 16, 0, tzinfo=UTC),
    datetime(2026, 10, 3, 16, 0, tzinfo=UTC),
    datetime(2026, 12, 24, 12, 0, tzinfo=UTC),
]
OFFICE: WeekHours = (((480, 720), (780, 1020)),) * 5 + ((), ())
OVERNIGHT: WeekHours = tuple(((0, 360), (1320, 1440)) for _ in range(7))
NEARLY_ALWAYS: WeekHours = (((0, 1440),),) * 6 + (((0, 1380),),)


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    zone = draw(st.sampled_from(["Europe/Stockholm", "America/New_York", "Australia/Sydney"]))
    hours = draw(st.sampled_from([OFFICE, OVERNIGHT, NEARLY_ALWAYS]))
    listed = draw(st.frozensets(st.dates(date(2026, 1, 1), date(2027, 1, 31)), max_size=15))
    return Calendar(
        name=f"cal-{zone}",
        timezone=zone,
        hours=hours,
        holiday_country=draw(st.sampled_from([None, "SE", "US"])),
        holiday_dates=listed,
    )


def around(draw: st.DrawFn, now: datetime, before: timedelta, after: timedelta) -> datetime:
    span = int((before + after) / timedelta(minutes=1))
    moment = now - before + timedelta(minutes=draw(st.integers(0, span)))
    return moment + timedelta(microseconds=draw(st.sampled_from([0, 1, 999_999, 30_000_000])))


@st.composite
def cases(draw: st.DrawFn) -> tuple[BusinessClock, datetime, list[datetime], list[timedelta]]:
    now = draw(st.sampled_from(NEAR)) + timedelta(minutes=draw(st.integers(-3000, 3000)))
    starts = [around(draw, now, BACK + timedelta(days=3), timedelta(days=1)) for _ in range(6)]
    amounts = [
        timedelta(microseconds=draw(st.integers(1, 60 * 24 * 3600 * 10**6))) for _ in range(4)
    ]
    amounts.append(timedelta(hours=draw(st.integers(1, 200))))
    return BusinessClock(draw(calendars())), now, starts, amounts


@settings(max_examples=40, deadline=None)
@given(cases())
def test_a_timeline_answers_what_the_clock_answers(
    case: tuple[BusinessClock, datetime, list[datetime], list[timedelta]],
) -> None:
    clock, now, starts, amounts = case
    line = Timeline(clock, now)
    for start in starts:
        found = line.to_now(start)
        if start < now - BACK:
            assert found is None
        else:
            assert found == clock.elapsed(start, now), start
        if found is not None:  # the instant `amount` after `start`, before now
            for amount in amounts:
                if amount < found:  # inside [start, now), so inside the window
                    back = line.before_now(found - amount)
                    assert back == clock.add(start, amount), (start, amount)
    for amount in amounts:
        at = line.after_now(amount)
        if at is not None:
            assert at == clock.add(now, amount), amount
            assert at.tzinfo is UTC
        else:
            assert clock.add(now, amount) > now + AHEAD - timedelta(days=1)


@settings(max_examples=30, deadline=None)
@given(cases())
def test_clocks_with_timelines_equal_clocks_without(
    case: tuple[BusinessClock, datetime, list[datetime], list[timedelta]],
) -> None:
    clock, now, starts, amounts = case
    ruler = Ruler(clock.calendar.name, clock, wall=False)
    lines = Timelines()
    for _ in range(BUILD_AFTER):
        lines.line(ruler.calendar, clock, now)
    assert lines.line(ruler.calendar, clock, now) is not None
    for created in starts:
        fast, plain = Clocks(created, now, lines), Clocks(created, now)
        assert fast.so_far(ruler) == plain.so_far(ruler)
        for end in starts:
            assert fast.elapsed(ruler, end) == plain.elapsed(ruler, end), (created, end)
        for amount in amounts:
            assert fast.due_at(ruler, amount) == plain.due_at(ruler, amount), (created, amount)


def test_timelines_wait_for_enough_questions_at_one_instant() -> None:
    clock = BusinessClock(Calendar("office", "Europe/Stockholm", OFFICE))
    lines = Timelines()
    now = NEAR[0]
    assert all(lines.line("office", clock, now) is None for _ in range(BUILD_AFTER - 1))
    assert lines.line("office", clock, now) is not None
    # a new instant starts over (equal but not the same object: a new evaluation)
    assert lines.line("office", clock, now + timedelta(0)) is None


def test_a_calendar_that_never_opens_is_left_to_the_clock() -> None:
    never = BusinessClock(Calendar("never", "UTC", ((),) * 7))
    lines = Timelines()
    now = NEAR[0]
    assert all(lines.line("never", never, now) is None for _ in range(BUILD_AFTER + 2))
    clocks = Clocks(now - timedelta(days=1), now, lines)
    ruler = Ruler("never", never, wall=False)
    assert clocks.so_far(ruler) == timedelta(0)
    with pytest.raises(ValueError, match="no open hours"):
        clocks.due_at(ruler, timedelta(hours=1))
