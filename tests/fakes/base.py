"""What every desk fake shares: routing on `responses`, call counters, and
faults injected at chosen calls.

A fake registers only the routes its desk really has; anything else is refused
by `responses` with a ConnectionError, so a connector that calls a wrong URL
fails its test instead of being answered."""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
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
            path = urlsplit(request.url or "").path
            match = path_re.match(path)
            assert match is not None, f"route {route_name} got {path}"
            self.calls[route_name] += 1
            fault = self._take_fault(method, path)
            if fault is not None:
                return self.fault_reply(fault)
            refusal = self.refuse(request)
            if refusal is not None:
                return refusal
            served = handler(request, match)
            if self.contract is not None and not self.unchecked:
                self.observe(method, request.url or "", request.body, served)
            return served

        self.mock.add_callback(method, url_re, callback=callback)

    def observe(self, method: str, url: str, raw: Any, served: Any) -> None:
        """Hold one exchange to the contract (a reply that is an exception is not one)."""
        if not isinstance(served, tuple):
            return
        status, _, text = served
        data = raw.decode("utf-8") if isinstance(raw, bytes) else raw
        contracts.observe(str(self.contract), method, url, data, status, text)

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
