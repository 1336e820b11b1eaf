"""Property tests for business time: the arithmetic laws, and `is_open` against an
independent minute-by-minute reading of local wall time, across DST changes."""

from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from escalada.engine.calendars import NEVER
from escalada.engine.calendars import BusinessClock
from escalada.engine.calendars import public_holidays
from escalada.policy.model import ALWAYS_OPEN
from escalada.policy.model import Calendar
from escalada.policy.model import WeekHours

UTC = timezone.utc
US = timedelta(microseconds=1)
ZONES = [
    "Europe/Stockholm",
    "America/New_York",
    "Australia/Sydney",
    "Europe/Dublin",  # negative DST in tzdata
    "Australia/Lord_Howe",  # a 30-minute change
    "Pacific/Chatham",  # +12:45, changes at 02:45
    "Asia/Kolkata",
    "UTC",
]
LOW = datetime(2025, 1, 1, tzinfo=UTC)
HIGH = datetime(2028, 1, 1, tzinfo=UTC)

FAST = settings(max_examples=60, deadline=None)


@cache
def transitions(zone: str) -> tuple[datetime, ...]:
    """The instants the zone's UTC offset changes between LOW and HIGH."""
    tz = ZoneInfo(zone)
    found = []
    at, offset = LOW, LOW.astimezone(tz).utcoffset()
    while at < HIGH:
        at += timedelta(minutes=15)
        now = at.astimezone(tz).utcoffset()
        if now != offset:
            found.append(at)
            offset = now
    return tuple(found)


@st.composite
def day_ranges(draw: st.DrawFn) -> tuple[tuple[int, int], ...]:
    # minutes on a 15-minute grid plus DST-ish times (02:10, 02:30, 02:45)
    grid = st.one_of(st.integers(0, 96).map(lambda q: q * 15), st.sampled_from([130, 150, 165]))
    points = sorted(draw(st.sets(grid, max_size=6)))
    pairs = len(points) // 2
    return tuple((points[2 * i], points[2 * i + 1]) for i in range(pairs))


@st.composite
def calendars(draw: st.DrawFn) -> Calendar:
    zone = draw(st.sampled_from(ZONES))
    kind = draw(st.sampled_from(["random", "office", "overnight", "always", "nearly-always"]))
    hours: WeekHours
    if kind == "random":
        hours = tuple(draw(day_ranges()) for _ in range(7))
        if not any(hours):
            hours = (((480, 1020),),) * 5 + ((), ())
    elif kind == "office":
        hours = (((480, 720), (780, 1020)),) * 5 + ((), ())
    elif kind == "overnight":
        hours = tuple(((0, 360), (1320, 1440)) for _ in range(7))
    else:
        hours = ALWAYS_OPEN
    country = draw(st.sampled_from([None, "SE", "US", "AU"]))
    listed = draw(st.frozensets(st.dates(date(2025, 1, 1), date(2027, 12, 31)), max_size=20))
    if kind == "always":
        country, listed = None, frozenset()
    return Calendar(
        name=f"{kind}-{zone}",
        timezone=zone,
        hours=hours,
        holiday_country=country,
        holiday_dates=listed,
    )


@st.composite
def instants(draw: st.DrawFn, zone: str) -> datetime:
    """Anywhere in 2025-2027, or within two days of one of the zone's DST changes."""
    changes = transitions(zone)
    if changes and draw(st.booleans()):  # type: ignore[arg-type]  # inferred from `changes`
        near = draw(st.sampled_from(changes))
        at = near + timedelta(minutes=draw(st.integers(-2 * 1440, 2 * 1440)))
    else:
        at = draw(st.datetimes(LOW.replace(tzinfo=None), HIGH.replace(tzinfo=None))).replace(
            tzinfo=UTC
        )
    if draw(st.booleans()):
        at += timedelta(microseconds=draw(st.integers(0, 59_999_999)))
    return at


@st.composite
def clock_and_instants(draw: st.DrawFn, count: int) -> tuple[BusinessClock, list[datetime]]:
    calendar = draw(calendars())
    moments = sorted(draw(instants(calendar.timezone)) for _ in range(count))
    zone = ZoneInfo(calendar.timezone)
    # hand some inputs over in the calendar's own zone: the same instants
    handed = [m.astimezone(zone) if i % 2 else m for i, m in enumerate(moments)]
    return BusinessClock(calendar), handed


durations = st.one_of(
    st.integers(1, 4 * 60).map(lambda m: timedelta(minutes=m)),
    st.integers(1, 200 * 3600 * 10**6).map(lambda u: timedelta(microseconds=u)),
)


@FAST
@given(clock_and_instants(3))
def test_elapsed_is_additive(case: tuple[BusinessClock, list[datetime]]) -> None:
    clock, (a, b, c) = case
    assert clock.elapsed(a, c) == clock.elapsed(a, b) + clock.elapsed(b, c)


@FAST
@given(clock_and_instants(3))
def test_elapsed_is_monotonic_and_at_most_wall_time(
    case: tuple[BusinessClock, list[datetime]],
) -> None:
    clock, (a, b, c) = case
    assert timedelta(0) <= clock.elapsed(a, b) <= clock.elapsed(a, c)
    assert clock.elapsed(b, c) <= clock.elapsed(a, c)
    assert clock.elapsed(a, c) <= c - a
    assert clock.elapsed(c, a) == timedelta(0)


@FAST
@given(clock_and_instants(1), durations)
def test_add_then_measure_round_trips_and_add_is_earliest(
    case: tuple[BusinessClock, list[datetime]], amount: timedelta
) -> None:
    clock, (start,) = case
    end = clock.add(start, amount)
    assert end.tzinfo is UTC
    assert end > start
    assert clock.elapsed(start, end) == amount
    assert clock.elapsed(start, end - US) < amount  # nothing earlier will do
    assert clock.is_open(end - US)  # so the last microsecond counted was open


@FAST
@given(clock_and_instants(2))
def test_add_inverts_elapsed(case: tuple[BusinessClock, list[datetime]]) -> None:
    clock, (a, b) = case
    spent = clock.elapsed(a, b)
    reached = clock.add(a, spent)
    assert reached <= b
    assert clock.elapsed(reached, b) == timedelta(0)


@FAST
@given(clock_and_instants(1))
def test_next_open_and_next_change_agree_with_is_open(
    case: tuple[BusinessClock, list[datetime]],
) -> None:
    clock, (at,) = case
    opens = clock.next_open(at)
    assert opens >= at
    assert clock.is_open(opens)
    assert clock.elapsed(at, opens) == timedelta(0)
    change = clock.next_change(at)
    if clock.is_open(at):
        assert opens == at
        if change is not NEVER:
            assert clock.elapsed(at, change) == change - at  # open all the way
            assert not clock.is_open(change)
    else:
        assert change == opens


@FAST
@given(clock_and_instants(1))
def test_is_open_matches_the_local_wall_clock(case: tuple[BusinessClock, list[datetime]]) -> None:
    """Minute by minute over a day and a half: open iff the local date is not a
    holiday and the local wall time lies in one of that weekday's ranges. Ambiguous
    minutes (the repeated hour) are skipped: there the calendar's rule (first
    occurrence) is a choice, checked in the unit tests."""
    clock, (start,) = case
    calendar = clock.calendar
    zone = ZoneInfo(calendar.timezone)
    at = start.astimezone(UTC).replace(second=0, microsecond=0)
    open_minutes = 0
    for _ in range(36 * 60):
        wall = at.astimezone(zone)
        other = wall.replace(fold=1 - wall.fold).astimezone(UTC)
        if other == at:  # not ambiguous
            expected = wall_open(calendar, wall)
            assert clock.is_open(at) is expected, (calendar.name, at, wall)
        open_minutes += clock.is_open(at)
        at += timedelta(minutes=1)
    assert clock.elapsed(start.replace(second=0, microsecond=0), at) == timedelta(
        minutes=open_minutes
    )


def wall_open(calendar: Calendar, wall: datetime) -> bool:
    day = wall.date()
    if day in calendar.holiday_dates:
        return False
    country = calendar.holiday_country
    if country and day in public_holidays(country, None, day.year):
        return False
    minute = wall.hour * 60 + wall.minute
    return any(a <= minute < b for a, b in calendar.hours[day.weekday()])


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(ZONES), st.integers(0, 2 * 1440))
def test_always_open_in_any_zone_is_wall_time(zone: str, minutes: int) -> None:
    clock = BusinessClock(Calendar(name="24x7", timezone=zone, hours=ALWAYS_OPEN))
    for change in transitions(zone)[:2]:
        start = change - timedelta(days=1)
        end = start + timedelta(minutes=minutes)
        assert clock.elapsed(start, end) == end - start
        assert clock.add(start, end - start) == end
