"""Business time around the instant a runner cycle evaluates at.

A cycle evaluates every ticket at one instant, `now`, and most of the
business-time questions the engine asks are about that instant: time elapsed
from a ticket's opening up to `now` (or up to its response, before `now`), and
the instant after `now` at which a level falls due. A `Timeline` answers them
from the calendar's open stretches around `now`, read once from the calendar
itself (`BusinessClock.is_open` and `next_change`, so holidays and clock
changes stay the calendar's business), as sorted arrays with running sums:
one bisection per question instead of the clock's block arithmetic.
Outside its window it answers None and the caller asks the clock.

`Timelines` builds one per calendar once enough evaluations ask at the same
instant (a single `explain` never pays for one).
"""

from __future__ import annotations

from bisect import bisect_left
from bisect import bisect_right
from datetime import datetime
from datetime import timedelta

from escalada.engine.calendars import NEVER
from escalada.engine.calendars import BusinessClock
from escalada.engine.calendars import from_micros
from escalada.engine.calendars import to_micros

BACK = timedelta(days=56)  # how far before `now` the window reaches
AHEAD = timedelta(days=56)  # and after it
BUILD_AFTER = 32  # questions at one instant before a calendar's timeline is built

_US = timedelta(microseconds=1)
_UNKNOWN = object()


class Timeline:
    """The open stretches of one calendar from `now - BACK` to `now + AHEAD`."""

    __slots__ = (
        "now",
        "_lo",
        "_starts",
        "_ends",
        "_to_now",
        "_after",
        "_ahead_ends",
        "_ahead_sums",
    )

    def __init__(self, clock: BusinessClock, now: datetime) -> None:
        """Raises ValueError when the calendar never opens (as the clock does)."""
        lo, hi = now - BACK, now + AHEAD
        n = to_micros(now)
        self.now = now
        self._lo = to_micros(lo)
        starts: list[int] = []  # stretches before now, clipped at now
        ends: list[int] = []
        ahead_ends: list[int] = []  # stretches after now, clipped at now
        ahead_sums: list[int] = []  # open time from now to the end of each
        total = 0
        at, opened = lo, clock.is_open(lo)
        start = at
        while at < hi:
            change = clock.next_change(at)
            change = hi if change == NEVER or change > hi else change
            if opened:
                s, e = to_micros(start), to_micros(change)
                if s < n:
                    starts.append(s)
                    ends.append(min(e, n))
                if e > n:
                    total += e - max(s, n)
                    ahead_ends.append(e)
                    ahead_sums.append(total)
            else:
                start = change
            opened = not opened
            at = change
        # open time from the start of stretch i up to now, and after the last one: 0
        to_now = [0] * (len(starts) + 1)
        for i in range(len(starts) - 1, -1, -1):
            to_now[i] = to_now[i + 1] + ends[i] - starts[i]
        self._starts, self._ends, self._to_now = starts, ends, to_now
        self._after = [-left for left in to_now[1:]]  # -(open time after stretch i), ascending
        self._ahead_ends, self._ahead_sums = ahead_ends, ahead_sums

    def to_now(self, start: datetime) -> timedelta | None:
        """Business time in [start, now); None when `start` is before the window."""
        u = to_micros(start)
        if u < self._lo:
            return None
        i = bisect_right(self._starts, u) - 1
        if i < 0:
            return timedelta(microseconds=self._to_now[0])
        end = self._ends[i]
        if u >= end:
            return timedelta(microseconds=self._to_now[i + 1])
        return timedelta(microseconds=self._to_now[i] - (u - self._starts[i]))

    def before_now(self, rest: timedelta) -> datetime | None:
        """The earliest instant t with `rest` of business time in [t, now), as
        the clock's `add(start, to_now(start) - rest)` for a start before it;
        None when that is not inside the window."""
        wanted = rest // _US
        if not self._starts or wanted >= self._to_now[0] or wanted < 0:
            return None
        i = bisect_left(self._after, -wanted)
        return from_micros(self._ends[i] - wanted - self._after[i])

    def after_now(self, amount: timedelta) -> datetime | None:
        """The earliest instant t >= now with `amount` (> 0) of business time in
        [now, t), as `BusinessClock.add(now, amount)`; None past the window."""
        wanted = amount // _US
        sums = self._ahead_sums
        if not sums or wanted > sums[-1]:
            return None
        i = bisect_left(sums, wanted)
        return from_micros(self._ahead_ends[i] - (sums[i] - wanted))


class Timelines:
    """One Evaluator's timelines at the instant it last evaluated at.

    The instant and its tables are swapped as one tuple, so threads sharing an
    Evaluator at different instants never read each other's timelines."""

    __slots__ = ("_state",)

    def __init__(self) -> None:
        # (instant, timelines built at it, questions asked at it per calendar)
        self._state: tuple[datetime | None, dict[str, Timeline | None], dict[str, int]] = (
            None,
            {},
            {},
        )

    def line(self, calendar: str, clock: BusinessClock, now: datetime) -> Timeline | None:
        """The calendar's timeline at `now`, or None (not built yet, or the
        calendar never opens: the clock answers, and raises, as before)."""
        at, lines, asked = self._state
        if at is now:
            found = lines.get(calendar, _UNKNOWN)
            if found is not _UNKNOWN:
                return found  # type: ignore[return-value]
        else:
            lines, asked = {}, {}
            self._state = (now, lines, asked)
        count = asked[calendar] = asked.get(calendar, 0) + 1
        if count < BUILD_AFTER:
            return None
        try:
            built: Timeline | None = Timeline(clock, now)
        except ValueError:
            built = None
        lines[calendar] = built
        return built
