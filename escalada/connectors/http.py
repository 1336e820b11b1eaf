"""HTTP resilience for every desk, in one place.

Each client library brings its own retry loop, and each is wrong for a runner:
jira's ResilientSession and urllib3's Retry sleep for real, zenpy loops forever
on 429, and pysnc drops the status code of the error it raises. So connectors
switch those off (jira `max_retries=0`, pysnc `auto_retry=False`, zenpy with no
budget is never reached because 429s stop here) and mount `ResilientAdapter`
on the session the library uses. The adapter:

- puts a timeout on every socket operation and a total deadline on every
  request, body included (`DeadlineAdapter`): a server that trickles one byte
  every few seconds never trips a per-read timeout, so a watchdog shuts the
  request's socket down when the deadline passes; `abort_all` does the same
  for every request in flight (SIGTERM ends a run within seconds, mid-read);
- paces every request to the desk account's `RateBudget` (escalada.pacing),
  when it has one: acquires before each attempt, reads the answer's rate
  headers and how long it took into it, and a 429's Retry-After holds it for
  every request sharing it;
- retries 429 (honouring Retry-After), 502, 503, 504, connection resets and
  timeouts with exponential backoff and full jitter, bounded in attempts and in
  total time slept, on an injected `sleep` so tests never wait;
- raises `DeskUnavailable` (a DeskError) when the bound is reached;
- refuses a certificate TLS does not trust at once, naming the host and the fix
  (`certificate_error`): retrying cannot make it trusted;
- logs method, path and status only: never headers, bodies or query strings.

Errors that retrying cannot fix (400, 401, 403, 404, 409) come back as the
response, so the library raises its own error, which the connector turns into
one clear DeskError with `error_for_status`.
"""

from __future__ import annotations

import logging
import random
import socket
import threading
import time
import weakref
from collections.abc import Callable
from collections.abc import Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection
from urllib3.connection import HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool
from urllib3.connectionpool import HTTPSConnectionPool

from escalada.errors import DeskError
from escalada.errors import DeskUnavailable
from escalada.pacing import RateBudget
from escalada.tls import untrusted_certificate

log = logging.getLogger("escalada.http")

RETRYABLE_STATUSES = frozenset({429, 502, 503, 504})
DEFAULT_TIMEOUT = 30.0
DEFAULT_DEADLINE = 90.0  # seconds for one request in all: connect, send, headers and body


class DeadlineExceeded(requests.ReadTimeout):
    """No complete answer by the request's total deadline (or the run was stopped).
    A ReadTimeout: the request may have reached the server."""


class Stopping(DeadlineExceeded):
    """The run is stopping: the request was refused before it left (never sent)."""


_ADAPTERS: weakref.WeakSet[DeadlineAdapter] = weakref.WeakSet()
_STOPPING = threading.Event()


def abort_all() -> None:
    """End every request in flight at once, and refuse new ones (a signal handler
    calls it: shutting a socket down is safe there)."""
    _STOPPING.set()
    for adapter in list(_ADAPTERS):
        adapter.abort("the run is stopping")


def abort_in_flight(reason: str) -> None:
    """End every request in flight at once (a cycle past its budget); later
    requests go out as usual."""
    for adapter in list(_ADAPTERS):
        adapter.abort(reason)


def resume() -> None:
    """Allow requests again after `abort_all` (tests; a run that starts anew)."""
    _STOPPING.clear()


def _pool_classes(
    live: weakref.WeakSet[Any], held: dict[int, Any]
) -> dict[str, type[HTTPConnectionPool]]:
    """Connection pools whose connections register themselves in `live` when they
    connect, and in `held` (by the thread's id) while a request holds them, so a
    watchdog can reach the socket of the request in flight: every one (`abort`),
    or only its own thread's (a deadline)."""

    class Plain(HTTPConnection):
        def connect(self) -> None:
            super().connect()
            live.add(self)

    class Tls(HTTPSConnection):
        def connect(self) -> None:
            super().connect()
            live.add(self)

    def get_conn(pool: HTTPConnectionPool, timeout: float | None) -> Any:
        conn = HTTPConnectionPool._get_conn(pool, timeout)
        held[threading.get_ident()] = conn
        return conn

    def put_conn(pool: HTTPConnectionPool, conn: Any) -> None:
        for ident, holding in list(held.items()):
            if holding is conn:
                held.pop(ident, None)
        HTTPConnectionPool._put_conn(pool, conn)

    class PlainPool(HTTPConnectionPool):
        ConnectionCls = Plain

        def _get_conn(self, timeout: float | None = None) -> Any:
            return get_conn(self, timeout)

        def _put_conn(self, conn: Any) -> None:
            put_conn(self, conn)

    class TlsPool(HTTPSConnectionPool):
        ConnectionCls = Tls

        def _get_conn(self, timeout: float | None = None) -> Any:
            return get_conn(self, timeout)

        def _put_conn(self, conn: Any) -> None:
            put_conn(self, conn)

    return {"http": PlainPool, "https": TlsPool}


class _InFlight:
    """One request's state: whether a watchdog ended it, and why."""

    __slots__ = ("aborted", "reason")

    def __init__(self) -> None:
        self.aborted = False
        self.reason: str | None = None


def _shut(connection: Any) -> None:
    sock = getattr(connection, "sock", None)
    if sock is None:
        return
    try:
        socket.socket.shutdown(sock, socket.SHUT_RDWR)
    except (OSError, TypeError, ValueError):
        pass  # already closed


class DeadlineAdapter(HTTPAdapter):
    """A transport adapter that ends each request at its total deadline.

    The body is read inside `send` (unless streamed) so the deadline covers it.
    The watchdog shuts the socket down with `socket.shutdown` of the plain
    socket (not SSLSocket's, which would unwrap TLS under the reading thread):
    the blocked read returns at once and the request fails with
    DeadlineExceeded.

    Threads may send through one adapter at once (the runner's concurrent
    writes): each request's state is its own, and its deadline shuts down only
    the connection its thread holds, so one slow answer never ends the others."""

    def __init__(self, *, deadline: float = DEFAULT_DEADLINE, **options: Any) -> None:
        self._live: weakref.WeakSet[Any] = weakref.WeakSet()
        self._held: dict[int, Any] = {}  # thread id -> the connection its request holds
        self._in_flight: dict[int, _InFlight] = {}  # thread id -> its request's state
        self._state = threading.Lock()
        self.deadline = deadline
        super().__init__(**options)
        _ADAPTERS.add(self)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = _pool_classes(self._live, self._held)

    def proxy_manager_for(self, proxy: str, **kwargs: Any) -> Any:
        manager = super().proxy_manager_for(proxy, **kwargs)
        manager.pool_classes_by_scheme = _pool_classes(self._live, self._held)
        return manager

    def abort(self, reason: str | None = None) -> None:
        """End every request in flight on this adapter: shut down every socket it has open."""
        with self._state:
            for state in self._in_flight.values():
                state.aborted, state.reason = True, reason
            connections = list(self._live)
        for connection in connections:
            _shut(connection)

    def _expire(self, thread: int, state: _InFlight) -> None:
        """One request's deadline: shut down the connection its thread holds."""
        with self._state:
            state.aborted = True
            connection = self._held.get(thread)
        if connection is not None:
            _shut(connection)

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
        if _STOPPING.is_set():
            raise Stopping("stopping: no new requests", request=request)
        thread, state, deadline = threading.get_ident(), _InFlight(), self.deadline
        with self._state:
            self._in_flight[thread] = state
        watchdog = threading.Timer(deadline, self._expire, args=(thread, state))
        watchdog.daemon = True
        watchdog.start()
        try:
            response = super().send(request, stream, timeout, verify, cert, proxies)
            if not stream:
                response.content  # noqa: B018 - read the body under the deadline
            return response
        except Exception as error:
            if state.aborted:
                why = state.reason or f"no complete answer within {deadline:.0f}s"
                raise DeadlineExceeded(why, request=request) from error
            raise
        finally:
            watchdog.cancel()
            with self._state:
                self._in_flight.pop(thread, None)


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
    if value.isascii() and value.isdigit():  # "²".isdigit() is True, float("²") fails
        return float(value[:12])  # more than 30,000 years is as good as for ever
    try:
        moment = parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    return max(0.0, moment - (time.time() if now is None else now))


def _operation(request: requests.PreparedRequest) -> str:
    return f"{request.method} {urlsplit(request.url or '').path}"


class ResilientAdapter(DeadlineAdapter):
    """A requests transport adapter with escalada's timeouts, deadline and retries."""

    def __init__(
        self,
        desk: str,
        *,
        policy: RetryPolicy = RetryPolicy(),
        timeout: float = DEFAULT_TIMEOUT,
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
        deadline: float = DEFAULT_DEADLINE,
        budget: RateBudget | None = None,
    ) -> None:
        super().__init__(deadline=deadline, max_retries=0)
        self.desk = desk
        self.budget = budget  # the desk account's, shared; None: unpaced
        self.policy = policy
        self.timeout = timeout
        self.sleep = sleep
        self.jitter = jitter
        self.calls = 0  # attempts sent, retries included
        self.retries = 0
        self._counting = threading.Lock()  # threads may send at once (concurrent writes)

    def send(
        self,
        request: requests.PreparedRequest,
        stream: bool = False,
        timeout: Any = None,
        verify: bool | str = True,
        cert: Any = None,
        proxies: dict[str, str] | None = None,
    ) -> requests.Response:
        timeout = timeout if timeout is not None else self.timeout
        slept = 0.0
        attempt = 0
        while True:
            attempt += 1
            if self.budget is not None:
                self.budget.acquire()
            with self._counting:
                self.calls += 1
            failure: str
            retry_after: float | None = None
            last_error: BaseException | None = None
            sent = self.budget.clock() if self.budget is not None else 0.0
            try:
                response = super().send(request, stream, timeout, verify, cert, proxies)
            except DeadlineExceeded as error:
                # a trickling server would take the whole deadline again: not retried
                raise DeskUnavailable(
                    self.desk,
                    _operation(request),
                    str(error),
                    hint="the desk answered too slowly; the next cycle will try again",
                ) from error
            except requests.exceptions.SSLError as error:
                untrusted = untrusted_certificate(error)
                if untrusted is None:  # a handshake cut short: the network's, retried
                    failure, last_error = type(error).__name__, error
                else:  # retrying cannot make a certificate trusted
                    raise certificate_error(self.desk, request, untrusted) from None
            except (requests.ConnectionError, requests.Timeout) as error:
                failure, last_error = type(error).__name__, error
            else:
                if self.budget is not None:
                    self.budget.served(self.budget.clock() - sent)
                    self.budget.observe(response.headers)
                if response.status_code not in RETRYABLE_STATUSES:
                    return response
                failure = f"HTTP {response.status_code}"
                retry_after = retry_after_seconds(response.headers)
                if self.budget is not None and retry_after is not None:
                    self.budget.hold(retry_after)  # every request to this account waits
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
            if self.budget is not None:
                self.budget.sleep(delay)  # time passed, for the budget too
            else:
                self.sleep(delay)
            slept += delay
            with self._counting:
                self.retries += 1

    def _delay(self, attempt: int, retry_after: float | None) -> float:
        backoff = min(self.policy.max_delay, self.policy.base_delay * 2 ** (attempt - 1))
        # full jitter: spreads out runners that failed together
        jittered = float(backoff * self.jitter())
        return max(retry_after, jittered) if retry_after is not None else jittered


def certificate_error(desk: str, request: requests.PreparedRequest, why: str) -> DeskError:
    """One line for a desk whose certificate is not trusted: the host, what TLS
    said, and the fix (escalada never turns verification off)."""
    parts = urlsplit(request.url or "")
    host = parts.hostname or "?"
    if parts.port is not None:
        host += f":{parts.port}"
    return DeskError(
        desk,
        _operation(request),
        f"{host}: certificate not trusted ({why})",
        hint="if the desk's certificate comes from a private CA (a proxy that inspects TLS, "
        "an on-premises instance), point REQUESTS_CA_BUNDLE at a PEM file with that CA; "
        "check that the URL names the desk's own host; verification is never turned off",
    )


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
