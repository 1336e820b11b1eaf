from __future__ import annotations

from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from zoneinfo import ZoneInfo

import pytest

from escalada.engine.calendars import NEVER
from escalada.engine.calendars import BusinessClock
from escalada.engine.calendars import clock_for
from escalada.policy.model import ALWAYS_OPEN
from escalada.policy.model import BUILTIN_24X7
from escalada.policy.model import Calendar
from escalada.policy.model import WeekHours

UTC = timezone.utc
H = timedelta(hours=1)


def week(**days: list[tuple[str, str]]) -> WeekHours:
    """week(mon=[("08:00", "17:00")], ...) -> WeekHours; `weekdays=` fills mon-fri."""
    names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    weekdays = days.pop("weekdays", [])
    out = []
    for index, name in enumerate(names):
        ranges = days.get(name, weekdays if index < 5 else [])
        out.append(tuple((minutes(a), minutes(b)) for a, b in ranges))
    return tuple(out)


def every_day(*ranges: tuple[str, str]) -> WeekHours:
    return tuple(tuple((minutes(a), minutes(b)) for a, b in ranges) for _ in range(7))


def minutes(text: str) -> int:
    hours, mins = text.split(":")
    return int(hours) * 60 + int(mins)


def clock(hours: WeekHours, tz: str = "Europe/Stockholm", **kwargs: object) -> BusinessClock:
    return BusinessClock(Calendar(name="test", timezone=tz, hours=hours, **kwargs))  # type: ignore[arg-type]


def local(tz: str, *args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(tz), fold=fold)  # type: ignore[misc,arg-type]


def sto(*args: int) -> datetime:
    return local("Europe/Stockholm", *args)


OFFICE = week(weekdays=[("08:00", "17:00")])


# --- an office calendar -------------------------------------------------------


def test_friday_evening_ticket_waits_until_monday() -> None:
    office = clock(OFFICE)
    friday_evening = sto(2026, 11, 20, 17, 30)
    assert not office.is_open(friday_evening)
    assert office.next_open(friday_evening) == sto(2026, 11, 23, 8, 0)
    assert office.add(friday_evening, H) == sto(2026, 11, 23, 9, 0)
    assert office.elapsed(friday_evening, sto(2026, 11, 23, 10, 0)) == 2 * H
    # one hour on Friday afternoon, two on Monday morning
    assert office.elapsed(sto(2026, 11, 20, 16, 0), sto(2026, 11, 23, 10, 0)) == 3 * H


def test_add_uses_the_remaining_hours_of_friday_first() -> None:
    office = clock(OFFICE)
    assert office.add(sto(2026, 11, 20, 15, 0), 3 * H) == sto(2026, 11, 23, 9, 0)


def test_add_is_the_earliest_instant_so_it_can_end_at_closing_time() -> None:
    office = clock(OFFICE)
    assert office.add(sto(2026, 11, 20, 16, 0), H) == sto(2026, 11, 20, 17, 0)
    assert office.add(sto(2026, 11, 21, 12, 0), timedelta(0)) == sto(2026, 11, 21, 12, 0)


def test_outputs_are_utc_and_keep_microseconds() -> None:
    office = clock(OFFICE)
    start = sto(2026, 11, 23, 9, 0).replace(microsecond=123456)
    result = office.add(start, timedelta(microseconds=1))
    assert result.tzinfo is UTC
    assert result == start + timedelta(microseconds=1)
    assert office.next_open(start).tzinfo is UTC
    assert office.next_open(start) == start


def test_elapsed_of_an_empty_or_reversed_span_is_zero() -> None:
    office = clock(OFFICE)
    at = sto(2026, 11, 23, 9, 0)
    assert office.elapsed(at, at) == timedelta(0)
    assert office.elapsed(at + H, at) == timedelta(0)


def test_next_change_closes_at_five_and_opens_at_eight() -> None:
    office = clock(OFFICE)
    assert office.next_change(sto(2026, 11, 23, 9, 0)) == sto(2026, 11, 23, 17, 0)
    assert office.next_change(sto(2026, 11, 23, 17, 0)) == sto(2026, 11, 24, 8, 0)
    assert office.is_open(sto(2026, 11, 23, 8, 0))
    assert not office.is_open(sto(2026, 11, 23, 17, 0))


def test_inputs_in_any_zone_mean_the_same_instant() -> None:
    office = clock(OFFICE)
    in_new_york = local("America/New_York", 2026, 11, 20, 11, 30)  # 17:30 in Stockholm
    assert office.add(in_new_york, H) == sto(2026, 11, 23, 9, 0)


# --- holidays -------------------------------------------------------------------


def test_swedish_christmas_and_listed_days_are_closed() -> None:
    office = clock(OFFICE, holiday_country="SE", holiday_dates=frozenset({date(2026, 12, 24)}))
    # Wed 23rd 16:00 -> Mon 28th 09:00: 1h on the 23rd; the 24th is listed, the 25th
    # (Christmas Day) is a public holiday, then the weekend; 1h on Monday.
    assert office.elapsed(sto(2026, 12, 23, 16, 0), sto(2026, 12, 28, 9, 0)) == 2 * H
    assert not office.is_open(sto(2026, 12, 24, 10, 0))
    assert not office.is_open(sto(2026, 12, 25, 10, 0))
    assert office.add(sto(2026, 12, 23, 16, 0), 2 * H) == sto(2026, 12, 28, 9, 0)


def test_new_years_day_is_closed_across_the_year_boundary() -> None:
    office = clock(OFFICE, holiday_country="SE")
    assert office.is_open(sto(2026, 12, 31, 10, 0))
    assert not office.is_open(sto(2027, 1, 1, 10, 0))
    assert office.add(sto(2026, 12, 31, 16, 0), 2 * H) == sto(2027, 1, 4, 9, 0)
    assert office.next_open(sto(2026, 12, 31, 18, 0)) == sto(2027, 1, 4, 8, 0)


def test_the_second_day_of_christmas_on_a_seven_day_calendar() -> None:
    daily = clock(every_day(("08:00", "17:00")), holiday_country="SE")
    assert not daily.is_open(sto(2026, 12, 26, 10, 0))  # a Saturday
    assert daily.is_open(sto(2026, 12, 27, 10, 0))  # Sundays are not holidays
    assert daily.next_open(sto(2026, 12, 24, 18, 0)) == sto(2026, 12, 27, 8, 0)


def test_subdivision_holidays() -> None:
    bavaria = clock(OFFICE, tz="Europe/Berlin", holiday_country="DE", holiday_subdivision="BY")
    berlin = clock(OFFICE, tz="Europe/Berlin", holiday_country="DE", holiday_subdivision="BE")
    epiphany = local("Europe/Berlin", 2026, 1, 6, 10, 0)
    assert not bavaria.is_open(epiphany)
    assert berlin.is_open(epiphany)


def test_a_holiday_closes_the_whole_local_date_even_overnight() -> None:
    night = week(
        weekdays=[("22:00", "24:00")],
        tue=[("00:00", "06:00"), ("22:00", "24:00")],
        wed=[("00:00", "06:00"), ("22:00", "24:00")],
        thu=[("00:00", "06:00"), ("22:00", "24:00")],
        fri=[("00:00", "06:00"), ("22:00", "24:00")],
        sat=[("00:00", "06:00")],
    )
    shift = clock(night, holiday_dates=frozenset({date(2026, 11, 24)}))  # a Tuesday
    # Mon 22-24 open, Tue 00-06 and Tue 22-24 closed, Wed 00-06 open
    assert shift.elapsed(sto(2026, 11, 23, 21, 0), sto(2026, 11, 25, 7, 0)) == 8 * H


# --- several ranges a day and overnight shifts --------------------------------


def test_lunch_break() -> None:
    lunch = clock(week(weekdays=[("08:00", "12:00"), ("13:00", "17:00")]))
    assert lunch.elapsed(sto(2026, 11, 23, 11, 0), sto(2026, 11, 23, 14, 0)) == 2 * H
    assert lunch.add(sto(2026, 11, 23, 11, 30), H) == sto(2026, 11, 23, 13, 30)
    assert lunch.add(sto(2026, 11, 23, 11, 0), H) == sto(2026, 11, 23, 12, 0)
    assert lunch.next_change(sto(2026, 11, 23, 11, 0)) == sto(2026, 11, 23, 12, 0)
    assert lunch.next_open(sto(2026, 11, 23, 12, 30)) == sto(2026, 11, 23, 13, 0)
    assert not lunch.is_open(sto(2026, 11, 23, 12, 0))


def test_an_overnight_shift_is_one_stretch() -> None:
    night = week(mon=[("22:00", "24:00")], tue=[("00:00", "06:00")])
    shift = clock(night)
    assert shift.next_change(sto(2026, 11, 23, 23, 0)) == sto(2026, 11, 24, 6, 0)
    assert shift.next_change(sto(2026, 11, 23, 12, 0)) == sto(2026, 11, 23, 22, 0)
    assert shift.elapsed(sto(2026, 11, 23, 21, 0), sto(2026, 11, 24, 7, 0)) == 8 * H
    assert shift.add(sto(2026, 11, 23, 23, 0), 2 * H) == sto(2026, 11, 24, 1, 0)
    assert shift.is_open(sto(2026, 11, 24, 0, 0))
    # 7h left in this shift, then 2h of next Monday's 22:00-24:00: ends at its close
    assert shift.add(sto(2026, 11, 23, 23, 0), 9 * H) == sto(2026, 12, 1, 0, 0)


def test_an_open_stretch_runs_across_the_internal_blocks() -> None:
    # open all day every day except a listed date: not the 24x7 fast path, and the
    # stretch from November to Christmas Eve spans several 28-day blocks
    almost = clock(ALWAYS_OPEN, holiday_dates=frozenset({date(2026, 12, 24)}))
    assert almost.next_change(sto(2026, 9, 1, 0, 0)) == sto(2026, 12, 24, 0, 0)
    assert almost.next_change(sto(2026, 12, 24, 3, 0)) == sto(2026, 12, 25, 0, 0)
    span = almost.elapsed(sto(2026, 12, 1, 0, 0), sto(2027, 1, 1, 0, 0))
    assert span == timedelta(days=30)


# --- 24x7 ----------------------------------------------------------------------


def test_24x7_is_wall_time() -> None:
    always = clock_for(BUILTIN_24X7)
    start = sto(2026, 3, 29, 0, 0)
    end = sto(2026, 3, 30, 0, 0)
    assert always.elapsed(start, end) == 23 * H  # a local day of 23 real hours
    assert always.add(start, 23 * H) == end
    assert always.is_open(start)
    assert always.next_open(start) == start
    assert always.next_change(start) is NEVER


# --- daylight saving time -------------------------------------------------------

# (zone, the day clocks spring forward, the day they fall back) in 2026
DST_DAYS = [
    ("Europe/Stockholm", date(2026, 3, 29), date(2026, 10, 25)),
    ("America/New_York", date(2026, 3, 8), date(2026, 11, 1)),
    ("Australia/Sydney", date(2026, 10, 4), date(2026, 4, 5)),
]


@pytest.mark.parametrize(("tz", "spring", "autumn"), DST_DAYS)
def test_a_range_across_the_change_is_the_real_time_between_its_ends(
    tz: str, spring: date, autumn: date
) -> None:
    early = clock(every_day(("00:00", "06:00")), tz=tz)

    def open_on(day: date) -> timedelta:
        return early.elapsed(
            local(tz, day.year, day.month, day.day), local(tz, day.year, day.month, day.day, 12)
        )

    assert open_on(spring) == 5 * H
    assert open_on(autumn) == 7 * H
    assert open_on(spring + timedelta(days=1)) == 6 * H


@pytest.mark.parametrize(("tz", "spring", "autumn"), DST_DAYS)
def test_a_daytime_range_is_unaffected_by_a_night_change(
    tz: str, spring: date, autumn: date
) -> None:
    daily = clock(every_day(("08:00", "17:00")), tz=tz)
    for day in (spring, autumn):
        start = local(tz, day.year, day.month, day.day)
        assert daily.elapsed(start, start + timedelta(days=1)) == 9 * H
        assert daily.next_open(start) == local(tz, day.year, day.month, day.day, 8)


def test_a_range_starting_in_the_spring_gap_opens_when_time_exists_again() -> None:
    gap = clock(every_day(("02:30", "06:00")))
    before = datetime(2026, 3, 29, 0, 0, tzinfo=UTC)  # 01:00 CET
    transition = datetime(2026, 3, 29, 1, 0, tzinfo=UTC)  # 02:00 CET -> 03:00 CEST
    assert gap.next_open(before) == transition
    assert not gap.is_open(transition - timedelta(microseconds=1))
    assert gap.is_open(transition)
    assert gap.elapsed(before, sto(2026, 3, 29, 12, 0)) == 3 * H  # 03:00-06:00 CEST


def test_a_range_ending_in_the_gap_ends_at_the_transition() -> None:
    gap = clock(every_day(("00:00", "02:30")))
    day = sto(2026, 3, 29, 0, 0)
    assert gap.next_change(day) == datetime(2026, 3, 29, 1, 0, tzinfo=UTC)
    assert gap.elapsed(day, sto(2026, 3, 29, 12, 0)) == 2 * H


def test_a_range_wholly_inside_the_gap_is_closed_that_day() -> None:
    gap = clock(every_day(("02:10", "02:50")))
    day = sto(2026, 3, 29, 0, 0)
    assert gap.elapsed(day, sto(2026, 3, 30, 0, 0)) == timedelta(0)
    assert gap.next_open(day) == sto(2026, 3, 30, 2, 10)


def test_a_range_in_the_repeated_hour_is_open_while_the_wall_clock_shows_it() -> None:
    tz = "Europe/Stockholm"  # 2026-10-25: 03:00 CEST becomes 02:00 CET (01:00Z)
    ends_in_fold = clock(every_day(("00:00", "02:30")))
    starts_in_fold = clock(every_day(("02:30", "05:00")))
    # (compared in UTC: Python never finds an ambiguous local time equal to another zone's)
    first_0230 = local(tz, 2026, 10, 25, 2, 30, fold=0).astimezone(UTC)
    second_0230 = local(tz, 2026, 10, 25, 2, 30, fold=1).astimezone(UTC)
    change = datetime(2026, 10, 25, 1, 0, tzinfo=UTC)
    assert first_0230 == datetime(2026, 10, 25, 0, 30, tzinfo=UTC)
    day = (local(tz, 2026, 10, 25), local(tz, 2026, 10, 25, 12))
    # 00:00-02:30 CEST, then 02:00-02:30 CET
    assert ends_in_fold.next_change(local(tz, 2026, 10, 25, 1, 0)) == first_0230
    assert ends_in_fold.next_change(first_0230) == change
    assert ends_in_fold.is_open(local(tz, 2026, 10, 25, 2, 15, fold=1))
    assert ends_in_fold.elapsed(*day) == 3 * H
    # 02:30-03:00 CEST, then 02:30-05:00 CET: 02:00-02:30 CET shows a closed time
    assert starts_in_fold.next_open(local(tz, 2026, 10, 25)) == first_0230
    assert not starts_in_fold.is_open(local(tz, 2026, 10, 25, 2, 15, fold=1))
    assert starts_in_fold.next_open(change) == second_0230
    assert starts_in_fold.elapsed(*day) == 3 * H


# --- bad input and guards ---------------------------------------------------------


def test_naive_datetimes_are_refused() -> None:
    office = clock(OFFICE)
    naive = datetime(2026, 11, 23, 9, 0)
    with pytest.raises(ValueError, match="no timezone"):
        office.elapsed(naive, sto(2026, 11, 23, 10, 0))
    with pytest.raises(ValueError, match="no timezone"):
        office.add(naive, H)
    with pytest.raises(ValueError, match="no timezone"):
        clock_for(BUILTIN_24X7).is_open(naive)


def test_negative_amounts_are_refused() -> None:
    with pytest.raises(ValueError, match="negative"):
        clock(OFFICE).add(sto(2026, 11, 23, 9, 0), -H)


def test_a_calendar_without_hours_fails_clearly_instead_of_looping() -> None:
    closed = clock(tuple(() for _ in range(7)))
    at = sto(2026, 11, 23, 9, 0)
    assert not closed.is_open(at)
    assert closed.elapsed(at, at + timedelta(days=400)) == timedelta(0)
    for call in (lambda: closed.add(at, H), lambda: closed.next_open(at)):
        with pytest.raises(ValueError, match="'test' has no open hours"):
            call()
    with pytest.raises(ValueError, match="no open hours"):
        closed.next_change(at)


def test_a_calendar_closed_for_years_gives_up_after_the_horizon() -> None:
    first = date(2026, 1, 1)
    every_date = frozenset(first + timedelta(days=n) for n in range(4 * 366))
    closed = clock(OFFICE, holiday_dates=every_date)
    with pytest.raises(ValueError, match="no open hours in the 3 years"):
        closed.add(sto(2026, 1, 1, 0, 0), H)
    with pytest.raises(ValueError, match="no open hours in the 3 years"):
        closed.next_open(sto(2026, 1, 1, 0, 0))


def test_long_closed_stretches_are_skipped() -> None:
    quarter = frozenset(date(2026, 1, 1) + timedelta(days=n) for n in range(120))
    office = clock(OFFICE, holiday_dates=quarter)
    assert office.add(sto(2026, 1, 1, 0, 0), H) == sto(2026, 5, 1, 9, 0)  # Friday 1 May


def test_unknown_timezone_and_country_are_value_errors() -> None:
    with pytest.raises(ValueError, match="unknown timezone 'Mars/Olympus'"):
        clock(OFFICE, tz="Mars/Olympus")
    with pytest.raises(ValueError, match="holidays: Country XX not available"):
        clock(OFFICE, holiday_country="XX")


def test_clock_for_caches_per_calendar_object() -> None:
    calendar = Calendar(name="office", timezone="Europe/Stockholm", hours=OFFICE)
    same = clock_for(calendar)
    assert clock_for(calendar) is same
    assert same.calendar is calendar
    changed = Calendar(name="office", timezone="Europe/Oslo", hours=OFFICE)
    assert clock_for(changed) is not same
    assert clock_for(changed).calendar is changed


def test_closed_days_names_holidays_in_english_whatever_the_locale(monkeypatch):
    from datetime import date

    from escalada.engine.calendars import closed_days
    from escalada.policy.model import ALWAYS_OPEN
    from escalada.policy.model import Calendar

    monkeypatch.setenv("LANGUAGE", "sv_SE")
    monkeypatch.setenv("LANG", "sv_SE.UTF-8")
    office = Calendar(
        "office",
        "Europe/Stockholm",
        ALWAYS_OPEN,
        holiday_country="SE",
        holiday_dates=frozenset({date(2026, 12, 24), date(2031, 1, 2)}),
    )
    days = closed_days(office, (2026,))
    assert days[date(2026, 6, 20)] == "Midsummer Day"
    assert days[date(2026, 12, 24)] == "Christmas Eve" or days[date(2026, 12, 24)] == "Closed"
    assert days[date(2031, 1, 2)] == "Closed"  # listed dates count whatever their year
    assert list(days) == sorted(days)
