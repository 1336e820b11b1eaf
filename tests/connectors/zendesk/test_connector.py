"""The Zendesk connector through zenpy against the stateful fake: what the
contract does not cover (the two-PUT split, safe updates, secrets, zenpy's
retry loops, check). Reads and refreshes: test_tickets.py; the runner on
Zendesk: test_runner.py."""

from __future__ import annotations

import base64
import json
import logging
from dataclasses import replace
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import requests
import responses
import zenpy.lib.api

from escalada.connectors import connect
from escalada.connectors.base import Wiring
from escalada.connectors.zendesk.tickets import split_url
from escalada.errors import ConflictError
from escalada.errors import DeskError
from escalada.errors import DeskUnavailable
from escalada.errors import EscaladaError
from escalada.marker import encode
from escalada.ticket import Action
from escalada.ticket import EscalationState
from tests.connectors.contract import NOW
from tests.connectors.contract import OPENED
from tests.connectors.zendesk.harness import ENVIRON
from tests.connectors.zendesk.harness import ZendeskHarness
from tests.connectors.zendesk.harness import zendesk_desk
from tests.fakes.zendesk import ZendeskFake

TOKEN = ENVIRON["ZENDESK_API_TOKEN"]
STATE = EscalationState(path="critical-outage", level=1, since=NOW)


@pytest.fixture
def h():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield ZendeskHarness(ZendeskFake(mock))


def sent(h, route):
    """The requests the fake served on one route (method + path regex)."""
    return [c.request for c in h.fake.mock.calls if route(c.request)]


def puts(h):
    return [
        json.loads(c.request.body)
        for c in h.fake.mock.calls
        if c.request.method == "PUT" and "/tickets/" in c.request.url
    ]


def params(request):
    return parse_qs(urlsplit(request.url).query)


# --- construction ------------------------------------------------------------------


def test_url_is_split_into_subdomain_and_domain():
    assert split_url(zendesk_desk()) == ("acme", "zendesk.com")
    assert split_url(zendesk_desk(url="https://acme.zendesk.eu/")) == ("acme", "zendesk.eu")


@pytest.mark.parametrize(
    "url",
    [
        "http://acme.zendesk.com",
        "https://zendesk.com",
        "https://acme.zendesk.com/agent",
        "https://acme.zendesk.com:8443",  # zenpy would drop the port
        "https://acme.zendesk.com/?token=s3cr3t",
    ],
)
def test_a_url_that_is_not_an_account_url_is_one_clear_error(url):
    with pytest.raises(EscaladaError) as caught:
        connect(zendesk_desk(url=url), wiring=Wiring(environ=ENVIRON))
    assert "https://SUBDOMAIN.zendesk.com" in str(caught.value)
    assert "s3cr3t" not in str(caught.value)


def test_missing_auth_names_what_to_write():
    desk = zendesk_desk(auth={"email": zendesk_desk().auth["email"]})
    with pytest.raises(EscaladaError, match="auth lacks token") as caught:
        connect(desk, wiring=Wiring(environ=ENVIRON))
    assert "ZENDESK_API_TOKEN" in (caught.value.hint or "")


def test_missing_variable_is_named():
    with pytest.raises(EscaladaError, match="ZENDESK_API_TOKEN is not set"):
        connect(zendesk_desk(), wiring=Wiring(environ={"ZENDESK_EMAIL": "a@b.c"}))


def test_validation_knows_the_options_the_connector_reads():
    """The options table lists exactly the options the zendesk package reads."""
    import re
    from pathlib import Path

    import escalada.connectors.zendesk as package
    from escalada.connectors.zendesk.options import OPTIONS

    source = "".join(p.read_text() for p in Path(package.__file__).parent.glob("*.py"))
    read = set(re.findall(r"options\.get\(\"(\w+)\"", source))
    assert read == set(OPTIONS)


def test_our_adapter_is_the_one_zenpy_uses(h):
    connector = h.connector()
    assert connector.client.tickets.session is connector.session
    assert connector.session.get_adapter("https://acme.zendesk.com/api/v2") is connector.adapter
    assert connector.adapter.max_retries.total == 0  # not zenpy's Retry(total=3)


def test_a_429_never_reaches_zenpys_sleep_loop(h, monkeypatch):
    def forbidden(seconds):
        raise AssertionError("zenpy slept")

    monkeypatch.setattr(zenpy.lib.api, "sleep", forbidden)
    key = h.add_ticket(title="Busy desk", created=OPENED)
    connector = h.connector()
    ticket = next(connector.candidates())
    h.fake.inject("429", method="PUT", times=2, retry_after=7)
    connector.apply(ticket, [Action("comment", reason="after two 429s")])
    assert h.sleeps.count(7) == 2
    assert "after two 429s" in h.view(key).notes[-1]
    h.fake.inject("429", method="PUT", times=100, retry_after=3)
    with pytest.raises(DeskUnavailable):
        connector.apply(next(connector.candidates()), [Action("comment", reason="never")])


def test_secrets_stay_out_of_reprs_errors_and_logs(h, caplog):
    caplog.set_level(logging.DEBUG)
    h.add_ticket(title="Secret test", created=OPENED)
    connector = h.connector()
    ticket = next(connector.candidates())
    connector.apply(ticket, [Action("comment", reason="noted")])
    h.fake.token = "rotated"
    with pytest.raises(DeskError) as caught:
        list(connector.candidates())
    basic = base64.b64encode(f"{ENVIRON['ZENDESK_EMAIL']}/token:{TOKEN}".encode()).decode()
    for text in (repr(connector), str(caught.value), caplog.text):
        assert TOKEN not in text and basic not in text
    assert caught.value.status == 401
    assert "credentials" in (caught.value.hint or "")


# --- apply ---------------------------------------------------------------------------


def test_one_safe_update_carries_every_action(h):
    key = h.add_ticket(title="Core switch down", created=OPENED, priority="P2", tags=["outage"])
    connector = h.connector()
    ticket = next(connector.candidates())
    actions = [
        Action("assign", reason="to L2", team="network-l2"),
        Action("set_priority", reason="matrix", priority="P1"),
        Action("comment", reason="No response within 15m"),
        Action("mark", reason="level 1", state=STATE),
    ]
    result = connector.apply(ticket, actions)
    (body,) = puts(h)
    group = h.fake.group_id("Network L2")
    assert body == {
        "ticket": {
            "id": int(key),
            "group_id": group,
            "priority": "urgent",
            "tags": sorted({"outage", *encode(STATE)}),
            "comment": {
                "body": "No response within 15m\n\nescalada-marker: " + " ".join(encode(STATE)),
                "public": False,
            },
            "safe_update": True,
            "updated_stamp": ticket.revision,
        }
    }
    assert result.revision == h.fake.tickets[int(key)]["updated_at"] != ticket.revision


def test_a_tag_a_human_added_after_the_read_makes_the_write_conflict_not_vanish(h):
    key = h.add_ticket(title="Flaky wifi", created=OPENED, tags=["wifi"])
    connector = h.connector()
    ticket = next(connector.candidates())
    h.edit(key, tags=["wifi", "floor-3"])
    with pytest.raises(ConflictError) as caught:
        connector.apply(ticket, [Action("mark", reason="l1", state=STATE)])
    assert caught.value.status == 409 and "Safe Update" in str(caught.value)
    assert h.view(key).tags == {"wifi", "floor-3"}
    fresh = next(connector.candidates())  # what the runner does: re-read, re-evaluate
    connector.apply(fresh, [Action("mark", reason="l1", state=STATE)])
    assert h.view(key).tags == {"wifi", "floor-3", *encode(STATE)}


def test_safe_update_can_be_switched_off(h):
    h.desk = replace(h.desk, options={"safe_update": False})
    key = h.add_ticket(title="Last writer wins", created=OPENED)
    connector = h.connector()
    ticket = next(connector.candidates())
    h.edit(key, title="Edited")
    connector.apply(ticket, [Action("comment", reason="written anyway")])
    assert "safe_update" not in puts(h)[0]["ticket"]


def test_a_reply_and_a_note_are_two_puts_the_reply_last(h):
    key = h.add_ticket(title="Escalate please", created=OPENED, tags=["escalate"])
    connector = h.connector()
    ticket = next(connector.candidates())
    asked = replace(STATE, asked=True)
    result = connector.apply(
        ticket,
        [
            Action("comment", reason="level 1: no response"),
            Action("ask_reason", reason="Why should this be escalated?"),
            Action("mark", reason="l1", state=asked),
        ],
    )
    first, second = puts(h)
    assert first["ticket"]["comment"]["public"] is False
    assert "escalada-asked" not in first["ticket"]["tags"]
    assert second["ticket"]["comment"] == {"body": "Why should this be escalated?", "public": True}
    assert "escalada-asked" in second["ticket"]["tags"]
    assert second["ticket"]["updated_stamp"] != first["ticket"]["updated_stamp"]
    assert result.written == ("comment", "ask_reason", "mark") and result.calls == 2
    assert h.view(key).escalation == asked


def test_when_the_reply_put_conflicts_the_next_run_asks_again(h):
    key = h.add_ticket(title="Escalate please", created=OPENED, tags=["escalate"])
    connector = h.connector()
    ticket = next(connector.candidates())
    h.fake.inject("409", method="PUT", after=1)
    with pytest.raises(ConflictError):
        connector.apply(
            ticket,
            [
                Action("comment", reason="level 1"),
                Action("ask_reason", reason="Why?"),
                Action("mark", reason="l1", state=replace(STATE, asked=True)),
            ],
        )
    view = h.view(key)
    assert view.escalation == STATE  # escalated, but not marked as asked
    assert view.replies == ()


def test_a_reply_alone_is_one_public_put(h):
    h.add_ticket(title="Escalate please", created=OPENED, tags=["escalate"])
    connector = h.connector()
    connector.apply(
        next(connector.candidates()),
        [
            Action("ask_reason", reason="Why?"),
            Action("mark", reason="asked", state=EscalationState(asked=True)),
        ],
    )
    (body,) = puts(h)
    assert body["ticket"]["comment"]["public"] is True
    assert "escalada-asked" in body["ticket"]["tags"]


def test_an_unmapped_team_fails_before_any_write(h):
    h.add_ticket(title="Nowhere to go", created=OPENED)
    connector = h.connector()
    ticket = next(connector.candidates())
    with pytest.raises(EscaladaError, match="team 'duty-managers' has no Zendesk group"):
        connector.apply(ticket, [Action("assign", reason="x", team="duty-managers")])
    assert puts(h) == []


def test_a_refused_value_is_one_clear_error_with_zendesks_details(h):
    h.add_ticket(title="Group deleted", created=OPENED)
    connector = h.connector()
    ticket = next(connector.candidates())
    del h.fake.groups[h.fake.group_id("Network L2")]
    with pytest.raises(DeskError) as caught:
        connector.apply(ticket, [Action("assign", reason="x", team="network-l2")])
    assert caught.value.status == 422
    assert "RecordInvalid" in str(caught.value) and "group: Group: is invalid" in str(caught.value)


@pytest.mark.off_contract  # a body UpdateTicket does not take
def test_the_fake_refuses_unknown_attributes(h):
    key = h.add_ticket(title="Strict fake", created=OPENED)
    response = h.connector().session.put(
        f"https://acme.zendesk.com/api/v2/tickets/{key}.json",
        json={"ticket": {"additional_tags": ["x"]}},
    )
    assert response.status_code == 400
    assert response.json()["error"] == "RecordInvalid"
    assert "additional_tags" in response.json()["details"]["base"][0]["description"]


def test_nothing_to_change_makes_no_call(h):
    h.add_ticket(title="Already marked", created=OPENED, tags=list(encode(STATE)))
    connector = h.connector()
    ticket = next(connector.candidates())
    result = connector.apply(ticket, [Action("mark", reason="same", state=STATE)])
    assert result.calls == 0 and result.revision == ticket.revision and puts(h) == []


@pytest.mark.off_contract  # queries the export refuses
@pytest.mark.parametrize(
    ("query", "error"),
    [
        ("query=status<solved&page[size]=10", "filter[type] is required"),
        ("query=status<solved&filter[type]=ticket&page[size]=1001", "between 1 and 1000"),
        ("query=status<done&filter[type]=ticket", "unknown status"),
        ("query=assignee:me&filter[type]=ticket", "unsupported search term"),
    ],
)
def test_the_fake_export_refuses_what_zendesk_refuses(h, query, error):
    response = h.connector().session.get(
        f"https://acme.zendesk.com/api/v2/search/export.json?{query}"
    )
    assert response.status_code == 400 and error in response.json()["description"]


def test_the_fake_refuses_wrong_credentials_with_zendesks_body(h):
    response = requests.get(
        "https://acme.zendesk.com/api/v2/users/me.json", auth=("escalada@acme.test/token", "x")
    )
    assert (response.status_code, response.json()) == (401, {"error": "Couldn't authenticate you"})


def test_a_ticket_not_read_by_candidates_is_read_before_the_write(h):
    key = h.add_ticket(title="Read first", created=OPENED, tags=["keep"])
    connector = h.connector()
    ticket = replace(next(connector.candidates()), revision=None, tags=frozenset())
    connector.apply(ticket, [Action("mark", reason="l1", state=STATE)])
    assert h.view(key).tags == {"keep", *encode(STATE)}


# --- transport -------------------------------------------------------------------


def test_network_errors_surface_as_desk_errors(h):
    h.add_ticket(title="Reset", created=OPENED)
    h.fake.inject("reset", times=1000)
    with pytest.raises(DeskUnavailable) as caught:
        list(h.connector().candidates())
    assert "ConnectionError after 5 attempts" in str(caught.value)
