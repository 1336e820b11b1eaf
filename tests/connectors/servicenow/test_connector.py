"""The ServiceNow connector through pysnc against the stateful fake: what it asks
for, what one PATCH carries, where the marker lives, what concurrency it
detects, and how failures read."""

from __future__ import annotations

import base64
import dataclasses
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest

from escalada.connectors.base import Shard
from escalada.connectors.base import Wiring
from escalada.connectors.http import ResilientAdapter
from escalada.connectors.servicenow.connector import ServiceNowConnector
from escalada.errors import ConflictError
from escalada.errors import DeskError
from escalada.marker import NOTE_PREFIX
from escalada.marker import note_line
from escalada.policy.model import EscalationPath
from escalada.policy.model import FieldCondition
from escalada.policy.model import Level
from escalada.policy.model import Policy
from escalada.policy.model import Priority
from escalada.policy.model import PriorityMatrix
from escalada.policy.model import Trigger
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import Action
from escalada.ticket import EscalationState
from escalada.ticket import Ticket
from tests.connectors.contract import NOW
from tests.connectors.contract import OPENED
from tests.connectors.servicenow.harness import ServiceNowHarness
from tests.connectors.servicenow.harness import open_harness
from tests.fakes.servicenow import PASSWORD
from tests.fakes.servicenow import URL
from tests.fakes.servicenow import USER

STATE = EscalationState(path="critical-outage", level=1, since=NOW)
READ_FIELDS = (
    "sys_id,number,short_description,description,state,impact,urgency,priority,"
    "assignment_group,assigned_to,opened_at,sys_updated_on,sys_mod_count,resolved_at,"
    "sys_tags,caller_id.vip,caller_id.company"
)


@pytest.fixture
def h(tmp_path: Path) -> Iterator[ServiceNowHarness]:
    with open_harness(tmp_path) as harness:
        yield harness


@pytest.fixture
def notes(tmp_path: Path) -> Iterator[ServiceNowHarness]:
    """A desk without a marker field: the marker lives in work notes."""
    with open_harness(tmp_path, marker_field=None) as harness:
        yield harness


def read(sn: ServiceNowConnector, **kwargs: object) -> dict[str, Ticket]:
    return {t.key: t for t in sn.candidates(**kwargs)}  # type: ignore[arg-type]


def requests_to(h: ServiceNowHarness, method: str, path: str) -> list[dict[str, list[str]]]:
    return [
        parse_qs(urlsplit(call.request.url or "").query)
        for call in h.fake.mock.calls
        if call.request.method == method and urlsplit(call.request.url).path == path
    ]


def policy_with_matrix() -> Policy:
    levels = ("high", "medium", "low")
    cells = {("high", "high"): "P1", ("high", "medium"): "P2", ("high", "low"): "P3"}
    cells |= {("medium", "high"): "P2", ("medium", "medium"): "P3", ("medium", "low"): "P4"}
    cells |= {("low", "high"): "P3", ("low", "medium"): "P4", ("low", "low"): "P4"}
    priorities = {
        name: Priority(name, name, timedelta(hours=1), timedelta(hours=8), None, "24x7", rank)
        for rank, name in enumerate(("P1", "P2", "P3", "P4"))
    }
    matrix = PriorityMatrix("default", levels, levels, cells, priorities)
    return Policy(matrix, {}, {}, {}, {}, {}, {})


def policy_with_trigger() -> Policy:
    trigger = Trigger(
        "requested",
        FieldCondition("tags", "contains", "escalate"),
        goto="next",
        reason_from="latest_comment",
    )
    levels = (Level(0, "service-desk"), Level(1, "network-l2", after=timedelta(hours=1)))
    path = EscalationPath("requests", None, 0, levels, (trigger,))
    return dataclasses.replace(policy_with_matrix(), paths={"requests": path})


# --- the client -----------------------------------------------------------------


def test_pysnc_gets_the_session_with_the_shared_adapter_and_no_urllib3_retry(
    h: ServiceNowHarness,
) -> None:
    session = h.connector().client.session
    assert isinstance(session.get_adapter(f"{URL}/api/now/table/incident"), ResilientAdapter)
    assert all(isinstance(a, ResilientAdapter) for a in session.adapters.values())


# --- reading ----------------------------------------------------------------------


def test_candidate_query_asks_for_scope_active_and_unresolved_at_10000_per_call(
    h: ServiceNowHarness,
) -> None:
    h.add_ticket(title="VPN down", created=OPENED)
    list(h.connector().candidates())
    (params,) = requests_to(h, "GET", "/api/now/table/incident")
    assert params["sysparm_query"] == [
        "category=network^active=true^stateNOT IN6,7,8^ORDERBYsys_id"
    ]
    assert params["sysparm_fields"] == [READ_FIELDS + ",u_escalada"]
    assert params["sysparm_limit"] == ["10000"]
    assert params["sysparm_display_value"] == ["all"]


def test_ten_thousand_and_one_tickets_take_two_calls(h: ServiceNowHarness) -> None:
    for i in range(10_001):
        h.add_ticket(title=f"Ticket {i}", created=OPENED)
    sn = h.connector()
    assert len(read(sn)) == 10_001
    pages = requests_to(h, "GET", "/api/now/table/incident")
    assert [p["sysparm_offset"] for p in pages] == [["0"], ["10000"]]
    assert sn.calls == 3  # the group lookup and two pages


def test_groups_read_by_display_name_and_written_by_sys_id(h: ServiceNowHarness) -> None:
    key = h.add_ticket(title="Core switch", created=OPENED, team="service-desk")
    sn = h.connector()
    ticket = read(sn)[key]
    assert ticket.team == "service-desk"
    sn.apply(ticket, [Action("assign", "to L2", team="network-l2")])
    assert h.fake.patches[-1].body == {"assignment_group": h.groups["Network L2"]}
    assert h.view(key).team == "network-l2"


def test_resolved_and_closed_incidents_are_not_candidates(h: ServiceNowHarness) -> None:
    keep = h.add_ticket(title="On hold", created=OPENED, status="on-hold")
    h.add_ticket(title="Resolved, still active", created=OPENED, status="resolved")
    tickets = read(h.connector())
    assert list(tickets) == [keep]
    assert tickets[keep].status == "on-hold"  # state 3, On Hold
    assert tickets[keep].responded == OPENED  # left New: counted as responded


# --- writing --------------------------------------------------------------------------


def test_an_incident_without_any_readable_time_is_that_tickets_error(
    h: ServiceNowHarness,
) -> None:
    keys = [h.add_ticket(title=f"t{i}", created=NOW) for i in range(3)]
    (row,) = h.fake.find("incident", number=keys[1])
    h.fake.tables["incident"][row["sys_id"]].update(opened_at="", sys_updated_on="soon")
    connector = h.connector()
    assert sorted(t.key for t in connector.candidates()) == [keys[0], keys[2]]
    (error,) = connector.rejects.take()
    assert str(error).startswith(f"desk 'servicenow-contract': ticket {keys[1]}: has neither")


def test_one_patch_carries_every_field_it_writes(h: ServiceNowHarness) -> None:
    key = h.add_ticket(title="Printer", created=OPENED, impact="low", urgency="medium")  # P4
    sn = h.connector()
    ticket = read(sn)[key]
    result = sn.apply(
        ticket,
        [
            Action("assign", "to L2", team="network-l2"),
            Action("comment", "No response within 15m"),
            Action("ask_reason", "Why should this be escalated?"),
            Action("set_priority", "matrix says P1", priority="P1"),
            Action("mark", "level 1", state=STATE),
        ],
    )
    body = h.fake.patches[-1].body
    assert set(body) == {
        "assignment_group",
        "work_notes",
        "comments",
        "impact",
        "urgency",
        "u_escalada",
    }
    assert h.fake.ignored == []  # nothing silently dropped
    assert len(h.fake.patches) == 1 and result.calls == 3  # + the lookup rules, once
    reread = [
        q
        for q in requests_to(h, "GET", "/api/now/table/incident")
        if "sys_idIN" in q.get("sysparm_query", [""])[0]
    ]
    (get,) = reread  # the batched re-read, with every field written (pysnc sends only these)
    assert set(get["sysparm_fields"][0].split(",")) >= set(body)
    view = h.view(key)
    assert (view.priority, view.team, view.escalation) == ("P1", "network-l2", STATE)
    assert view.replies == ("Why should this be escalated?",)
    assert result.revision == f"{h.incident(key)['sys_id']}:{h.incident(key)['sys_mod_count']}"


def test_pysnc_leaves_a_field_it_did_not_read_out_of_the_patch(h: ServiceNowHarness) -> None:
    """Why the connector reads every field it writes: pysnc drops the others silently."""
    key = h.add_ticket(title="Printer", created=OPENED)
    record = h.connector().client.GlideRecord("incident")
    record.fields = ["short_description"]
    assert record.get(h.incident(key)["sys_id"])
    record.set_value("work_notes", "lost")
    record.set_value("short_description", "kept")
    record.update()
    assert h.fake.patches[-1].body == {"short_description": "kept"}


def test_set_priority_changes_the_fewest_of_impact_and_urgency(h: ServiceNowHarness) -> None:
    key = h.add_ticket(title="Slow", created=OPENED, impact="medium", urgency="low")  # P4
    sn = h.connector()
    ticket = read(sn)[key]
    before = h.calls
    sn.apply(ticket, [Action("set_priority", "matrix says P2", priority="P2")])
    assert h.calls - before == 3  # the lookup rules (once per connector), GET, PATCH
    assert h.fake.patches[-1].body == {"urgency": "1"}  # impact 2 x urgency 1 -> 2
    assert h.view(key).priority == "P2"
    sn.apply(read(sn)[key], [Action("set_priority", "back to P3", priority="P3")])
    assert h.fake.patches[-1].body == {"urgency": "2"}


def test_set_priority_uses_the_policy_matrix_without_reading_lookup_rules(
    h: ServiceNowHarness,
) -> None:
    key = h.add_ticket(title="Slow", created=OPENED, impact="medium", urgency="low")
    sn = h.connector(policy_with_matrix())
    ticket = read(sn)[key]
    before = h.calls
    sn.apply(ticket, [Action("set_priority", "matrix says P1", priority="P1")])
    assert h.calls - before == 2
    assert h.fake.patches[-1].body == {"impact": "1", "urgency": "1"}
    assert h.view(key).priority == "P1"


def test_a_priority_the_instance_derives_differently_is_reported(h: ServiceNowHarness) -> None:
    for rule in h.fake.find("dl_u_priority", impact="1", urgency="1"):
        rule["priority"] = "2"  # the instance's lookup rules disagree with the matrix
    key = h.add_ticket(title="Slow", created=OPENED, impact="medium", urgency="low")
    sn = h.connector(policy_with_matrix())
    with pytest.raises(DeskError) as caught:
        sn.apply(read(sn)[key], [Action("set_priority", "matrix says P1", priority="P1")])
    assert "derived priority 2" in str(caught.value)
    assert "manage_priority_lookup" in (caught.value.hint or "")
    patches = len(h.fake.patches)
    with pytest.raises(DeskError, match="derived priority 2"):  # already at that cell
        sn.apply(read(sn)[key], [Action("set_priority", "matrix says P1", priority="P1")])
    assert len(h.fake.patches) == patches


def test_a_marker_field_write_the_instance_ignores_fails_loudly(h: ServiceNowHarness) -> None:
    """ServiceNow drops a field it may not write (ACL, or no such field) without an error."""
    key = h.add_ticket(title="Printer", created=OPENED)
    sn = h.connector()
    ticket = read(sn)[key]
    h.fake.schemas["incident"]["u_escalada"] = "ro"  # readable, but writes are ignored
    with pytest.raises(DeskError) as caught:
        sn.apply(ticket, [Action("mark", "level 1", state=STATE)])
    assert "u_escalada" in str(caught.value)
    assert "marker_field" in (caught.value.hint or "")
    assert h.fake.ignored == [("incident", h.incident(key)["sys_id"], "u_escalada")]


def test_a_ticket_without_revision_is_found_by_number(h: ServiceNowHarness) -> None:
    key = h.add_ticket(title="From elsewhere", created=OPENED)
    sn = h.connector()
    ticket = dataclasses.replace(read(sn)[key], revision=None)
    result = sn.apply(ticket, [Action("comment", "escalated")])
    assert h.view(key).notes == ("escalated",)
    assert result.revision == f"{h.incident(key)['sys_id']}:1"


def test_deleted_ticket_is_a_conflict(h: ServiceNowHarness) -> None:
    key = h.add_ticket(title="Gone soon", created=OPENED)
    sn = h.connector()
    ticket = read(sn)[key]
    del h.fake.tables["incident"][h.incident(key)["sys_id"]]
    with pytest.raises(ConflictError, match="deleted"):
        sn.apply(ticket, [Action("comment", "escalated")])


# --- the work-note marker ---------------------------------------------------------------


def test_work_note_marker_is_read_with_one_query_per_page(notes: ServiceNowHarness) -> None:
    notes.set_page_size(5)
    keys = [notes.add_ticket(title=f"T{i}", created=OPENED) for i in range(12)]
    sn = notes.connector()
    sn.apply(read(sn)[keys[7]], [Action("comment", "escalated"), Action("mark", "l1", state=STATE)])
    note = notes.view(keys[7]).notes[-1]
    assert note.startswith(f"{note_line(STATE)}\n\n")  # the marker line first: STARTSWITH
    before = notes.calls
    tickets = read(notes.connector())
    assert notes.calls - before == 1 + 3 + 3  # groups, three incident pages, three journal
    assert tickets[keys[7]].escalation == STATE
    assert tickets[keys[0]].escalation == NOT_ESCALATED
    (params, *_) = requests_to(notes, "GET", "/api/now/table/sys_journal_field")
    query = params["sysparm_query"][0]
    assert query.startswith("element=work_notes^element_idIN")
    assert query.endswith(f"^valueSTARTSWITH{NOTE_PREFIX}^ORDERBYDESCsys_created_on^ORDERBYsys_id")


def test_newest_marker_wins_and_a_same_second_confirmation_beats_pending(
    notes: ServiceNowHarness,
) -> None:
    key = notes.add_ticket(title="Outage", created=OPENED)
    sn = notes.connector()
    pending = EscalationState(path="critical-outage", level=1, since=NOW, pending=True)
    result = sn.apply(read(sn)[key], [Action("mark", "level 1", state=pending)])
    confirmed = EscalationState(path="critical-outage", level=1, since=NOW)
    ticket = read(sn)[key]
    assert ticket.escalation == pending and ticket.revision == result.revision
    sn.apply(ticket, [Action("mark", "notifications sent", state=confirmed)])  # same second
    assert read(sn)[key].escalation == confirmed
    notes.fake.advance(60)
    sn.apply(read(sn)[key], [Action("clear", "left the path", state=NOT_ESCALATED)])
    assert read(sn)[key].escalation == NOT_ESCALATED


def test_a_long_marker_query_goes_through_the_batch_api_in_one_call(
    notes: ServiceNowHarness,
) -> None:
    keys = [notes.add_ticket(title=f"T{i}", created=OPENED) for i in range(320)]
    sn = notes.connector()
    sn.apply(read(sn)[keys[300]], [Action("mark", "l1", state=STATE)])
    before, batches, batched = notes.calls, notes.fake.calls["batch"], notes.fake.batched
    tickets = read(notes.connector())
    assert notes.calls - before == 3  # groups, one incident page, one batch call
    assert (notes.fake.calls["batch"], notes.fake.batched) == (batches + 1, batched + 1)
    assert tickets[keys[300]].escalation == STATE


@pytest.mark.parametrize(
    ("slow", "posts", "split"),
    [(1, 2, False), (3, 4, True)],
    ids=["pysnc's own retry serves it", "past pysnc's retries: split in two"],
)
def test_an_unserviced_batch_item_is_retried_or_split_never_a_traceback(
    notes: ServiceNowHarness, slow: int, posts: int, split: bool
) -> None:
    """The Batch API returns an item past 30 s or 10 MB in unserviced_requests
    (batch-api.md). pysnc re-sends it twice, then hands its hook None and fails
    with AttributeError; escalada then reads the sys_ids in two halves."""
    keys = [notes.add_ticket(title=f"T{i}", created=OPENED) for i in range(320)]
    sn = notes.connector()
    sn.apply(read(sn)[keys[300]], [Action("mark", "l1", state=STATE)])
    before, journal = (
        notes.fake.calls["batch"],
        len(requests_to(notes, "GET", "/api/now/table/sys_journal_field")),
    )
    notes.fake.slow_batch_items = slow
    tickets = read(notes.connector())
    assert tickets[keys[300]].escalation == STATE
    assert notes.fake.calls["batch"] - before == posts and notes.fake.unserviced == slow
    halves = len(requests_to(notes, "GET", "/api/now/table/sys_journal_field")) - journal
    assert halves == (2 if split else 0)  # 160 sys_ids each: plain GETs


def test_a_batch_item_too_big_even_alone_is_one_clear_error(h: ServiceNowHarness) -> None:
    sn = h.connector()
    h.fake.batch_max_output = 10  # bytes: nothing fits
    long_query = "numberIN" + ",".join(f"INC{i:07d}" for i in range(1000))
    with pytest.raises(DeskError) as caught:
        sn.rows("incident", long_query, ("number",), "read incidents")
    assert "Batch API did not serve" in str(caught.value)
    assert "page_size" in (caught.value.hint or "")


@pytest.mark.parametrize(
    "mangle",
    [
        lambda reply: {k: v for k, v in reply.items() if k != "serviced_requests"},
        lambda reply: {**reply, "batch_request_id": "other"},
        lambda reply: {**reply, "serviced_requests": None},
        lambda reply: {k: v for k, v in reply.items() if k != "unserviced_requests"},
    ],
    ids=["no serviced_requests", "another batch id", "null list", "no unserviced_requests"],
)
def test_no_batch_reply_shape_makes_a_traceback(h: ServiceNowHarness, mangle: Any) -> None:
    h.fake.mangle_batch = mangle
    h.fake.unchecked = True  # shapes ServiceNow does not document: no contract check
    sn = h.connector()
    long_query = "numberIN" + ",".join(f"INC{i:07d}" for i in range(1000))
    with pytest.raises(DeskError, match="Batch API"):
        sn.rows("incident", long_query, ("number",), "read incidents")


@pytest.mark.parametrize("count", [3, 320], ids=["plain GET", "batch API"])
def test_a_refused_marker_query_is_an_error_not_an_empty_marker(
    notes: ServiceNowHarness, count: int
) -> None:
    for i in range(count):
        notes.add_ticket(title=f"T{i}", created=OPENED)
    notes.fake.denied.add(("GET", "sys_journal_field"))
    with pytest.raises(DeskError) as caught:
        read(notes.connector())
    assert caught.value.status == 403
    assert "itil" in (caught.value.hint or "")


def test_latest_comment_is_read_only_where_a_reason_trigger_needs_it(
    h: ServiceNowHarness,
) -> None:
    asked = h.add_ticket(title="Please escalate", created=OPENED, tags=["escalate"])
    other = h.add_ticket(title="Quiet", created=OPENED)
    for key in (asked, other):
        h.fake.edit("incident", h.incident(key)["sys_id"], comments="The CEO cannot mail")
    h.fake.advance(60)
    sn = h.connector(policy_with_trigger())
    sn.apply(read(sn)[asked], [Action("ask_reason", "Why should this be escalated?")])
    before = h.calls
    tickets = read(sn)
    assert tickets[asked].latest_comment == "The CEO cannot mail"  # not escalada's own ask
    assert tickets[other].latest_comment is None
    assert h.calls - before == 2  # one incident page, one comments query for the asking one
    (*_, params) = requests_to(h, "GET", "/api/now/table/sys_journal_field")
    assert params["sysparm_query"] == [
        f"element=comments^element_idIN{h.incident(asked)['sys_id']}"
        f"^sys_created_by!={USER}^ORDERBYDESCsys_created_on^ORDERBYsys_id"
    ]


# --- concurrency ----------------------------------------------------------------------


def test_an_edit_in_the_last_milliseconds_is_kept_not_detected(h: ServiceNowHarness) -> None:
    """The documented gap: no compare-and-set, but the PATCH carries only our fields."""
    key = h.add_ticket(title="Flaky wifi", created=OPENED)
    sn = h.connector()
    ticket = read(sn)[key]
    sys_id = h.incident(key)["sys_id"]

    def human(table: str, record: str) -> None:
        h.fake.before_patch = None
        h.fake.edit("incident", sys_id, short_description="Flaky wifi on floor 3")

    h.fake.before_patch = human
    sn.apply(ticket, [Action("comment", "escalated"), Action("mark", "l1", state=STATE)])
    view = h.view(key)
    assert view.title == "Flaky wifi on floor 3"
    assert (view.notes, view.escalation) == (("escalated",), STATE)


def test_two_runners_racing_make_a_visible_double_announcement(
    notes: ServiceNowHarness,
) -> None:
    key = notes.add_ticket(title="Outage", created=OPENED)
    first, second = notes.connector(), notes.connector()
    ticket_a, ticket_b = read(first)[key], read(second)[key]
    actions = [Action("comment", "Escalated to network-l2"), Action("mark", "l1", state=STATE)]

    def other_runner(table: str, record: str) -> None:
        notes.fake.before_patch = None
        second.apply(ticket_b, actions)  # its GET ran before the first PATCH landed

    notes.fake.before_patch = other_runner
    first.apply(ticket_a, actions)
    view = notes.view(key)
    assert [n.splitlines()[-1] for n in view.notes] == ["Escalated to network-l2"] * 2
    assert view.escalation == STATE  # both wrote the same state
    with pytest.raises(ConflictError):  # a third, late writer is stopped by the re-read
        first.apply(ticket_a, actions)


# --- failures and secrets -------------------------------------------------------------


def test_refused_credentials_name_the_desk_and_never_the_secret(
    h: ServiceNowHarness, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    h.fake.password = "rotated"
    sn = h.connector()
    with pytest.raises(DeskError) as caught:
        read(sn)
    text = f"{caught.value} {caught.value!r} {sn!r} {caplog.text}"
    assert "User Not Authenticated" in str(caught.value)
    assert "credentials" in (caught.value.hint or "")
    token = base64.b64encode(f"{USER}:{PASSWORD}".encode()).decode()
    assert PASSWORD not in text and token not in text


def test_a_refused_write_is_a_desk_error_with_the_role_it_needs(h: ServiceNowHarness) -> None:
    key = h.add_ticket(title="Printer", created=OPENED)
    sn = h.connector()
    ticket = read(sn)[key]
    h.fake.denied.add(("PATCH", "incident"))
    with pytest.raises(DeskError) as caught:
        sn.apply(ticket, [Action("comment", "escalated")])
    assert caught.value.status == 403 and "itil" in (caught.value.hint or "")
    assert "User Not Authorized" in str(caught.value)


def test_a_missing_credential_names_its_variable(h: ServiceNowHarness) -> None:
    from escalada.connectors import connect
    from escalada.errors import EscaladaError

    with pytest.raises(EscaladaError, match="SN_PASSWORD"):
        connect(h.desk, wiring=Wiring(environ={"SN_USER": USER}))


def test_shards_split_by_incident_number(h: ServiceNowHarness) -> None:
    keys = {h.add_ticket(title=f"T{i}", created=OPENED) for i in range(20)}
    sn = h.connector()
    parts = [set(read(sn, shard=Shard(i, 3))) for i in range(3)]
    assert set().union(*parts) == keys and sum(map(len, parts)) == 20
    assert all(Shard(i, 3).owns(k) for i, part in enumerate(parts) for k in part)
