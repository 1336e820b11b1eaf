"""What every desk fake shares: routing on `responses`, call counters, and
faults injected at chosen calls.

A fake registers only the routes its desk really has; anything else is refused
by `responses` with a ConnectionError, so a connector that calls a wrong URL
fails its test instead of being answered."""

from __future__ import annotations

import json
import math
import re
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import requests
import responses

from tests.contracts import check as contracts

Reply = tuple[int, dict[str, str], str]
Handler = Callable[[requests.PreparedRequest, "re.Match[str]"], Reply]

FAULTS = ("400", "429", "500", "502", "503", "504", "reset", "timeout", "401", "403", "404", "409")


@dataclass
class Fault:
    kind: str
    method: str | None  # None: any method
    path: re.Pattern[str] | None  # None: any path
    times: int
    retry_after: int | None = 1
    after: int = 0  # let this many matching calls through first


def query(request: requests.PreparedRequest) -> dict[str, list[str]]:
    return parse_qs(urlsplit(request.url or "").query, keep_blank_values=True)


def first(request: requests.PreparedRequest, name: str, default: str | None = None) -> str | None:
    values = query(request).get(name)
    return values[0] if values else default


def body(request: requests.PreparedRequest) -> Any:
    raw = request.body
    if raw is None or raw == b"" or raw == "":
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("utf-8")
    assert isinstance(raw, str), "the fakes read whole bodies, not streamed ones"
    return json.loads(raw)


def reply(status: int, payload: Any = None, headers: dict[str, str] | None = None) -> Reply:
    text = "" if payload is None else json.dumps(payload)
    return status, {"Content-Type": "application/json", **(headers or {})}, text


class FakeServer:
    """Routes, counters and faults for one fake desk at `base_url`.

    Every request a route serves, and the reply its handler gives, is checked
    against the desk's contract (`contract`: a key of tests/contracts/check.py
    FILES; None for none). Injected faults and refusals are not checked."""

    contract: str | None = None
    unchecked = False  # a test bending replies on purpose sets this

    def __init__(self, mock: responses.RequestsMock, base_url: str) -> None:
        self.mock = mock
        self.base_url = base_url.rstrip("/")
        self.calls: Counter[str] = Counter()  # by route name
        self.faults: list[Fault] = []
        self.faulted: Counter[str] = Counter()  # faults served, by kind
        # the account's rate limit, when a test sets one (`limit_account`)
        self.account_limit: int | None = None
        self._limit_clock: Callable[[], float] = lambda: 0.0
        self._used: Counter[int] = Counter()  # requests served, by minute of the clock
        self._limit_lock = threading.Lock()
        self.rate_limited = 0  # requests refused with 429 past the account's limit
        # endpoint limits, by route name, when a test sets one (`limit_route`)
        self.route_limits: dict[str, int] = {}
        self._route_used: Counter[tuple[str, int]] = Counter()
        self.route_limited = 0  # requests refused with 429 past an endpoint's limit
        # one request served at a time, each whole (the runner's concurrent writes send
        # several at once; a desk applies each request atomically)
        self._serving = threading.RLock()

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def route(
        self, method: str, pattern: str, handler: Handler, *, name: str | None = None
    ) -> None:
        """Serve METHOD base_url+pattern (a regex over the path) with handler(request, match)."""
        route_name = name or f"{method} {pattern}"
        path_re = re.compile(f"^{pattern}$")
        url_re = re.compile(re.escape(self.base_url) + pattern + r"(\?.*)?$")

        def callback(request: requests.PreparedRequest) -> Any:
            with self._serving:
                return serve(request)

        def serve(request: requests.PreparedRequest) -> Any:
            path = urlsplit(request.url or "").path
            match = path_re.match(path)
            assert match is not None, f"route {route_name} got {path}"
            self.calls[route_name] += 1
            limited, rate = self._count_against_limit()
            if limited is not None:
                return limited
            limited = self._count_against_route(route_name)
            if limited is not None:
                return limited
            fault = self._take_fault(method, path)
            if fault is not None:
                return self.fault_reply(fault)
            refusal = self.refuse(request)
            if refusal is not None:
                return refusal
            served = handler(request, match)
            if self.contract is not None and not self.unchecked:
                self.observe(method, request.url or "", request.body, served)
            if rate and isinstance(served, tuple):
                status, headers, text = served
                served = (status, {**headers, **rate}, text)
            return served

        self.mock.add_callback(method, url_re, callback=callback)

    def observe(self, method: str, url: str, raw: Any, served: Any) -> None:
        """Hold one exchange to the contract (a reply that is an exception is not one)."""
        if not isinstance(served, tuple):
            return
        status, _, text = served
        data = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        contracts.observe(str(self.contract), method, url, data, status, text)

    def limit_account(self, per_minute: int, *, clock: Callable[[], float]) -> None:
        """Refuse requests past `per_minute` in each minute of `clock` (Unix seconds)
        with 429, Retry-After to the minute's end and the desk's rate headers, as
        the vendors document their account limits (Zendesk: requests per minute
        per account, developer.zendesk.com/api-reference/introduction/rate-limits;
        ServiceNow's rate limit rules and Jira answer alike, desk-apis.md 1.8, 3.11).
        Every reply served carries the rate headers too (Zendesk's do)."""
        self.account_limit = per_minute
        self._limit_clock = clock

    def limit_route(self, name: str, per_minute: int, *, clock: Callable[[], float]) -> None:
        """Refuse requests to the route `name` past `per_minute` in each minute of
        `clock`, with 429 and Retry-After to the minute's end: an endpoint's own limit
        on top of the account's (Zendesk's search export: 100 requests a minute,
        developer.zendesk.com/api-reference/introduction/rate-limits, desk-apis.md
        2.10). Counted only for requests the account's limit let through."""
        self.route_limits[name] = per_minute
        self._limit_clock = clock

    def _count_against_route(self, name: str) -> Reply | None:
        limit = self.route_limits.get(name)
        if limit is None:
            return None
        now = self._limit_clock()
        minute = int(now // 60)
        with self._limit_lock:
            if self._route_used[name, minute] >= limit:
                self.route_limited += 1
                reset = max(1, math.ceil((minute + 1) * 60 - now))
                return reply(429, self.error_body(429), {"Retry-After": str(reset)})
            self._route_used[name, minute] += 1
        return None

    def _count_against_limit(self) -> tuple[Reply | None, dict[str, str]]:
        if self.account_limit is None:
            return None, {}
        now = self._limit_clock()
        minute = int(now // 60)
        reset = max(1, math.ceil((minute + 1) * 60 - now))
        with self._limit_lock:
            used = self._used[minute]
            if used >= self.account_limit:
                self.rate_limited += 1
                headers = {
                    "Retry-After": str(reset),
                    **self.rate_headers(self.account_limit, 0, now, reset),
                }
                return reply(429, self.error_body(429), headers), {}
            self._used[minute] = used + 1
            left = self.account_limit - used - 1
        return None, self.rate_headers(self.account_limit, left, now, reset)

    def rate_headers(self, limit: int, remaining: int, now: float, reset: int) -> dict[str, str]:
        """The account's limit, what is left of it this minute, and when it resets:
        `X-RateLimit-*` with the reset as Unix time (ServiceNow's form); a desk's fake
        overrides it with its own."""
        return {
            "X-RateLimit-Limit": str(limit),
            "X-RateLimit-Remaining": str(remaining),
            "X-RateLimit-Reset": str(int(now) + reset),
        }

    def inject(
        self,
        kind: str,
        *,
        method: str | None = None,
        path: str | None = None,
        times: int = 1,
        retry_after: int | None = 1,
        after: int = 0,
    ) -> None:
        """Make the next `times` matching calls (after `after` good ones) fail with `kind`."""
        assert kind in FAULTS, kind
        self.faults.append(
            Fault(kind, method, re.compile(path) if path else None, times, retry_after, after)
        )

    def _take_fault(self, method: str, path: str) -> Fault | None:
        for fault in self.faults:
            if fault.times <= 0:
                continue
            if fault.method and fault.method != method:
                continue
            if fault.path and not fault.path.search(path):
                continue
            if fault.after > 0:
                fault.after -= 1
                return None
            fault.times -= 1
            self.faulted[fault.kind] += 1
            return fault
        return None

    def fault_reply(self, fault: Fault) -> Any:
        if fault.kind == "reset":
            return requests.ConnectionError("Connection reset by peer")
        if fault.kind == "timeout":
            return requests.ReadTimeout("Read timed out. (read timeout=30)")
        status = int(fault.kind)
        headers = {}
        if status in (429, 503) and fault.retry_after is not None:
            headers["Retry-After"] = str(fault.retry_after)
        return reply(status, self.error_body(status), headers)

    # Desk fakes override these two with their desk's real shapes.
    def error_body(self, status: int, message: str | None = None) -> Any:
        return {"error": message or f"HTTP {status}"}

    def refuse(self, request: requests.PreparedRequest) -> Reply | None:
        """A reply refusing the request (e.g. 401 for bad credentials), or None to serve it."""
        return None


class ShardClock:
    """A simulated clock for one shard (a process of its own): Unix seconds that
    move only when the shard sleeps. Several shards run at once, each on its own
    clock; a fake's `limit_account(clock=ShardClock.current)` reads the clock the
    calling thread last used (every desk request acquires from its budget, which
    reads its clock, just before it goes), so each request is counted at its
    shard's own time."""

    _local = threading.local()

    def __init__(self, start: float) -> None:
        self.now = start
        self._lock = threading.Lock()

    def __call__(self) -> float:
        ShardClock._local.clock = self
        with self._lock:
            return self.now

    def datetime(self) -> datetime:
        return datetime.fromtimestamp(self(), timezone.utc)

    def sleep(self, seconds: float) -> None:
        ShardClock._local.clock = self
        with self._lock:
            self.now += seconds

    @staticmethod
    def current() -> float:
        clock = getattr(ShardClock._local, "clock", None)
        assert isinstance(clock, ShardClock), "a request before its shard read its clock"
        return clock()
