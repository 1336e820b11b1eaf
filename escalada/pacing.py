"""One rate budget per desk account, shared by every request made to it.

A desk counts requests per account (Zendesk: 400 a minute on Professional), so
every connector of one account in a process draws from one `RateBudget`, and a
runner that is one of N shards (`--shard I/N`) takes 1/N of it. The budget is a
token bucket in the GCRA form: `burst` requests may go at once, then one every
`1 / fill` seconds, with `burst + fill * per <= requests`, so no window of the
rate's length (a minute for `400/min`) ever holds more than the rate allows,
whether the desk counts in fixed or in sliding windows.

What the desk answers adjusts it: a limit header lower than the budget lowers it
(never higher than configured), nothing remaining holds it until the reset, and a
429's Retry-After holds it for everyone sharing it (`hold`). The clock and the
sleep are injected (connectors.base.Wiring): the bench runs on a simulated
clock, tests freeze it; a sleep taken through the budget counts as time passed,
so a frozen clock does not make waits grow."""

from __future__ import annotations

import math
import re
import threading
import time
from collections.abc import Callable
from collections.abc import Hashable
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone

UNITS: Mapping[str, float] = {
    "s": 1.0,
    "sec": 1.0,
    "second": 1.0,
    "min": 60.0,
    "minute": 60.0,
    "h": 3600.0,
    "hour": 3600.0,
}
_SHOWN = {1.0: "s", 60.0: "min", 3600.0: "h"}
_RATE = re.compile(r"\s*([0-9]{1,9})\s*/\s*([a-z]+)\s*", re.ASCII)
MAX_HOLD = 3600.0  # seconds; a reset further away than this is not believed
MAX_IN_FLIGHT = 8  # requests of one budget a runner keeps in flight at most (in_flight)
LATENCY_WINDOW = 20  # the latency is a moving mean over about this many answers

# the headers that carry the account's limit, what is left of it, and when it resets
# (docs/desks/*.md: Zendesk X-Rate-Limit and ratelimit-*, Jira and ServiceNow X-RateLimit-*)
LIMIT_HEADERS = ("x-rate-limit", "ratelimit-limit", "x-ratelimit-limit")
REMAINING_HEADERS = ("x-rate-limit-remaining", "ratelimit-remaining", "x-ratelimit-remaining")
RESET_HEADERS = ("ratelimit-reset", "x-ratelimit-reset")


class RateError(ValueError):
    """A rate that is not `N/s`, `N/min` or `N/h`."""


@dataclass(frozen=True, slots=True)
class Rate:
    """`requests` per `per` seconds."""

    requests: float
    per: float

    @property
    def per_second(self) -> float:
        return self.requests / self.per

    def share(self, count: int) -> Rate:
        """The part one of `count` shards takes."""
        return Rate(self.requests / count, self.per)

    def __str__(self) -> str:
        amount = f"{self.requests:.2f}".rstrip("0").rstrip(".")
        unit = _SHOWN.get(self.per)
        return f"{amount}/{unit}" if unit else f"{amount}/{self.per:g}s"


def parse_rate(text: str) -> Rate:
    """`400/min`, `10/s`, `5000/h` (also sec, second, minute, hour): a whole number
    of requests above 0, in ASCII digits, per second, minute or hour."""
    found = _RATE.fullmatch(text) if isinstance(text, str) else None
    if found is None or found.group(2) not in UNITS or int(found.group(1)) <= 0:
        raise RateError(
            f"{text!r} is not a rate: write requests per second, minute or hour as a "
            "whole number above 0, e.g. 400/min, 10/s or 5000/h"
        )
    return Rate(int(found.group(1)), UNITS[found.group(2)])


def in_flight(per_second: float | None, latency: float | None, cap: int = MAX_IN_FLIGHT) -> int:
    """How many requests at once a budget of `per_second` can use when a call takes
    `latency` seconds: rate x latency, rounded up, from 1 to `cap`. 1 with no rate
    (nothing to fill) or no latency known: one at a time is then as fast as the
    budget lets anything go, or all there is to go on."""
    if not per_second or not latency or not math.isfinite(per_second * latency):
        return 1
    wanted = math.ceil(per_second * latency - 1e-9)  # 2.0000000001 is 2, not 3
    return max(1, min(cap, wanted))


def _whole(value: str | None) -> int | None:
    """A header's non-negative whole number, or None (absent, junk, absurd)."""
    if value is None:
        return None
    value = value.strip()
    if not (value.isascii() and value.isdigit()) or len(value) > 12:
        return None
    return int(value)


class RateBudget:
    """A token bucket that threads share: `acquire` before each request.

    `rate` None: no pace of its own, only the holds the desk asks for (a 429's
    Retry-After, nothing remaining) are shared."""

    def __init__(
        self,
        rate: Rate | None,
        *,
        share: int = 1,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not isinstance(share, int) or share < 1:
            raise ValueError(f"a budget's share is a whole number of 1 or more, not {share!r}")
        self.share = share
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._floor = -math.inf  # the clock has passed this (a sleep through the budget)
        self._tat = -math.inf  # GCRA: when the bucket would next be empty
        self._answers = 0
        self._latency = 0.0  # seconds from request to answer, a moving mean (served)
        self._configured = rate.share(share) if rate is not None else None
        self._set(self._configured)

    def _set(self, rate: Rate | None) -> None:
        self.rate = rate
        if rate is None:
            self.burst, self.fill, self._interval, self._tolerance = 0, math.inf, 0.0, 0.0
            return
        self.burst = max(1, int(rate.requests // 20))
        left = rate.requests - self.burst
        self.fill = (left if left >= rate.requests / 2 else rate.requests) / rate.per
        self._interval = 1.0 / self.fill
        self._tolerance = (self.burst - 1) * self._interval

    def __repr__(self) -> str:
        return f"RateBudget({self.rate or 'unpaced'}, burst={self.burst})"

    def _now(self) -> float:
        return max(self._clock(), self._floor)

    def acquire(self) -> float:
        """Wait until one more request may go (at once while the burst lasts);
        returns the seconds waited."""
        with self._lock:
            now = self._now()
            start = max(self._tat, now)
            wait = start - self._tolerance - now
            wait = wait if wait > 1e-3 else 0.0  # float error in the sums (Unix seconds) is no wait
            self._tat = start + self._interval
        if wait > 0:
            self._wait(now, wait)
        return wait

    def sleep(self, seconds: float) -> None:
        """Sleep, and count it as time passed (a retry's backoff goes through here)."""
        with self._lock:
            now = self._now()
        self._wait(now, seconds)

    def _wait(self, since: float, seconds: float) -> None:
        self._sleep(seconds)
        with self._lock:
            self._floor = max(self._floor, since + seconds)

    def hold(self, seconds: float) -> None:
        """No request goes for `seconds` from now (the desk's Retry-After), then the
        pace resumes without a burst: for every thread sharing the budget."""
        seconds = min(max(0.0, seconds), MAX_HOLD)
        with self._lock:
            until = self._now() + seconds
            self._tat = max(self._tat, until + self._tolerance)

    def clock(self) -> float:
        """The budget's clock (Unix seconds), on which a call's latency is measured."""
        return self._clock()

    def served(self, seconds: float) -> None:
        """One answer came `seconds` after its request went (the wait for the budget
        and any backoff left out): the mean latency of the account's calls."""
        if not (seconds >= 0 and math.isfinite(seconds)):
            return
        with self._lock:
            self._answers += 1
            self._latency += (seconds - self._latency) / min(self._answers, LATENCY_WINDOW)

    @property
    def latency(self) -> float | None:
        """Seconds a call takes to be answered, a mean over about the last 20; None
        before the first answer."""
        return self._latency if self._answers else None

    def in_flight(self, cap: int = MAX_IN_FLIGHT) -> int:
        """Requests at once this budget can use (`in_flight` of its rate, as lowered by
        the desk's answers, and the calls' latency); 1 for a budget with no rate of its
        own. The rate, not the slightly lower pace after the burst: with one request
        more in flight the burst is used, and a latency a little above the mean does
        not make the budget wait for the requests."""
        rate = self.rate.per_second if self.rate is not None else None
        return in_flight(rate, self.latency, cap)

    def seconds_for(self, requests: int) -> float:
        """How long `requests` take at this budget, from a full bucket."""
        if self.rate is None:
            return 0.0
        return max(0, requests - self.burst) * self._interval

    def observe(self, headers: Mapping[str, str]) -> None:
        """Adapt to a response's rate headers: a lower limit lowers the budget to this
        runner's share of it (read in the budget's own window: Zendesk's are per
        minute, ServiceNow's rules per hour); fewer requests remaining than shards
        holds the budget until the reset."""
        lowered = {str(name).lower(): value for name, value in headers.items()}
        limit = next((v for v in map(_whole, map(lowered.get, LIMIT_HEADERS)) if v), None)
        with self._lock:
            rate = self.rate
            if limit is not None and rate is not None and limit / self.share < rate.requests:
                self._set(Rate(limit / self.share, rate.per))
        remaining = next(
            (v for v in map(_whole, map(lowered.get, REMAINING_HEADERS)) if v is not None), None
        )
        if remaining is None or remaining >= self.share:
            return
        reset = self._reset_in(lowered)
        if reset is not None and reset > 0:
            self.hold(reset)

    def _reset_in(self, headers: Mapping[str, str]) -> float | None:
        """Seconds to the window's reset: Zendesk's ratelimit-reset (seconds),
        ServiceNow's X-RateLimit-Reset (Unix time), Jira's (ISO 8601)."""
        with self._lock:
            now = self._now()
        for name in RESET_HEADERS:
            value = (headers.get(name) or "").strip()
            if not value:
                continue
            number = _whole(value)
            if number is not None:
                return float(number) - now if number > 1_000_000_000 else float(number)
            try:
                moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
            except ValueError:
                continue
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=timezone.utc)
            return moment.timestamp() - now
        return None


class Budgets:
    """The process's budgets by account: every connector of one desk account (and
    the same clock, sleep, rate and share) draws from one RateBudget, across cycles."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._budgets: dict[Hashable, RateBudget] = {}

    def get(
        self,
        account: Hashable,
        rate: Rate | None,
        *,
        share: int = 1,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        key: Hashable = None,
    ) -> RateBudget:
        """The budget of this account, made on first use. `key` tells apart budgets
        of one account on different clocks (tests, the bench)."""
        whole = (account, rate, share, key)
        with self._lock:
            found = self._budgets.get(whole)
            if found is None:
                found = self._budgets[whole] = RateBudget(
                    rate, share=share, clock=clock, sleep=sleep
                )
            return found


BUDGETS = Budgets()
