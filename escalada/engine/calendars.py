"""Business time: the open hours of a Calendar measured in real (UTC) time.

An open range is two local wall-clock instants on one local date, mapped to UTC
through zoneinfo; business time is the real time between them, so a range that
spans a spring-forward change is an hour shorter and one that spans an autumn
change an hour longer. Local times map to UTC by two rules:

- a time that does not exist (inside a spring-forward gap) maps to the first
  instant that exists after it, the transition itself: `02:30-17:00` on such a
  day opens at 03:00 local, and a range wholly inside the gap is empty;
- in the repeated autumn hour a range is open whenever the wall clock shows a
  time inside it: `00:00-02:30` is open until the first 02:30 and again from
  the change until the second 02:30; `02:30-05:00` opens at the first 02:30,
  closes at the change (the clock shows 02:00 again) and reopens at the
  second 02:30. No minute counts that the wall clock never showed open.

A holiday (the country's public holidays, a listed date, or a day listed
for every year) closes the whole local date. Ranges that touch (`22:00-24:00`
then `00:00-06:00` the next day) form one open stretch.

The open intervals are built lazily per 28-day block of UTC time as epoch
microseconds with running sums, so `elapsed` and `add` are a dictionary lookup
and a bisection per block touched.
"""

from __future__ import annotations

from bisect import bisect_left
from bisect import bisect_right
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from escalada.policy.model import Calendar

_US = 1_000_000
_ONE_US = timedelta(microseconds=1)
_ONE_DAY = timedelta(days=1)
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_BLOCK = 28 * 86400 * _US
# Searches give up after this many consecutive blocks without an open minute
# (40 x 28 days > 3 years): a calendar that never opens must not hang the runner.
HORIZON_BLOCKS = 40

NEVER = datetime.max.replace(tzinfo=timezone.utc)
"""What `next_change` returns for a calendar that stays open (e.g. `24x7`)."""


def to_micros(at: datetime) -> int:
    """Microseconds since the Unix epoch of an aware datetime; ValueError if naive."""
    if at.tzinfo is None:
        raise ValueError(
            f"{at.isoformat()} has no timezone: business time needs an aware datetime "
            "(e.g. 2026-11-23T10:00:00Z or +01:00)"
        )
    try:
        return (at - _EPOCH) // _ONE_US
    except TypeError:  # a tzinfo whose utcoffset() is None: naive in disguise
        raise ValueError(f"{at!r} has no UTC offset: give an aware datetime") from None


def from_micros(micros: int) -> datetime:
    return _EPOCH + timedelta(microseconds=micros)


_HOLIDAYS: dict[tuple[str, str | None, int], frozenset[date]] = {}


def public_holidays(country: str, subdivision: str | None, year: int) -> frozenset[date]:
    """The public holidays of a country (and subdivision) in one year, cached."""
    key = (country, subdivision, year)
    found = _HOLIDAYS.get(key)
    if found is None:
        import holidays

        found = frozenset(holidays.country_holidays(country, subdiv=subdivision, years=year))
        _HOLIDAYS[key] = found
    return found


def closed_days(calendar: Calendar, years: tuple[int, ...]) -> dict[date, str]:
    """The days a calendar is closed in these years, with a name for each: the
    country's public holidays (named in English, whatever the machine's locale)
    and the calendar's listed dates ("Closed"). What desks' schedules receive."""
    days: dict[date, str] = {}
    if calendar.holiday_country:
        import holidays

        found = holidays.country_holidays(
            calendar.holiday_country,
            subdiv=calendar.holiday_subdivision,
            years=years,
            language="en_US",
        )
        days.update({day: str(name) for day, name in found.items()})
    for day in calendar.holiday_dates:  # listed dates count whatever their year
        days.setdefault(day, "Closed")
    for year in years:  # days closed every year (29 February in leap years only)
        for month, number in calendar.holiday_days:
            try:
                days.setdefault(date(year, month, number), "Closed")
            except ValueError:
                continue
    return dict(sorted(days.items()))


_KNOWN_REGIONS: set[tuple[str, str | None]] = set()


def _check_holidays(calendar: Calendar) -> None:
    region = (calendar.holiday_country or "", calendar.holiday_subdivision)
    if region in _KNOWN_REGIONS:
        return
    import holidays

    try:
        holidays.country_holidays(region[0], subdiv=region[1], years=())
    except NotImplementedError as error:
        raise ValueError(
            f"calendar {calendar.name!r}: holidays: {error} "
            "(use an ISO 3166 code the `holidays` package knows, e.g. SE or US)"
        ) from None
    _KNOWN_REGIONS.add(region)


@dataclass(frozen=True, slots=True)
class _Block:
    """The open intervals inside one block, sorted, merged where they touch."""

    starts: tuple[int, ...]
    ends: tuple[int, ...]
    cum_end: tuple[int, ...]  # open time from the block's start to the end of interval i
    total: int

    def upto(self, at: int) -> int:
        """Open time between the block's start and `at` (inside the block)."""
        i = bisect_right(self.starts, at) - 1
        if i < 0:
            return 0
        end = self.ends[i]
        return self.cum_end[i] - (end - at if at < end else 0)


class BusinessClock:
    """Business-time arithmetic on one calendar. Inputs are aware datetimes
    (ValueError when naive); outputs are aware UTC datetimes."""

    def __init__(self, calendar: Calendar) -> None:
        self.calendar = calendar
        self._always = calendar.always_open
        self._never = not any(calendar.hours)
        try:
            self._zone = ZoneInfo(calendar.timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                f"calendar {calendar.name!r}: unknown timezone {calendar.timezone!r} "
                "(use an IANA name such as Europe/Stockholm or America/New_York)"
            ) from None
        if calendar.holiday_country:
            _check_holidays(calendar)
        self._blocks: dict[int, _Block] = {}

    def __repr__(self) -> str:
        return f"BusinessClock({self.calendar.name!r})"

    # --- queries -----------------------------------------------------------

    def is_open(self, at: datetime) -> bool:
        """Whether the calendar is open at this instant (open ranges are [start, end))."""
        u = to_micros(at)
        if self._always:
            return True
        block = self._block(u // _BLOCK)
        i = bisect_right(block.starts, u) - 1
        return i >= 0 and u < block.ends[i]

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        """Business time in [start, end); zero when end <= start."""
        a, b = to_micros(start), to_micros(end)
        if b <= a:
            return timedelta(0)
        if self._always:
            return timedelta(microseconds=b - a)
        ka, kb = a // _BLOCK, b // _BLOCK
        block = self._block(ka)
        if ka == kb:
            return timedelta(microseconds=block.upto(b) - block.upto(a))
        total = block.total - block.upto(a)
        for k in range(ka + 1, kb):
            total += self._block(k).total
        return timedelta(microseconds=total + self._block(kb).upto(b))

    def add(self, start: datetime, amount: timedelta) -> datetime:
        """The earliest instant t >= start with elapsed(start, t) == amount.

        So `add(s, 0)` is s itself (open or not), and an amount that runs out
        exactly at closing time gives the closing instant, not the next opening.
        A negative amount is a ValueError."""
        s = to_micros(start)
        wanted = amount // _ONE_US
        if wanted < 0:
            raise ValueError(f"cannot add a negative business time ({amount})")
        if wanted == 0 or self._always:
            return from_micros(s + wanted)
        self._check_opens(start)
        k = s // _BLOCK
        block = self._block(k)
        target = block.upto(s) + wanted
        closed_run = 0
        while target > block.total:
            target -= block.total
            closed_run = closed_run + 1 if block.total == 0 else 0
            if closed_run > HORIZON_BLOCKS:
                raise self._never_opens(start)
            k += 1
            block = self._block(k)
        i = bisect_left(block.cum_end, target)
        return from_micros(block.ends[i] - (block.cum_end[i] - target))

    def next_open(self, at: datetime) -> datetime:
        """`at` (in UTC) if open, else the start of the next open stretch."""
        u = to_micros(at)
        if self._always:
            return from_micros(u)
        self._check_opens(at)
        k = u // _BLOCK
        block = self._block(k)
        i = bisect_right(block.starts, u) - 1
        if i >= 0 and u < block.ends[i]:
            return from_micros(u)
        return from_micros(self._next_start(k, i + 1, at))

    def next_change(self, at: datetime) -> datetime:
        """The next instant after `at` when open turns closed or closed turns open.

        An open calendar that stays open for the search horizon (e.g. `24x7`)
        returns NEVER; a calendar that never opens is a ValueError."""
        u = to_micros(at)
        if self._always:
            return NEVER
        self._check_opens(at)
        k = u // _BLOCK
        block = self._block(k)
        i = bisect_right(block.starts, u) - 1
        if not (i >= 0 and u < block.ends[i]):
            return from_micros(self._next_start(k, i + 1, at))
        end = block.ends[i]
        for _ in range(HORIZON_BLOCKS):
            if end != (k + 1) * _BLOCK:  # the stretch ends inside this block
                return from_micros(end)
            k += 1
            block = self._block(k)
            if not block.starts or block.starts[0] != end:
                return from_micros(end)
            end = block.ends[0]
        return NEVER

    # --- internals ---------------------------------------------------------

    def _next_start(self, k: int, i: int, at: datetime) -> int:
        block = self._block(k)
        for _ in range(HORIZON_BLOCKS + 1):
            if i < len(block.starts):
                return block.starts[i]
            k, i = k + 1, 0
            block = self._block(k)
        raise self._never_opens(at)

    def _check_opens(self, at: datetime) -> None:
        if self._never:
            raise self._never_opens(at)

    def _never_opens(self, at: datetime) -> ValueError:
        return ValueError(
            f"calendar {self.calendar.name!r} has no open hours in the 3 years after "
            f"{at.isoformat()}: give it hours in spec.hours, e.g. mon-fri: 08:00-17:00"
        )

    def _block(self, k: int) -> _Block:
        block = self._blocks.get(k)
        if block is None:
            block = self._blocks[k] = self._build(k)
        return block

    def _build(self, k: int) -> _Block:
        lo, hi = k * _BLOCK, (k + 1) * _BLOCK
        day = self._local_date(lo) - _ONE_DAY
        last = self._local_date(hi) + _ONE_DAY
        hours = self.calendar.hours
        starts: list[int] = []
        ends: list[int] = []
        midnight = self._instant(day, 0)
        while day <= last:
            ranges = hours[day.weekday()]
            following = self._instant(day + _ONE_DAY, 0)
            # A day of exactly 24 real hours has no clock change (days with two
            # changes that cancel out do not occur in tzdata), so its minutes map
            # by arithmetic; only the rare change days take the zoneinfo path.
            plain = following - midnight == 86400 * _US
            if ranges and not self._holiday(day):
                if plain:
                    pieces = [
                        (midnight + first * 60 * _US, midnight + stop * 60 * _US)
                        for first, stop in ranges
                    ]
                else:
                    pieces = sorted(p for r in ranges for p in self._pieces(day, *r))
                for s, e in pieces:
                    s, e = max(s, lo), min(e, hi)
                    if s >= e:
                        continue
                    if ends and s <= ends[-1]:
                        ends[-1] = max(ends[-1], e)
                    else:
                        starts.append(s)
                        ends.append(e)
            day += _ONE_DAY
            midnight = following
        cum_end: list[int] = []
        total = 0
        for s, e in zip(starts, ends, strict=True):
            total += e - s
            cum_end.append(total)
        return _Block(tuple(starts), tuple(ends), tuple(cum_end), total)

    def _holiday(self, day: date) -> bool:
        calendar = self.calendar
        if calendar.closed_on(day):
            return True
        if calendar.holiday_country:
            country, subdivision = calendar.holiday_country, calendar.holiday_subdivision
            return day in public_holidays(country, subdivision, day.year)
        return False

    def _local_date(self, micros: int) -> date:
        return from_micros(micros).astimezone(self._zone).date()

    def _pieces(self, day: date, first: int, stop: int) -> list[tuple[int, int]]:
        """The UTC stretches during which the wall clock of a change day shows a
        time in [first, stop): two when the range starts or ends inside the
        repeated autumn hour (its first pass, and its second from the change)."""
        s0, s1 = self._instant(day, first), self._instant(day, first, fold=1)
        e0, e1 = self._instant(day, stop), self._instant(day, stop, fold=1)
        if s0 == s1 and e0 == e1:
            return [(s0, e0)]
        early, late = (s0, s1) if s0 != s1 else (e0, e1)
        change = self._transition(early // _US, late // _US) * _US
        return [(s0, min(e0, change)), (max(s1, change), e1)]

    def _instant(self, day: date, minute: int, fold: int = 0) -> int:
        """The UTC instant (epoch microseconds) of a local wall-clock minute of
        `day`: its first occurrence, or with fold=1 its second (the same but
        inside an autumn fold)."""
        wall = datetime(day.year, day.month, day.day) + timedelta(minutes=minute)
        local = wall.replace(tzinfo=self._zone, fold=fold)
        seconds = (local - _EPOCH) // timedelta(seconds=1)
        back = datetime.fromtimestamp(seconds, self._zone).replace(tzinfo=None)
        if back != wall:  # inside a spring-forward gap: the transition, whatever the fold
            after = (wall.replace(tzinfo=self._zone, fold=0) - _EPOCH) // timedelta(seconds=1)
            earlier = (wall.replace(tzinfo=self._zone, fold=1) - _EPOCH) // timedelta(seconds=1)
            seconds = self._transition(earlier, after)
        return seconds * _US

    def _transition(self, before: int, after: int) -> int:
        """The first second at or before `after` with `after`'s UTC offset."""
        offset = datetime.fromtimestamp(after, self._zone).utcoffset()
        while after - before > 1:
            middle = (before + after) // 2
            if datetime.fromtimestamp(middle, self._zone).utcoffset() == offset:
                after = middle
            else:
                before = middle
        return after


_CLOCKS: dict[tuple[str, int], BusinessClock] = {}


def clock_for(calendar: Calendar) -> BusinessClock:
    """The shared clock of a calendar (cached by name and identity: a policy
    reloaded with a changed calendar gets a fresh clock)."""
    key = (calendar.name, id(calendar))
    clock = _CLOCKS.get(key)
    if clock is None or clock.calendar is not calendar:
        if len(_CLOCKS) >= 256:
            _CLOCKS.clear()
        clock = _CLOCKS[key] = BusinessClock(calendar)
    return clock
