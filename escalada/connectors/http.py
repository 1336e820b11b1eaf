"""HTTP resilience for every desk, in one place.

Each client library brings its own retry loop, and each is wrong for a runner:
jira's ResilientSession and urllib3's Retry sleep for real, zenpy loops forever
on 429, and pysnc drops the status code of the error it raises. So connectors
switch those off (jira `max_retries=0`, pysnc `auto_retry=False`, zenpy with no
budget is never reached because 429s stop here) and mount `ResilientAdapter`
on the session the library uses. The adapter:

- puts a timeout on every call;
- retries 429 (honouring Retry-After), 502, 503, 504, connection resets and
  timeouts with exponential backoff and full jitter, bounded in attempts and in
  total time slept, on an injected `sleep` so tests never wait;
- raises `DeskUnavailable` (a DeskError) when the bound is reached;
- logs method, path and status only: never headers, bodies or query strings.

Errors that retrying cannot fix (400, 401, 403, 404, 409) come back as the
response, so the library raises its own error, which the connector turns into
one clear DeskError with `error_for_status`.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter

from escalada.errors import DeskError
from escalada.errors import DeskUnavailable

log = logging.getLogger("escalada.http")

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    attempts: int = 5  # tries in all, the first included
    base_delay: float = 1.0  # seconds; doubles each retry, capped at max_delay
    max_delay: float = 30.0
    max_total: float = 120.0  # seconds slept in all for one request


def retry_after_seconds(headers: Mapping[str, str], *, now: float | None = None) -> float | None:
    """Retry-After as seconds: delta-seconds or an HTTP date; None if absent or unreadable."""
    value = headers.get("Retry-After")
    if value is None:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        moment = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError):
        return None
    return max(0.0, moment - (time.time() if now is None else now))


def _operation(request: requests.PreparedRequest) -> str:
    return f"{request.method} {urlsplit(request.url or '').path}"


class ResilientAdapter(HTTPAdapter):
    """A requests transport adapter with escalada's timeouts and retries."""

    def __init__(
        self,
        desk: str,
        *,
        policy: RetryPolicy = RetryPolicy(),
        timeout: float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
    ) -> None:
        super().__init__(max_retries=0)
        self.desk = desk
        self.policy = policy
        self.timeout = timeout
        self.sleep = sleep
        self.jitter = jitter
        self.calls = 0  # attempts sent, retries included
        self.retries = 0

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        if verify is False:  # TLS verification is always on (DESIGN.md, Guarantees)
            verify = True
        timeout = timeout if timeout is not None else self.timeout
        slept = 0.0
        attempt = 0
        while True:
            attempt += 1
            self.calls += 1
            failure: str
            retry_after: float | None = None
            try:
                response = super().send(request, stream, timeout, verify, cert, proxies)
            except (requests.ConnectionError, requests.Timeout) as error:
                failure = type(error).__name__
                last_error: BaseException | None = error
            else:
                if response.status_code not in RETRYABLE_STATUSES:
                    return response
                failure = f"HTTP {response.status_code}"
                retry_after = retry_after_seconds(response.headers)
                last_error = None
                response.close()
            delay = self._delay(attempt, retry_after)
            if attempt >= self.policy.attempts or slept + delay > self.policy.max_total:
                raise DeskUnavailable(
                    self.desk,
                    _operation(request),
                    f"{failure} after {attempt} attempts over {slept:.0f}s of backoff",
                    hint="the desk is down or rate-limiting this client; the next cycle will "
                    "try again (lower the polling frequency if this repeats)",
                ) from last_error
            log.info(
                "desk %s: %s -> %s, retrying in %.1fs (attempt %d/%d)",
                self.desk,
                _operation(request),
                failure,
                delay,
                attempt + 1,
                self.policy.attempts,
            )
            self.sleep(delay)
            slept += delay
            self.retries += 1

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1))
        # full jitter: spreads out runners that failed together
        jittered = float(backoff * self.jitter())
        return max(retry_after, jittered) if retry_after is not None else jittered


def mount_resilience(session: requests.Session, desk: str, **options: Any) -> ResilientAdapter:
    """Mount a ResilientAdapter for every URL the session may call; returns it (for counters)."""
    adapter = ResilientAdapter(desk, **options)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    session.verify = True
    return adapter


_HINTS = {
    400: "the desk rejected the request: a mapped value (field id, priority, group) in the "
    "Desk document is probably wrong; run `escalada desks check`",
    401: "the credentials were refused: check the variables or files named in the Desk's auth",
    403: "the account lacks a permission this operation needs; see the README's "
    "least-privilege scopes for this desk",
    404: "not found: check the Desk's url and the mapped ids; run `escalada desks check`",
    409: "the record changed on the desk while escalada was writing; the next cycle re-reads it",
    413: "the desk refused the size of the request",
    422: "the desk refused the values sent: check the Desk's mappings",
}


def error_for_status(
    desk: str,
    operation: str,
    status: int | None,
    detail: str = "",
    *,
    hint: str | None = None,
) -> DeskError:
    """One clear DeskError for a response retrying cannot fix."""
    detail = " ".join(detail.split())[:300]
    message = f"HTTP {status}" if status else "request failed"
    if detail:
        message += f": {detail}"
    return DeskError(desk, operation, message, status=status, hint=hint or _HINTS.get(status or 0))
