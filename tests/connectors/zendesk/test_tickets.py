"""Zendesk candidate reads and refreshes through zenpy against the stateful fake.

A read is the search export's pages and the group list, nothing per ticket;
tickets the policy needs more of are `partial`, and `refresh` re-reads the ones
the runner finds due, 100 per show_many call."""

from __future__ import annotations

import math
from dataclasses import replace
from datetime import timedelta
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import responses

from escalada.connectors import connect
from escalada.connectors.base import Shard
from escalada.connectors.base import Wiring
from escalada.engine.readneeds import read_needs
from escalada.errors import DeskError
from escalada.policy.model import EscalationPath
from escalada.policy.model import FieldCondition
from escalada.policy.model import Level
from escalada.policy.model import NotOf
from escalada.policy.model import Policy
from escalada.policy.model import Trigger
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import Action
from escalada.ticket import EscalationState
from tests.connectors.contract import NOW
from tests.connectors.contract import OPENED
from tests.connectors.zendesk.harness import ENVIRON
from tests.connectors.zendesk.harness import ZendeskHarness
from tests.fakes.zendesk import ZendeskFake

STATE = EscalationState(path="p", level=1, since=NOW)


@pytest.fixture
def h():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield ZendeskHarness(ZendeskFake(mock))


def sent(h, part):
    """The requests the fake served whose URL contains `part`."""
    return [c.request for c in h.fake.mock.calls if part in c.request.url]


def params(request):
    return parse_qs(urlsplit(request.url).query)


def policy_of(*levels, match=None, triggers=()):
    path = EscalationPath("p", match, 0, (Level(0, "service-desk"), *levels), triggers)
    return Policy(None, {}, {}, {}, {"p": path}, {}, {})


RESPONDED = policy_of(Level(1, "network-l2", after=timedelta(minutes=15), unless="responded"))
PLAIN = policy_of(Level(1, "network-l2", after=timedelta(hours=1), unless="resolved"))
BY_ORGANIZATION = policy_of(match=NotOf(FieldCondition("requester.organization", "equals", "Acme")))


def reader(h, policy=None, desk=None, **options):
    return connect(
        desk or h.desk,
        needs=read_needs(policy),
        wiring=Wiring(environ=ENVIRON, sleep=h.sleeps.append),
        **options,
    )


def seed(h, count, **fields):
    return [
        h.add_ticket(title=f"T{i}", created=OPENED + timedelta(seconds=i), **fields)
        for i in range(count)
    ]


# --- the read ----------------------------------------------------------------------


def test_export_query_shape(h):
    h.add_ticket(title="One", created=OPENED)
    before = h.calls
    list(reader(h, RESPONDED).candidates())
    (export,) = sent(h, "/search/export")
    assert params(export) == {
        "query": ["ticket_type:incident status<solved"],
        "filter[type]": ["ticket"],
        "page[size]": ["1000"],
    }
    assert h.calls - before == 2 == h.fake.calls["export"] + h.fake.calls["groups"]


@pytest.mark.parametrize("count", [1, 999, 1000, 1001, 2345])
def test_a_read_is_one_call_per_export_page_and_the_group_list(h, count):
    keys = seed(h, count)
    connector = reader(h, RESPONDED)
    before = h.calls
    tickets = list(connector.candidates())
    assert sorted(t.key for t in tickets) == sorted(keys)
    assert h.calls - before == math.ceil(count / 1000) + h.read_overhead
    assert h.fake.calls["show_many"] == h.fake.calls["metrics"] == 0
    assert all(t.partial and t.responded is None for t in tickets)


@pytest.mark.off_contract  # zenpy's search sends filter[type] to search.json
def test_reads_past_the_1000_result_cap_that_search_json_has(h):
    wanted = set(seed(h, 1050))
    connector = reader(h)
    before = h.calls
    assert {t.key for t in connector.candidates()} == wanted
    assert h.fake.calls["export"] == 2 and h.fake.calls["search"] == 0
    assert h.calls - before == 2 + 1  # two export pages and the group list
    # What the connector avoids: search.json stops at 1,000; page 11 is a 422 that
    # zenpy logs and swallows, so 50 tickets would silently go missing
    found = list(connector.client.search("status<solved", type="ticket"))
    assert len(found) == 1000 and h.fake.calls["search"] == 11


def test_the_export_accepts_type_ticket_in_the_query_as_zenpy_sends_it(h):
    """zenpy's search_export adds `type:ticket` to the query; a recorded real
    export with the object type in the query beside filter[type] answered 200."""
    key = h.add_ticket(title="One", created=OPENED)
    connector = reader(h)
    found = list(connector.client.search_export("status<solved", type="ticket"))
    assert [str(t.id) for t in found] == [key]


def test_type_is_the_object_type_and_ticket_type_the_tickets_type(h):
    incident = h.add_ticket(title="Down", created=OPENED)
    h.add_ticket(title="How do I", created=OPENED, in_scope=False)  # a question
    session = reader(h).session
    url = "https://acme.zendesk.com/api/v2/search/export.json"

    def ids(text):
        got = session.get(url, params={"query": text, "filter[type]": "ticket"})
        assert got.status_code == 200, got.text
        return [str(r["id"]) for r in got.json()["results"]]

    assert ids("ticket_type:incident status<solved") == [incident]
    assert ids("type:incident status<solved") == []  # no object type "incident"
    assert len(ids("type:ticket status<solved")) == 2


def test_the_export_keeps_what_it_gives(h):
    key = h.add_ticket(
        title="VPN down",
        created=OPENED,
        priority="P2",
        vip=True,
        impact="extensive",
        urgency="critical",
        team="network-l2",
        tags=["vpn"],
        description="Nobody can connect",
    )
    (ticket,) = reader(h, RESPONDED).candidates()
    assert (ticket.key, ticket.title, ticket.description) == (key, "VPN down", "Nobody can connect")
    assert (ticket.priority, ticket.impact, ticket.urgency) == ("P2", "extensive", "critical")
    assert ticket.team == "network-l2" and ticket.requester.vip and "vpn" in ticket.tags
    assert ticket.revision == h.fake.tickets[int(key)]["updated_at"]
    assert ticket.url == f"https://acme.zendesk.com/agent/tickets/{key}"


@pytest.mark.parametrize(
    ("policy", "safe_update", "partial", "names_read"),
    [
        (RESPONDED, True, (True, True), False),
        (PLAIN, True, (False, True), False),  # only a reason text may name the organisation
        (BY_ORGANIZATION, True, (False, False), True),
        (PLAIN, False, (True, True), False),  # without safe updates the index is not trusted
        (None, True, (True, True), True),
    ],
    ids=["unless-responded", "plain", "organization-condition", "unsafe", "no-policy"],
)
def test_partial_only_where_the_policy_needs_what_the_export_lacks(
    h, policy, safe_update, partial, names_read
):
    plain = h.add_ticket(title="No organisation", created=OPENED)
    acme = h.add_ticket(title="From Acme", created=OPENED, organization="Acme")
    desk = replace(h.desk, options={"safe_update": safe_update})
    tickets = {t.key: t for t in reader(h, policy, desk).candidates()}
    assert (tickets[plain].partial, tickets[acme].partial) == partial
    assert tickets[acme].requester.organization == ("Acme" if names_read else None)
    assert h.fake.calls["organizations"] == int(names_read)
    assert h.fake.calls["show_many"] == 0


def test_organisation_names_are_read_once_each_100_per_call_when_a_condition_tests_them(h):
    organizations = [h.fake.add_organization(f"Customer {i}") for i in range(120)]
    keys = seed(h, 300)
    for i, key in enumerate(keys):
        h.fake.tickets[int(key)]["organization_id"] = organizations[i % 120]
    connector = reader(h, BY_ORGANIZATION, page_size=200)
    tickets = list(connector.candidates())
    assert {t.requester.organization for t in tickets} == {f"Customer {i}" for i in range(120)}
    assert not any(t.partial for t in tickets)
    # page 1 holds all 120 organisations: one call of 100 and one of 20; page 2 none
    assert [len(params(r)["ids"][0].split(",")) for r in sent(h, "/organizations/")] == [100, 20]
    list(connector.candidates())
    assert h.fake.calls["organizations"] == 2  # known names are not read again


def test_shard_filters_the_export_and_refresh_reads_what_it_is_given(h):
    keys = seed(h, 30)
    shard = Shard(0, 3)
    owned = sorted(k for k in keys if shard.owns(k))
    connector = reader(h, RESPONDED)
    tickets = list(connector.candidates(shard=shard))
    assert sorted(t.key for t in tickets) == owned
    connector.refresh(tickets)
    (show,) = sent(h, "show_many")
    assert sorted(params(show)["ids"][0].split(",")) == owned


def test_latest_comment_is_read_only_where_a_reason_from_trigger_matches(h):
    asked = h.add_ticket(title="Please escalate", created=OPENED, tags=["escalate"])
    h.add_ticket(title="Quiet", created=OPENED)
    ticket_id = int(asked)
    h.fake.comments[ticket_id].append(
        h.fake._comment(ticket_id, "The whole office is offline", True, h.fake.requester_id, "x")
    )
    h.fake.comments[ticket_id].append(
        h.fake._comment(ticket_id, "our own reply", True, h.fake.me_id, "y")
    )
    trigger = Trigger(
        name="requested",
        condition=FieldCondition("tags", "contains", "escalate"),
        goto="next",
        reason_from="latest_comment",
    )
    connector = reader(h, policy_of(triggers=(trigger,)))
    tickets = {t.key: t for t in connector.candidates()}
    assert tickets[asked].latest_comment == "The whole office is offline"
    assert h.fake.calls["comments"] == 1
    (comments,) = sent(h, "/comments")
    assert params(comments) == {"sort": ["-created_at"], "page[size]": ["10"]}
    assert all(t.latest_comment is None for k, t in tickets.items() if k != asked)
    fresh = {t.key: t for t in connector.refresh(list(tickets.values()))}
    assert fresh[asked].latest_comment == "The whole office is offline"
    assert h.fake.calls["comments"] == 1  # carried over, not read again


def test_a_next_link_to_another_host_is_not_followed(h):
    with pytest.raises(DeskError, match="refusing to follow"):
        reader(h).request("GET", "https://evil.example.com/api/v2/x.json", "follow")


# --- refresh -----------------------------------------------------------------------


def test_refresh_reads_100_per_call_with_metric_sets_and_organizations(h):
    keys = seed(h, 250)
    replied = int(keys[7])
    h.fake.replied[replied] = OPENED + timedelta(seconds=7, minutes=12)
    acme = h.fake.add_organization("Acme")
    h.fake.tickets[int(keys[8])]["organization_id"] = acme
    connector = reader(h, RESPONDED)
    tickets = list(connector.candidates())
    before = h.calls
    fresh = {t.key: t for t in connector.refresh(tickets)}
    assert h.calls - before == 3 == h.fake.calls["show_many"]
    shows = sent(h, "show_many")
    assert [len(params(r)["ids"][0].split(",")) for r in shows] == [100, 100, 50]
    assert all(params(r)["include"] == ["metric_sets,organizations"] for r in shows)
    assert set(fresh) == set(keys) and not any(t.partial for t in fresh.values())
    assert fresh[str(replied)].responded == OPENED + timedelta(seconds=7, minutes=12)
    assert fresh[keys[8]].requester.organization == "Acme"
    assert sum(1 for t in fresh.values() if t.responded is not None) == 1
    assert h.fake.calls["metrics"] == 0  # never one call per ticket
    assert connector.refresh([]) == [] and h.fake.calls["show_many"] == 3


def test_refresh_sees_past_the_lagging_index_and_brings_the_current_stamp(h):
    """The marker written in the last cycle is in the ticket store at once, in the
    search index only minutes later: the refresh sees it, so a level is never
    announced twice, and its updated_at makes the safe update pass."""
    key = h.add_ticket(title="Core switch down", created=OPENED)
    connector = reader(h, RESPONDED)
    h.fake.freeze_index()
    connector.apply(next(connector.candidates()), [Action("mark", reason="l1", state=STATE)])
    (stale,) = connector.candidates()
    assert stale.partial and stale.escalation == NOT_ESCALATED
    (fresh,) = connector.refresh([stale])
    assert fresh.escalation == STATE and not fresh.partial
    assert fresh.revision == h.fake.tickets[int(key)]["updated_at"] != stale.revision
    connector.apply(fresh, [Action("comment", reason="written on the fresh stamp")])
    assert h.view(key).notes[-1] == "written on the fresh stamp"


def test_refresh_leaves_out_tickets_solved_closed_or_deleted_since_the_read(h):
    solved, closed, deleted, still = seed(h, 4)
    h.fake.freeze_index()  # the export still lists all four as open
    h.edit(solved, status="resolved")
    h.edit(closed, status="closed")
    del h.fake.tickets[int(deleted)]
    connector = reader(h, RESPONDED)
    tickets = list(connector.candidates())
    assert len(tickets) == 4
    assert [t.key for t in connector.refresh(tickets)] == [still]


def test_a_refused_refresh_is_one_clear_desk_error(h):
    seed(h, 3)
    connector = reader(h, RESPONDED)
    tickets = list(connector.candidates())
    h.fake.inject("403", method="GET", path=r"/tickets/show_many")
    with pytest.raises(DeskError) as caught:
        connector.refresh(tickets)
    assert caught.value.status == 403 and "read tickets" in str(caught.value)
    assert "agent" in (caught.value.hint or "")
