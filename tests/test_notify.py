from __future__ import annotations

import json
import logging
from datetime import datetime
from datetime import timezone
from typing import Any
from typing import cast

import pytest
import requests
import responses

from escalada.notify import Notification
from escalada.notify import Notifier
from escalada.notify import NotifyResult
from escalada.policy.model import Channel
from escalada.policy.model import SecretRef
from escalada.secrets import Secret
from escalada.secrets import resolve

SLACK = "https://hooks.slack.com/services/T0001/B0001/s3cr3tS1ackT0ken"
TEAMS = "https://prod-01.westeurope.logic.azure.com/workflows/abc/triggers/manual/paths/invoke?api-version=2016-06-01&sig=t3amsS1gnature"
HOOK = "https://alerts.example.com/hooks/escalada?token=w3bh00kT0ken"
SECRETS = ("s3cr3tS1ackT0ken", "t3amsS1gnature", "w3bh00kT0ken", "/services/T0001")
ENV = {"SLACK_SD_LEADS": SLACK, "TEAMS_NET": TEAMS, "HOOK_OPS": HOOK, "PLAIN": "http://x.example/h"}

CHANNELS = {
    "sd-leads": Channel("sd-leads", "slack", SecretRef("env", "SLACK_SD_LEADS")),
    "net": Channel("net", "teams", SecretRef("env", "TEAMS_NET")),
    "ops": Channel("ops", "webhook", SecretRef("env", "HOOK_OPS")),
    "missing": Channel("missing", "slack", SecretRef("env", "NOT_SET_ANYWHERE")),
    "plain": Channel("plain", "webhook", SecretRef("env", "PLAIN")),
}

MESSAGE = Notification(
    desk="zendesk-prod",
    ticket="T-1",
    url="https://acme.zendesk.com/agent/tickets/1",
    title="VPN down in Stockholm",
    path="critical-outage",
    level=1,
    team="network-l2",
    action="notify",
    reason="No response within 15m (P1 respond target 15m): network outage for 40 users",
    at=datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc),
)


def notifier(**options: Any) -> tuple[Notifier, list[float]]:
    slept: list[float] = []
    made = Notifier(
        CHANNELS,
        resolve_secret=lambda ref: resolve(ref, environ=ENV),
        sleep=slept.append,
        **options,
    )
    return made, slept


def sent_json(index: int = 0) -> Any:
    return json.loads(cast("str | bytes", responses.calls[index].request.body))


def verified(request: Any) -> bool:
    """True, or the CA bundle requests picked from the environment: verification on."""
    verify = request.req_kwargs["verify"]
    return verify is True or (isinstance(verify, str) and bool(verify))


def assert_no_secret(*texts: str) -> None:
    for text in texts:
        for secret in SECRETS:
            assert secret not in text


# --- payloads --------------------------------------------------------------------


@responses.activate
def test_slack_message_has_fallback_text_blocks_and_a_link() -> None:
    responses.post(SLACK, body="ok")
    result = notifier()[0].send("sd-leads", MESSAGE)
    assert result == NotifyResult(True, "sd-leads", None, 1)
    payload = sent_json()
    link = "<https://acme.zendesk.com/agent/tickets/1|T-1>"
    assert payload["text"] == (
        f"T-1 escalated to level 1 (network-l2) on critical-outage: {link}: {MESSAGE.reason}"
    )
    header, reason, context = payload["blocks"]
    assert header["text"] == {
        "type": "mrkdwn",
        "text": f"*T-1 escalated to level 1 (network-l2) on critical-outage*\n{link} "
        "VPN down in Stockholm",
    }
    assert reason["text"]["text"] == MESSAGE.reason
    assert context["elements"][0]["text"] == (
        "zendesk-prod · path critical-outage · level 1 · team network-l2 · 2026-11-23T10:00:00Z"
    )
    request = responses.calls[0].request
    assert request.headers["Content-Type"] == "application/json; charset=utf-8"
    assert verified(request)


@responses.activate
def test_slack_control_sequences_in_ticket_text_are_escaped() -> None:
    responses.post(SLACK, body="ok")
    hostile = Notification(
        **{**_fields(MESSAGE), "title": "<!channel> call me", "reason": "a & b > c"}
    )
    notifier()[0].send("sd-leads", hostile)
    payload = sent_json()
    assert "<!channel>" not in json.dumps(payload)
    assert "&lt;!channel&gt; call me" in payload["blocks"][0]["text"]["text"]
    assert payload["blocks"][1]["text"]["text"] == "a &amp; b &gt; c"


@responses.activate
def test_teams_markdown_in_ticket_text_is_escaped() -> None:
    """TextBlocks render markdown (links, emphasis, lists): a ticket's title
    cannot make a link or a list in the card; the open button keeps the key."""
    responses.post(TEAMS, status=202)
    hostile = Notification(
        **{
            **_fields(MESSAGE),
            "ticket": "T_1",
            "title": "[Reset your password](https://evil.example) *now*\n- item",
            "reason": "quoted: [x](https://evil.example)",
        }
    )
    assert notifier()[0].send("net", hostile).ok
    card = sent_json()["attachments"][0]["content"]
    title, subtitle, reason, facts = card["body"]
    assert subtitle["text"] == (
        "T\\_1: \\[Reset your password\\](https://evil.example) \\*now\\* - item"
    )
    assert reason["text"] == "quoted: \\[x\\](https://evil.example)"
    assert "T\\_1 escalated" in title["text"]
    assert {f["title"]: f["value"] for f in facts["facts"]}["Ticket"] == "T\\_1"
    assert card["actions"][0]["title"] == "Open T_1"


@responses.activate
def test_teams_message_is_an_adaptive_card_with_an_open_link() -> None:
    responses.post(TEAMS, status=202)
    assert notifier()[0].send("net", MESSAGE).ok
    payload = sent_json()
    assert payload["type"] == "message"
    (attachment,) = payload["attachments"]
    assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"
    card = attachment["content"]
    assert card["type"] == "AdaptiveCard"
    assert card["version"] == "1.4"
    title, subtitle, reason, facts = card["body"]
    assert title["text"] == "T-1 escalated to level 1 (network-l2) on critical-outage"
    assert title["weight"] == "Bolder"
    assert subtitle["text"] == "T-1: VPN down in Stockholm"
    assert reason["text"] == MESSAGE.reason
    assert {f["title"]: f["value"] for f in facts["facts"]} == {
        "Desk": "zendesk-prod",
        "Ticket": "T-1",
        "Level": "1",
        "Path": "critical-outage",
        "Team": "network-l2",
        "At": "2026-11-23T10:00:00Z",
    }
    assert card["actions"] == [{"type": "Action.OpenUrl", "title": "Open T-1", "url": MESSAGE.url}]


@responses.activate
def test_generic_webhook_gets_a_flat_json_object() -> None:
    responses.post(HOOK, status=204)
    assert notifier()[0].send("ops", MESSAGE).ok
    assert sent_json() == {
        "event": "escalation",
        "desk": "zendesk-prod",
        "ticket": "T-1",
        "title": "VPN down in Stockholm",
        "url": "https://acme.zendesk.com/agent/tickets/1",
        "path": "critical-outage",
        "level": 1,
        "team": "network-l2",
        "action": "notify",
        "reason": MESSAGE.reason,
        "at": "2026-11-23T10:00:00Z",
    }


@responses.activate
def test_an_update_reads_as_an_update_and_a_ticket_without_url_has_no_link() -> None:
    responses.post(SLACK, body="ok")
    responses.post(TEAMS, status=202)
    update = Notification(**{**_fields(MESSAGE), "action": "update", "url": None})
    notifier_ = notifier()[0]
    notifier_.send("sd-leads", update)
    notifier_.send("net", update)
    slack, teams = sent_json(0), sent_json(1)
    assert slack["text"].startswith(
        "Update: T-1 is escalated at level 1 (network-l2) on critical-outage: T-1: "
    )
    assert "<" not in slack["text"]
    assert "actions" not in teams["attachments"][0]["content"]


# --- retries and failures -----------------------------------------------------------


@responses.activate
def test_rate_limit_is_retried_after_the_servers_wait() -> None:
    responses.post(SLACK, status=429, headers={"Retry-After": "2"}, body="rate_limited")
    responses.post(SLACK, body="ok")
    sender, slept = notifier()
    result = sender.send("sd-leads", MESSAGE)
    assert result.ok
    assert result.attempts == 2
    assert slept == [2.0]
    assert len(responses.calls) == 2


@responses.activate
def test_server_errors_back_off_exponentially_then_give_up() -> None:
    responses.post(HOOK, status=503, body="upstream down")
    sender, slept = notifier(attempts=3)
    result = sender.send("ops", MESSAGE)
    assert not result.ok
    assert result.attempts == 3
    assert slept == [1.0, 2.0]
    assert result.error == (
        "channel 'ops' (https://alerts.example.com/***): HTTP 503: upstream down after 3 attempts"
    )


@responses.activate
def test_a_long_retry_after_fails_now_instead_of_stalling_the_cycle() -> None:
    responses.post(SLACK, status=429, headers={"Retry-After": "3600"})
    sender, slept = notifier()
    result = sender.send("sd-leads", MESSAGE)
    assert not result.ok
    assert slept == []
    assert "the server asked to wait 3600s" in (result.error or "")


@responses.activate
def test_rate_limiting_cannot_hold_a_cycle_past_its_notification_budget() -> None:
    """Once: six messages under `429 Retry-After: 60` cost 120 s each and outlasted a
    CronJob's deadline. Now the cycle's waits stay within its budget; the rest fail
    at once with no request, for the pending token to send in a later cycle."""
    responses.post(SLACK, status=429, headers={"Retry-After": "60"})
    clock = [0.0]

    def sleep(seconds: float) -> None:
        clock[0] += seconds

    sender = Notifier(
        CHANNELS,
        resolve_secret=lambda ref: resolve(ref, environ=ENV),
        sleep=sleep,
        budget=100.0,
        clock=lambda: clock[0],
    )
    results = [sender.send("sd-leads", MESSAGE) for _ in range(6)]
    assert not any(r.ok or r.maybe_delivered for r in results)
    # one wait of 60 s fits the 100 s budget, the second does not: the channel is
    # then left alone for the rest of the cycle
    assert (clock[0], len(responses.calls)) == (60.0, 2)
    assert [r.attempts for r in results] == [2, 0, 0, 0, 0, 0]
    assert all("rest of this cycle" in (r.error or "") for r in results[1:])
    sender.begin_cycle()  # the next cycle tries again
    sender.send("sd-leads", MESSAGE)
    assert len(responses.calls) == 4  # a request, a wait, a request: as in the first cycle


@responses.activate
def test_a_spent_budget_sends_nothing_more_this_cycle() -> None:
    clock = [0.0]

    def slow_503(request: Any) -> tuple[int, dict[str, str], str]:
        clock[0] += 1.0  # each request takes a second
        return 503, {}, "busy"

    responses.add_callback(responses.POST, HOOK, callback=slow_503)
    sender = Notifier(
        CHANNELS,
        resolve_secret=lambda ref: resolve(ref, environ=ENV),
        sleep=lambda s: clock.__setitem__(0, clock[0] + s),
        budget=2.5,
        clock=lambda: clock[0],
    )
    first = sender.send("ops", MESSAGE)  # a request, a 1 s wait, a request: 3 s
    second = sender.send("ops", MESSAGE)
    assert not first.ok and not second.ok
    assert (first.attempts, second.attempts, len(responses.calls)) == (2, 0, 2)
    assert "the cycle's 2s for notifications is spent" in (second.error or "")


@responses.activate
def test_teams_throttling_inside_a_200_reply_is_retried() -> None:
    throttled = (
        "Webhook message delivery failed with error: "
        "Microsoft Teams endpoint returned HTTP error 429 with ContextId ..."
    )
    responses.post(TEAMS, body=throttled)
    responses.post(TEAMS, body="1")
    sender, slept = notifier()
    result = sender.send("net", MESSAGE)
    assert result.ok
    assert slept == [1.0]


@responses.activate
def test_a_permanent_404_is_reported_not_raised_and_not_retried(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    responses.post(SLACK, status=404, body="no_service")
    sender, slept = notifier()
    result = sender.send("sd-leads", MESSAGE)
    assert not result.ok
    assert result.attempts == 1
    assert slept == []
    assert result.error == (
        "channel 'sd-leads' (https://hooks.slack.com/***): HTTP 404: no_service (the webhook "
        "does not exist any more: create a new one and update the secret)"
    )
    assert "not sent" in caplog.text
    assert_no_secret(result.error or "", caplog.text, repr(result), repr(sender))


@responses.activate
def test_connection_errors_are_retried_and_the_url_is_scrubbed_from_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    refused = requests.ConnectionError(
        f"HTTPSConnectionPool(host='hooks.slack.com', port=443): Max retries exceeded with "
        f"url: /services/T0001/B0001/s3cr3tS1ackT0ken (Caused by ...) while posting to {SLACK}"
    )
    responses.post(SLACK, body=refused)
    responses.post(SLACK, body=refused)
    responses.post(SLACK, body="ok")
    sender, slept = notifier()
    assert sender.send("sd-leads", MESSAGE).ok
    assert slept == [1.0, 2.0]
    responses.post(SLACK, body=refused)
    failed = notifier(attempts=1)[0].send("sd-leads", MESSAGE)
    assert failed.error is not None
    assert "ConnectionError: HTTPSConnectionPool(host='hooks.slack.com'" in failed.error
    assert "url: /*** (Caused by ...) while posting to https://hooks.slack.com/***" in failed.error
    assert_no_secret(failed.error, caplog.text)


@responses.activate
def test_a_read_timeout_is_not_retried_because_the_message_may_have_arrived() -> None:
    responses.post(HOOK, body=requests.ReadTimeout("read timed out"))
    sender, slept = notifier()
    result = sender.send("ops", MESSAGE)
    assert not result.ok
    assert result.attempts == 1
    assert "may have been delivered" in (result.error or "")


@responses.activate
def test_a_redirect_is_not_followed() -> None:
    responses.post(HOOK, status=302, headers={"Location": "https://elsewhere.example/x"})
    result = notifier()[0].send("ops", MESSAGE)
    assert not result.ok
    assert "redirects" in (result.error or "")
    assert len(responses.calls) == 1


@responses.activate
def test_tls_verification_stays_on_even_for_a_session_that_turned_it_off() -> None:
    responses.post(HOOK, status=200)
    session = requests.Session()
    session.verify = False
    sender = Notifier(CHANNELS, session=session, resolve_secret=lambda r: resolve(r, environ=ENV))
    assert sender.send("ops", MESSAGE).ok
    assert verified(responses.calls[0].request)


# --- secrets and configuration ----------------------------------------------------------


def test_a_missing_secret_names_the_variable_and_sends_nothing() -> None:
    result = notifier()[0].send("missing", MESSAGE)
    assert not result.ok
    assert result.error == (
        "channel 'missing': environment variable NOT_SET_ANYWHERE is not set "
        "(export NOT_SET_ANYWHERE=..., or point this secret at a file with {file: PATH})"
    )


def test_a_plain_http_webhook_is_refused() -> None:
    result = notifier()[0].send("plain", MESSAGE)
    assert not result.ok
    assert "must be an https:// URL (it is http://x.example)" in (result.error or "")


def test_an_unknown_channel_is_reported() -> None:
    result = notifier()[0].send("nope", MESSAGE)
    assert result == NotifyResult(
        False, "nope", "no Channel named 'nope' (known: missing, net, ops, plain, sd-leads)"
    )


@responses.activate
def test_secret_file_is_read_once_and_kept_redacted(tmp_path: Any) -> None:
    path = tmp_path / "hook"
    path.write_text(HOOK + "\n")
    responses.post(HOOK, status=200)
    reads: list[SecretRef] = []

    def counting(ref: SecretRef) -> Secret:
        reads.append(ref)
        return resolve(ref)

    channels = {"ops": Channel("ops", "webhook", SecretRef("file", str(path)))}
    sender = Notifier(channels, resolve_secret=counting)
    assert sender.send("ops", MESSAGE).ok
    assert sender.send("ops", MESSAGE).ok
    assert len(reads) == 1
    assert_no_secret(repr(sender), repr(sender.__dict__))


@responses.activate
def test_library_debug_logs_of_the_request_line_are_redacted(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    responses.post(SLACK, body="ok")
    notifier()[0].send("sd-leads", MESSAGE)
    # what urllib3's connection pool logs for each request under `escalada --debug`
    logging.getLogger("urllib3.connectionpool").debug(
        '%s://%s:%s "%s %s %s" %s %s',
        "https",
        "hooks.slack.com",
        443,
        "POST",
        "/services/T0001/B0001/s3cr3tS1ackT0ken",
        "HTTP/1.1",
        200,
        2,
    )
    assert '"POST /*** HTTP/1.1" 200' in caplog.text
    assert_no_secret(caplog.text)


def _fields(message: Notification) -> dict[str, Any]:
    return {name: getattr(message, name) for name in Notification.__dataclass_fields__}
