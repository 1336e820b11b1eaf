"""Notifier.send_many: a burst of messages, concurrent across channels, paced per
webhook, and one digest for a channel with many (on the webhook fakes of
`responses`, as tests/test_notify.py)."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from typing import Any
from typing import cast

import requests
import responses

from escalada.notify import DIGEST_THRESHOLD
from escalada.notify import SLACK_DIGEST_ITEMS
from escalada.notify import TEAMS_DIGEST_BYTES
from escalada.notify import Notifier
from escalada.policy.model import Channel
from escalada.policy.model import SecretRef
from escalada.secrets import resolve
from tests.test_notify import CHANNELS
from tests.test_notify import ENV
from tests.test_notify import HOOK
from tests.test_notify import MESSAGE
from tests.test_notify import SLACK
from tests.test_notify import TEAMS
from tests.test_notify import assert_no_secret
from tests.test_pacing import SimClock as Clock


def notifier(clock: Clock, **options: Any) -> Notifier:
    return Notifier(
        CHANNELS,
        resolve_secret=lambda ref: resolve(ref, environ=ENV),
        sleep=clock.sleep,
        clock=clock,
        **options,
    )


def message(i: int) -> Any:
    return replace(MESSAGE, ticket=f"T-{i}", title=f"Outage {i}", url=f"https://d/t/{i}")


def bodies(url: str) -> list[Any]:
    return [
        json.loads(cast("str | bytes", c.request.body))
        for c in responses.calls
        if c.request.url == url
    ]


@responses.activate
def test_results_come_in_input_order_across_channels() -> None:
    responses.post(SLACK, body="ok")
    responses.post(HOOK, status=404, body="no such hook")
    items = [("sd-leads", message(1)), ("ops", message(2)), ("sd-leads", message(3))]
    results = notifier(Clock()).send_many(items)
    assert [(r.channel, r.ok) for r in results] == [
        ("sd-leads", True),
        ("ops", False),
        ("sd-leads", True),
    ]
    assert [b["text"].split(": ")[1] for b in bodies(SLACK)] == ["<https://d/t/1|T-1>"] * 1 + [
        "<https://d/t/3|T-3>"
    ]
    results = notifier(Clock()).send_many([])
    assert results == []


@responses.activate
def test_messages_to_one_slack_webhook_go_about_one_a_second() -> None:
    clock = Clock()
    stamps: list[float] = []

    def slack(request: Any) -> Any:
        stamps.append(clock())
        return 200, {}, "ok"

    responses.add_callback("POST", SLACK, callback=slack)
    items = [("sd-leads", message(i)) for i in range(DIGEST_THRESHOLD)]
    results = notifier(clock).send_many(items)
    assert all(r.ok for r in results) and len(stamps) == DIGEST_THRESHOLD
    gaps = [b - a for a, b in zip(stamps, stamps[1:], strict=False)]
    assert min(gaps) >= 1.0 - 1e-6  # Slack: 1 message a second per webhook


@responses.activate
def test_channels_are_sent_to_at_once() -> None:
    """Two channels, two threads: a slow Teams post does not hold Slack's."""
    started = threading.Event()
    release = threading.Event()

    def slow_teams(request: Any) -> Any:
        started.set()
        assert release.wait(5), "the Slack post did not go while Teams was in flight"
        return 200, {}, "1"

    def slack(request: Any) -> Any:
        assert started.wait(5)
        release.set()
        return 200, {}, "ok"

    responses.add_callback("POST", TEAMS, callback=slow_teams)
    responses.add_callback("POST", SLACK, callback=slack)
    results = notifier(Clock()).send_many([("net", message(1)), ("sd-leads", message(2))])
    assert [r.ok for r in results] == [True, True]


@responses.activate
def test_more_than_the_threshold_for_one_channel_is_one_digest() -> None:
    responses.post(SLACK, body="ok")
    responses.post(HOOK, body="ok")
    many = [("sd-leads", message(i)) for i in range(DIGEST_THRESHOLD + 1)]
    items = [*many, ("ops", message(99))]
    results = notifier(Clock()).send_many(items)
    assert len(results) == len(items) and all(r.ok for r in results)
    (digest,) = bodies(SLACK)
    assert digest["text"] == f"{DIGEST_THRESHOLD + 1} escalations on zendesk-prod"
    sections = [b["text"]["text"] for b in digest["blocks"][1:]]
    assert len(sections) == DIGEST_THRESHOLD + 1
    assert sections[0].startswith("<https://d/t/0|T-0> Outage 0\nlevel 1 (network-l2): No response")
    assert len(bodies(HOOK)) == 1  # the other channel as a single message
    # the digest's result is each message's it carried
    assert len({id(r) for r in results[: DIGEST_THRESHOLD + 1]}) == 1


@responses.activate
def test_a_slack_digest_keeps_to_slacks_block_limit_and_counts_the_rest() -> None:
    responses.post(SLACK, body="ok")
    items = [("sd-leads", replace(message(i), reason="x" * 5000)) for i in range(120)]
    notifier(Clock()).send_many(items)
    (digest,) = bodies(SLACK)
    assert len(digest["blocks"]) <= 50
    assert digest["blocks"][-1]["elements"][0]["text"] == (
        f"and {120 - SLACK_DIGEST_ITEMS} more (see the desk)"
    )
    assert all(len(b["text"]["text"]) <= 3000 for b in digest["blocks"] if "text" in b)


@responses.activate
def test_a_teams_digest_stays_under_the_message_size_limit() -> None:
    responses.post(TEAMS, body="1")
    items = [("net", replace(message(i), reason="y" * 900)) for i in range(200)]
    notifier(Clock()).send_many(items)
    (digest,) = bodies(TEAMS)
    assert len(json.dumps(digest).encode("utf-8")) < 28_000
    body = digest["attachments"][0]["content"]["body"]
    assert body[-1]["text"].startswith("and ") and TEAMS_DIGEST_BYTES < 28_000


@responses.activate
def test_a_generic_webhook_digest_carries_every_payload() -> None:
    responses.post(HOOK, body="ok")
    items = [("ops", message(i)) for i in range(DIGEST_THRESHOLD + 2)]
    notifier(Clock()).send_many(items)
    (digest,) = bodies(HOOK)
    assert digest["event"] == "digest" and digest["count"] == DIGEST_THRESHOLD + 2
    assert [item["ticket"] for item in digest["items"]] == [f"T-{i}" for i in range(12)]


@responses.activate
def test_a_digest_that_may_have_arrived_is_maybe_delivered_for_every_ticket_it_carried() -> None:
    responses.post(SLACK, body=requests.ReadTimeout("read timed out"))
    items = [("sd-leads", message(i)) for i in range(DIGEST_THRESHOLD + 1)]
    results = notifier(Clock()).send_many(items)
    assert all(not r.ok and r.maybe_delivered for r in results)
    assert len(responses.calls) == 1  # at most once: not retried
    assert_no_secret(*(r.error or "" for r in results))


@responses.activate
def test_the_cycles_budget_holds_across_a_burst() -> None:
    """Past the cycle's notification budget the rest is postponed (pending), not sent."""
    responses.post(SLACK, body="ok")
    clock = Clock()
    sender = notifier(clock, budget=3.5)
    results = sender.send_many([("sd-leads", message(i)) for i in range(DIGEST_THRESHOLD)])
    sent = [r for r in results if r.ok]
    assert 3 <= len(sent) <= 5 and len(bodies(SLACK)) == len(sent)
    assert all("spent" in (r.error or "") for r in results if not r.ok)
    assert not any(r.maybe_delivered for r in results)


@responses.activate
def test_the_threshold_and_the_pace_are_the_notifiers_to_set() -> None:
    responses.post(HOOK, body="ok")
    channels = {"ops": Channel("ops", "webhook", SecretRef("env", "HOOK_OPS"))}
    sender = Notifier(
        channels,
        resolve_secret=lambda ref: resolve(ref, environ=ENV),
        sleep=lambda s: None,
        digest_threshold=2,
    )
    sender.send_many([("ops", message(i)) for i in range(3)])
    assert [b["event"] for b in bodies(HOOK)] == ["digest"]


@responses.activate
def test_a_channel_whose_secret_does_not_resolve_costs_no_pacing() -> None:
    """Nothing is posted when the webhook secret is missing: each message fails at
    once, without waiting a second apiece for a pace no request uses."""
    clock = Clock()
    lost = Notifier(
        CHANNELS,
        resolve_secret=lambda ref: resolve(ref, environ={}),
        sleep=clock.sleep,
        clock=clock,
    )
    items = [("sd-leads", message(i)) for i in range(DIGEST_THRESHOLD)]
    results = lost.send_many(items)
    assert [r.ok for r in results] == [False] * DIGEST_THRESHOLD
    assert all("not set" in (r.error or "") for r in results)
    assert sum(clock.slept) == 0 and not responses.calls
