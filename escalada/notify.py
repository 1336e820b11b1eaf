"""Escalation messages to Slack, Microsoft Teams and generic webhooks.

A webhook URL is a bearer secret (whoever has it can post to the channel), so
it is resolved from `{env: ...}` / `{file: ...}` only when a message is sent,
and never appears in a log line, an error or a repr: they name the channel and
the host only. A failing webhook never raises: `send` returns a NotifyResult
saying what went wrong, so the runner records it and carries on.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import requests

from escalada import markdown
from escalada.connectors.http import DeadlineAdapter
from escalada.connectors.http import Stopping
from escalada.connectors.http import retry_after_seconds
from escalada.errors import EscaladaError
from escalada.instants import to_iso
from escalada.pacing import Rate
from escalada.pacing import RateBudget
from escalada.policy.model import Channel
from escalada.policy.model import SecretRef
from escalada.secrets import Secret
from escalada.secrets import redact_url
from escalada.secrets import resolve
from escalada.tls import untrusted_certificate

log = logging.getLogger("escalada.notify")

MAX_RETRY_AFTER = 60.0  # seconds; a longer Retry-After fails the send instead of stalling a cycle
MAX_BACKOFF = 30.0
# Seconds a cycle spends on notifications in all (requests and waits): what is
# left when it is spent goes out in a later cycle (the `pending` token), so a
# rate-limited channel cannot hold a scheduled run past its deadline.
CYCLE_BUDGET = 120.0
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"
# Legacy Teams connectors answer a throttled post with HTTP 200 and this text
# (learn.microsoft.com: webhooks-and-connectors/how-to/connectors-using, rate limiting).
TEAMS_THROTTLED = "Microsoft Teams endpoint returned HTTP error 429"
TEAMS_FAILED = "Webhook message delivery failed"


@dataclass(frozen=True, slots=True)
class Notification:
    """One message about one ticket: an escalation (`notify`) or a stakeholder `update`."""

    desk: str
    ticket: str  # the ticket key
    url: str | None  # the ticket's page on the desk
    title: str
    path: str | None
    level: int
    team: str | None
    action: str  # the Action type that asked for it: notify | update
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class NotifyResult:
    ok: bool
    channel: str
    error: str | None = None  # one line; names the channel and host, never the URL
    attempts: int = 0  # HTTP requests made
    # the request went out and no answer came (read timeout): the receiver may have
    # posted it, so it is never sent again (at most once; docs/notifications.md)
    maybe_delivered: bool = False


# --- payloads -------------------------------------------------------------------


def headline(message: Notification) -> str:
    """`T-1 escalated to level 2 (network-l2) on critical-outage`."""
    where = f" ({message.team})" if message.team else ""
    where += f" on {message.path}" if message.path else ""
    if message.action == "update":
        return f"Update: {message.ticket} is escalated at level {message.level}{where}"
    return f"{message.ticket} escalated to level {message.level}{where}"


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _slack_escape(text: str) -> str:
    # Slack's three control characters: with them escaped, a ticket title such as
    # "<!channel>" is shown as typed instead of paging the whole channel.
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_link(url: str | None, label: str) -> str:
    if not url:
        return _slack_escape(label)
    safe = url.replace("<", "%3C").replace(">", "%3E").replace("|", "%7C")
    return f"<{safe}|{_slack_escape(label)}>"


def slack_payload(message: Notification) -> dict[str, Any]:
    """An incoming-webhook message: `text` is the notification fallback, `blocks` the body."""
    link = _slack_link(message.url, message.ticket)
    title = _slack_escape(_clip(message.title, 500))
    reason = _slack_escape(_clip(message.reason, 2500))
    details = [message.desk, f"level {message.level}", f"{to_iso(message.at)}"]
    if message.path:
        details.insert(1, f"path {message.path}")
    if message.team:
        details.insert(-1, f"team {message.team}")
    return {
        "text": f"{_slack_escape(headline(message))}: {link}: {reason}",
        "blocks": [
            {
                "type": "section",
                "text": {
                    "type": "mrkdwn",
                    "text": f"*{_slack_escape(headline(message))}*\n{link} {title}",
                },
            },
            {"type": "section", "text": {"type": "mrkdwn", "text": reason}},
            {
                "type": "context",
                "elements": [{"type": "mrkdwn", "text": _slack_escape(" · ".join(details))}],
            },
        ],
    }


def _teams_escape(text: str) -> str:
    """Ticket text shown as typed in a Teams card: `[click](https://evil)` is no link.
    TextBlock text is markdown: bold, italic, lists and links (learn.microsoft.com,
    adaptive-cards "Text features"); escalada.markdown escapes what starts them."""
    return markdown.escape(text)


def teams_payload(message: Notification) -> dict[str, Any]:
    """An Adaptive Card in a `message` envelope: the form both Teams Workflows
    ("when a Teams webhook request is received") and incoming webhooks accept.
    The ticket's key, title and the reason (which quotes the title) are escaped
    for the card's markdown."""
    link_title = f"Open {message.ticket}"
    message = replace(
        message,
        ticket=_teams_escape(message.ticket),
        title=_teams_escape(message.title),
        reason=_teams_escape(message.reason),
    )
    facts = [("Desk", message.desk), ("Ticket", message.ticket), ("Level", str(message.level))]
    if message.path:
        facts.append(("Path", message.path))
    if message.team:
        facts.append(("Team", message.team))
    facts.append(("At", to_iso(message.at)))
    card: dict[str, Any] = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [
            {
                "type": "TextBlock",
                "text": headline(message),
                "weight": "Bolder",
                "size": "Medium",
                "wrap": True,
            },
            {
                "type": "TextBlock",
                "text": f"{message.ticket}: {_clip(message.title, 500)}",
                "isSubtle": True,
                "wrap": True,
            },
            {"type": "TextBlock", "text": _clip(message.reason, 2500), "wrap": True},
            {"type": "FactSet", "facts": [{"title": t, "value": v} for t, v in facts]},
        ],
    }
    if message.url:
        card["actions"] = [{"type": "Action.OpenUrl", "title": link_title, "url": message.url}]
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }


def webhook_payload(message: Notification) -> dict[str, Any]:
    """A flat JSON object for any receiver (an incident tool, a chat bridge, a script)."""
    return {
        "event": "escalation",
        "desk": message.desk,
        "ticket": message.ticket,
        "title": message.title,
        "url": message.url,
        "path": message.path,
        "level": message.level,
        "team": message.team,
        "action": message.action,
        "reason": message.reason,
        "at": to_iso(message.at),
    }


PAYLOAD_BY_TYPE: Mapping[str, Callable[[Notification], dict[str, Any]]] = {
    "slack": slack_payload,
    "teams": teams_payload,
    "webhook": webhook_payload,
}


# --- digests: many messages for one channel in one call -------------------------

# More messages than this for one channel in one `send_many` go out as one digest.
DIGEST_THRESHOLD = 10
# Slack: at most 50 blocks a message, 3000 characters a section's text
# (docs.slack.dev/reference/block-kit/blocks); one section per ticket, the rest counted.
SLACK_DIGEST_ITEMS = 45
# Teams: a webhook message is at most 28 KB (learn.microsoft.com, "Send messages
# using incoming webhooks": message size limit); the card is cut well below it.
TEAMS_DIGEST_BYTES = 24_000


def _digest_headline(messages: Sequence[Notification]) -> str:
    desks = sorted({m.desk for m in messages})
    return f"{len(messages)} escalations on {', '.join(desks)}"


def _digest_line(message: Notification) -> str:
    return f"level {message.level}" + (f" ({message.team})" if message.team else "")


def slack_digest(messages: Sequence[Notification]) -> dict[str, Any]:
    """One Slack message listing many: a section per ticket (link, title, level,
    reason), up to SLACK_DIGEST_ITEMS, then how many more."""
    head = _slack_escape(_digest_headline(messages))
    blocks: list[dict[str, Any]] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": f"*{head}*"}}
    ]
    for message in messages[:SLACK_DIGEST_ITEMS]:
        link = _slack_link(message.url, message.ticket)
        title = _slack_escape(_clip(message.title, 300))
        reason = _slack_escape(_clip(message.reason, 1500))
        text = f"{link} {title}\n{_slack_escape(_digest_line(message))}: {reason}"
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": _clip(text, 3000)}})
    left = len(messages) - SLACK_DIGEST_ITEMS
    if left > 0:
        more = f"and {left} more (see the desk)"
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": more}]})
    return {"text": head, "blocks": blocks}


def teams_digest(messages: Sequence[Notification]) -> dict[str, Any]:
    """One Adaptive Card listing many, cut before Teams' message size limit."""
    body: list[dict[str, Any]] = [
        {
            "type": "TextBlock",
            "text": _digest_headline(messages),
            "weight": "Bolder",
            "size": "Medium",
            "wrap": True,
        }
    ]
    size = 0
    shown = 0
    for message in messages:
        label = f"[{message.ticket}]({message.url})" if message.url else message.ticket
        text = (
            f"{label} {_clip(message.title, 300)} - {_digest_line(message)}: "
            f"{_clip(message.reason, 1000)}"
        )
        size += len(text.encode("utf-8")) + 80
        if size > TEAMS_DIGEST_BYTES:
            break
        body.append({"type": "TextBlock", "text": text, "wrap": True})
        shown += 1
    if shown < len(messages):
        body.append(
            {"type": "TextBlock", "text": f"and {len(messages) - shown} more", "isSubtle": True}
        )
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
    }
    return {
        "type": "message",
        "attachments": [{"contentType": ADAPTIVE_CARD, "contentUrl": None, "content": card}],
    }


def webhook_digest(messages: Sequence[Notification]) -> dict[str, Any]:
    """Every message's own payload, in one object (`event: digest`)."""
    return {
        "event": "digest",
        "count": len(messages),
        "items": [webhook_payload(message) for message in messages],
    }


DIGEST_BY_TYPE: Mapping[str, Callable[[Sequence[Notification]], dict[str, Any]]] = {
    "slack": slack_digest,
    "teams": teams_digest,
    "webhook": webhook_digest,
}

# Seconds between two posts to one webhook in a burst. Slack: "1 per second" for
# posting messages, short bursts allowed (docs.slack.dev/apis/web-api/rate-limits);
# Teams: throttled per webhook (learn.microsoft.com, connectors-using, rate
# limiting), the same one a second chosen; generic webhooks publish nothing:
# five a second chosen.
PACE_BY_TYPE: Mapping[str, Rate] = {
    "slack": Rate(1, 1.0),
    "teams": Rate(1, 1.0),
    "webhook": Rate(5, 1.0),
}
MAX_CHANNEL_THREADS = 8  # channels sent to at once in a burst


# --- sending --------------------------------------------------------------------


class _Transient(Exception):
    """A failure worth retrying; `wait` is the server's Retry-After, if it gave one."""

    def __init__(self, text: str, wait: float | None = None) -> None:
        super().__init__(text)
        self.text = text
        self.wait = wait


class _Permanent(Exception):
    def __init__(self, text: str, *, maybe_delivered: bool = False) -> None:
        super().__init__(text)
        self.text = text
        self.maybe_delivered = maybe_delivered


class Notifier:
    """Sends Notifications to the policy's channels by name."""

    def __init__(
        self,
        channels: Mapping[str, Channel],
        *,
        session: requests.Session | None = None,
        resolve_secret: Callable[[SecretRef], str] = resolve,
        sleep: Callable[[float], None] = time.sleep,
        attempts: int = 3,
        timeout: float = 10.0,
        budget: float = CYCLE_BUDGET,
        clock: Callable[[], float] = time.monotonic,
        digest_threshold: int = DIGEST_THRESHOLD,
        pace: Mapping[str, Rate] = PACE_BY_TYPE,
    ) -> None:
        if attempts < 1:
            raise ValueError("attempts must be at least 1")
        self.channels = channels
        self._session = session
        self._resolve_secret = resolve_secret
        self._sleep = sleep
        self._attempts = attempts
        self._timeout = timeout
        self._budget = budget
        self._clock = clock
        self._deadline = clock() + budget
        self._blocked: dict[str, float] = {}  # channel -> clock time its Retry-After ends
        self._urls: dict[str, Secret] = {}
        self._lock = threading.Lock()
        self._digest_threshold = digest_threshold
        self._pace_by_type = pace
        self._paces: dict[SecretRef, RateBudget] = {}  # by webhook secret: its pace
        self._sessions: dict[str, requests.Session] = {}  # by channel, when none is given

    def __repr__(self) -> str:
        return f"Notifier(channels={sorted(self.channels)!r})"

    def begin_cycle(self) -> None:
        """Start a new cycle's notification budget (the runner calls it each cycle)."""
        with self._lock:
            self._deadline = self._clock() + self._budget
            self._blocked.clear()

    def _left(self) -> float:
        return self._deadline - self._clock()

    def send(self, channel_name: str, message: Notification) -> NotifyResult:
        """Post one message; retries 429, 5xx and connection failures, never raises.

        Within the cycle's budget only: past it, or while a channel's Retry-After
        lasts, a message fails at once without a request, and the runner's
        `pending` token has a later cycle send it."""
        return self._deliver(
            channel_name, lambda channel: PAYLOAD_BY_TYPE[channel.type](message), message.ticket
        )

    def _deliver(
        self,
        channel_name: str,
        payload: Callable[[Channel], dict[str, Any]],
        label: str,
    ) -> NotifyResult:
        """Post one body to a channel (`label` names it in the log: the ticket, or
        the digest); what `send` does, for a message or a digest."""
        channel = self.channels.get(channel_name)
        if channel is None:
            known = ", ".join(sorted(self.channels)) or "none"
            return NotifyResult(
                False, channel_name, f"no Channel named {channel_name!r} (known: {known})"
            )
        try:
            url = self._url(channel)
        except EscaladaError as unresolved:
            return NotifyResult(False, channel_name, f"channel {channel_name!r}: {unresolved}")
        host = redact_url(url)
        body = json.dumps(payload(channel), ensure_ascii=False)
        attempt = 0
        while True:
            postponed = self._postponed(channel_name)
            if postponed is not None:
                text = f"channel {channel_name!r} ({host}): {postponed}"
                log.warning("%s: not sent: %s", label, text)
                return NotifyResult(False, channel_name, text, attempt)
            attempt += 1
            try:
                self._post(channel, url, body, channel_name)
            except _Permanent as failure:
                text = f"channel {channel_name!r} ({host}): {failure.text}"
                log.warning("%s: not sent: %s", label, text)
                return NotifyResult(
                    False, channel_name, text, attempt, maybe_delivered=failure.maybe_delivered
                )
            except _Transient as failure:
                delay = self._delay(attempt, failure.wait)
                if delay is not None and delay > self._left():
                    delay = None
                if attempt >= self._attempts or delay is None:
                    why = f"{failure.text} after {attempt} attempt{'s' * (attempt > 1)}"
                    if delay is None and failure.wait is not None:
                        why += f" (the server asked to wait {failure.wait:.0f}s)"
                        with self._lock:
                            self._blocked[channel_name] = self._clock() + failure.wait
                    text = f"channel {channel_name!r} ({host}): {why}"
                    log.warning("%s: not sent: %s", label, text)
                    return NotifyResult(False, channel_name, text, attempt)
                log.info(
                    "channel %s (%s): %s, retrying in %.1fs (attempt %d/%d)",
                    channel_name,
                    host,
                    failure.text,
                    delay,
                    attempt + 1,
                    self._attempts,
                )
                self._sleep(delay)
                continue
            log.info("%s: sent to channel %s (%s)", label, channel_name, host)
            return NotifyResult(True, channel_name, None, attempt)

    def send_many(self, items: Sequence[tuple[str, Notification]]) -> list[NotifyResult]:
        """Post many messages; results in input order, never raises.

        Channels are sent to at once (a thread each, at most MAX_CHANNEL_THREADS);
        within one channel the messages go in order, paced per webhook
        (PACE_BY_TYPE). More than `digest_threshold` for one channel go out as ONE
        digest listing them, whose result is each one's: one maybe-delivered
        digest is maybe-delivered for every ticket it carried (never re-sent), one
        postponed digest is postponed for all. The cycle's budget holds as in `send`."""
        results: list[NotifyResult | None] = [None] * len(items)
        by_channel: dict[str, list[int]] = {}
        for index, (name, _) in enumerate(items):
            by_channel.setdefault(name, []).append(index)

        def channel(name: str, indexes: list[int]) -> None:
            known = self.channels.get(name)
            if known is not None and len(indexes) > self._digest_threshold:
                messages = [items[i][1] for i in indexes]
                result = self._deliver(
                    name,
                    lambda c: DIGEST_BY_TYPE[c.type](messages),
                    f"digest of {len(messages)}",
                )
                for i in indexes:
                    results[i] = result
                return
            pace = self._pace(known) if known is not None else None
            if known is not None:
                try:
                    self._url(known)
                except EscaladaError:
                    pace = None  # the secret does not resolve: nothing is posted, no wait
            for i in indexes:
                if pace is not None and self._left() > 0:
                    pace.acquire()
                results[i] = self.send(name, items[i][1])

        groups = list(by_channel.items())
        if len(groups) == 1:
            channel(*groups[0])
        elif groups:
            workers = min(MAX_CHANNEL_THREADS, len(groups))
            with ThreadPoolExecutor(workers, thread_name_prefix="escalada-notify") as pool:
                for done in [pool.submit(channel, name, indexes) for name, indexes in groups]:
                    done.result()
        return [r for r in results if r is not None]

    def _pace(self, channel: Channel) -> RateBudget:
        """The webhook's pace, shared by channels posting to the same webhook secret."""
        with self._lock:
            found = self._paces.get(channel.url)
            if found is None:
                rate = self._pace_by_type.get(channel.type, PACE_BY_TYPE["webhook"])
                found = self._paces[channel.url] = RateBudget(
                    rate, clock=self._clock, sleep=self._sleep
                )
            return found

    def _postponed(self, channel_name: str) -> str | None:
        """Why no request goes out now, or None: the cycle's budget is spent, or
        the channel asked to wait longer than this cycle has left."""
        if self._left() <= 0:
            return (
                f"the cycle's {self._budget:.0f}s for notifications is spent; "
                "a later cycle sends it (pending)"
            )
        with self._lock:
            until = self._blocked.get(channel_name)
        if until is not None and until > self._clock():
            return "rate limited (Retry-After) for the rest of this cycle; a later cycle sends it"
        return None

    def _url(self, channel: Channel) -> Secret:
        with self._lock:
            cached = self._urls.get(channel.name)
        if cached is not None:
            return cached
        value = self._resolve_secret(channel.url)
        url = value if isinstance(value, Secret) else Secret(value)
        parts = urlsplit(url)
        if parts.scheme != "https" or not parts.hostname:
            shown = f"{parts.scheme}://{parts.hostname}" if parts.scheme else "not a URL"
            raise EscaladaError(
                f"the webhook URL in {channel.url} must be an https:// URL (it is {shown})",
                hint="copy the full https URL the chat tool gave you; escalada only sends "
                "webhook secrets over verified TLS",
            )
        _redact_in_library_logs(url)
        with self._lock:
            self._urls[channel.name] = url
        return url

    def _post(self, channel: Channel, url: str, body: str, channel_name: str) -> None:
        session = self._session_or_new(channel_name)
        try:
            response = session.post(
                url,
                data=body.encode("utf-8"),
                headers={"Content-Type": "application/json; charset=utf-8"},
                timeout=self._timeout,
                verify=True,
                allow_redirects=False,  # a redirect would re-send the message elsewhere
            )
        except Stopping:
            # refused before it left: not delivered, so its pending token stays
            raise _Permanent("not sent: the run is stopping") from None
        except requests.ReadTimeout:
            # the message may have arrived: retrying could post it twice
            raise _Permanent(
                f"no answer within {self._timeout:.0f}s (the message may have been "
                "delivered, so it is not sent again)",
                maybe_delivered=True,
            ) from None
        except requests.exceptions.SSLError as error:
            untrusted = untrusted_certificate(error)
            if untrusted is None:  # a handshake cut short: the network's, retried
                raise _Transient(_scrub(f"{type(error).__name__}: {error}", url)) from None
            # retrying cannot make a certificate trusted (as for the desks,
            # escalada.connectors.http); the host alone: the URL's path is the secret
            raise _Permanent(
                f"{_host(url)}: certificate not trusted ({untrusted}); if the chat "
                "tool is reached through a proxy that inspects TLS, point REQUESTS_CA_BUNDLE "
                "at a PEM file with its CA (verification is never turned off)"
            ) from None
        except (requests.ConnectionError, requests.Timeout) as error:
            raise _Transient(_scrub(f"{type(error).__name__}: {error}", url)) from None
        except requests.RequestException as error:
            raise _Permanent(_scrub(f"{type(error).__name__}: {error}", url)) from None
        status = response.status_code
        text = _scrub(" ".join(response.text.split())[:200], url)
        if status == 429:
            raise _Transient("HTTP 429 (rate limited)", retry_after_seconds(response.headers))
        if status >= 500:
            raise _Transient(f"HTTP {status}" + (f": {text}" if text else ""))
        if 300 <= status < 400:
            raise _Permanent(f"HTTP {status}: the webhook URL redirects; use the final URL")
        if status >= 400:
            hint = _HINTS.get(status, "")
            raise _Permanent(f"HTTP {status}" + (f": {text}" if text else "") + hint)
        if channel.type == "teams" and TEAMS_THROTTLED in response.text:
            raise _Transient("Teams rate limit (HTTP 429 reported in a 200 reply)")
        if channel.type == "teams" and TEAMS_FAILED in response.text:
            raise _Permanent(f"Teams refused the message: {text}")

    def _session_or_new(self, channel_name: str) -> requests.Session:
        """The session given, else one per channel: a DeadlineAdapter's watchdog ends
        every request of its adapter, so channels posting at once (send_many) each
        have their own, and one slow receiver's deadline ends only its own post."""
        with self._lock:
            if self._session is not None:
                self._session.verify = True
                return self._session
            session = self._sessions.get(channel_name)
            if session is None:
                session = self._sessions[channel_name] = requests.Session()
                # a total deadline per post: a receiver trickling its answer is a
                # read timeout (may have been delivered), not a stuck cycle
                adapter = DeadlineAdapter(deadline=2 * self._timeout, max_retries=0)
                session.mount("https://", adapter)
                session.mount("http://", adapter)
            session.verify = True
            return session

    def _delay(self, attempt: int, retry_after: float | None) -> float | None:
        """Seconds to wait before the next attempt; None when the server asks too much."""
        if retry_after is not None:
            return retry_after if retry_after <= MAX_RETRY_AFTER else None
        return min(MAX_BACKOFF, 2.0 ** (attempt - 1))


_HINTS = {
    400: " (the receiver rejected the payload: check the Channel's type matches the URL)",
    401: " (the webhook refused the credentials in its URL: create a new one)",
    403: " (the webhook is not allowed to post: check it is still enabled)",
    404: " (the webhook does not exist any more: create a new one and update the secret)",
    410: " (the webhook or its channel was removed: create a new one and update the secret)",
}


def _host(url: str) -> str:
    """The host (and port) of a webhook URL: never its path, query or user part."""
    parts = urlsplit(url)
    return (parts.hostname or "?") + (f":{parts.port}" if parts.port is not None else "")


def _scrub(text: str, url: str) -> str:
    """`text` with the URL, its path and its query replaced by the redacted form."""
    parts = urlsplit(url)
    text = text.replace(url, redact_url(url))
    if len(parts.path) > 1:
        text = text.replace(parts.path, "/***")
    if parts.query:
        text = text.replace(parts.query, "***")
    return text


class _RedactFilter(logging.Filter):
    """urllib3 logs each request line (`"POST /services/T0/B0/XYZ HTTP/1.1" 200`)
    at DEBUG, which `--debug` shows: the secret part of a webhook URL is its path."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        scrubbed = text
        for url in tuple(self.urls):
            scrubbed = _scrub(scrubbed, url)
        if scrubbed != text:
            record.msg, record.args = scrubbed, ()
        return True


_FILTER = _RedactFilter()


def _redact_in_library_logs(url: str) -> None:
    _FILTER.urls.add(url)
    for name in ("urllib3.connectionpool", "requests"):
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
