"""Real bodies as fixtures: the vendors' documented examples (and, where their
licence keeps them out of this repository, bodies of our own built from the
documented facts) run through each desk's record -> Ticket translation."""

from __future__ import annotations

import copy
import json
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest

from escalada.connectors.jira.options import JiraOptions
from escalada.connectors.jira.tickets import to_ticket as jira_ticket
from escalada.connectors.servicenow import options as sn_options
from escalada.connectors.servicenow.tickets import to_ticket as sn_ticket
from escalada.connectors.zendesk.tickets import Lookups
from escalada.connectors.zendesk.tickets import to_ticket as zd_ticket
from escalada.errors import EscaladaError
from tests.connectors.jira.harness import jira_desk
from tests.connectors.servicenow.harness import ServiceNowHarness
from tests.connectors.zendesk.harness import zendesk_desk
from tests.contracts import check

EXAMPLES = Path(__file__).with_name("examples")


def documented(operation_id: str, status: str = "200") -> Any:
    op = next(o for o in check.operations("jira") if o.operation_id == operation_id)
    example = op.responses[status]["example"]
    return json.loads(example) if isinstance(example, str) else copy.deepcopy(example)


# Error examples that are another shape than their schema; escalada reads no error
# body of these operations beyond the shared errorMessages/errors fallback.
ERROR_SHAPES = {
    # an ErrorCollection {errorMessages, errors, httpStatusCode}, not the
    # BulkOperationErrorResponse {errors: [{message}]} the schema names
    ("getBulkOperationProgress", "400"),
}


def test_every_documented_jira_example_matches_its_own_schema() -> None:
    """Where the reference's example and schema disagree, the contract says so
    (trim.py LENIENT, ERROR_SHAPES); addComment's example is v3 (ADF), escalada's
    body is v2."""
    for op in check.operations("jira"):
        for status, reply in op.responses.items():
            if not reply or "example" not in reply or not reply.get("schema"):
                continue
            if op.operation_id == "addComment" or (op.operation_id, status) in ERROR_SHAPES:
                continue
            example = reply["example"]
            data = json.loads(example) if isinstance(example, str) else example
            assert check._errors(reply["schema"], data, op) == [], (op.operation_id, status)


def test_jiras_documented_issue_without_created_is_one_clear_error() -> None:
    """The reference's getIssue example has no `created`: a clear error, not a traceback."""
    issue = documented("getIssue")
    with pytest.raises(EscaladaError, match="ticket ED-1: has no readable created time"):
        jira_ticket(
            issue,
            desk=jira_desk(),
            options=JiraOptions.of(jira_desk()),
            server="https://x",
            accounts={},
        )


def test_jiras_documented_issue_reads_as_a_ticket() -> None:
    """The same example with a created time, and the v2 string description."""
    issue = documented("searchAndReconsileIssuesUsingJql")["issues"][0]
    issue["fields"]["created"] = "2026-11-23T08:00:00.000+0000"
    issue["fields"]["description"] = "Main order flow broken"  # v2: a string, not ADF
    desk = jira_desk()
    ticket = jira_ticket(
        issue, desk=desk, options=JiraOptions.of(desk), server="https://x", accounts={}
    )
    assert (ticket.key, ticket.description) == ("ED-1", "Main order flow broken")
    assert ticket.created == datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
    assert ticket.updated == datetime(
        1970, 1, 1, 0, 0, 0, 1000, tzinfo=timezone.utc
    )  # `updated: 1`
    assert ticket.priority is None and ticket.team is None and ticket.escalation.path is None
    # The example's `comment` is a list, not the page other bodies show: both are read
    assert "Lorem ipsum" in (ticket.latest_comment or "")


def test_servicenows_documented_incident_reads_as_a_ticket(tmp_path: Path) -> None:
    """c_TableAPI.md's GET incident example (copied unchanged, Apache-2.0), as pysnc
    hands rows over: (value, display value) pairs; no display values were asked."""
    raw = json.loads((EXAMPLES / "servicenow_incident.json").read_text())["result"]
    row = {
        name: ((v["value"], v["value"]) if isinstance(v, dict) else (v, v))
        for name, v in raw.items()
    }
    import responses

    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        desk = ServiceNowHarness(mock, marker_field=None).desk
    options = sn_options.parse_options(desk)
    ticket = sn_ticket(
        desk, options, row, instance="https://instance.servicenow.com", escalation=None
    )
    assert (ticket.key, ticket.title, ticket.status) == (
        "INC0000046",
        "Can't access SFA software",
        "open",
    )
    assert ticket.created == datetime(2015, 11, 2, 22, 4, 15, tzinfo=timezone.utc)
    assert ticket.responded is None  # state 1, New
    assert (ticket.url or "").endswith("incident.do?sys_id=a9e30c7dc61122760116894de7bcc7bd")


def test_a_zendesk_ticket_with_its_metric_set_reads_as_a_ticket() -> None:
    """A body of our own built from Zendesk's documented attributes (email channel:
    no reply_time_in_seconds, so the responded time comes from the minutes)."""
    data = json.loads((EXAMPLES / "zendesk_ticket.json").read_text())
    op, _ = check.check_request(
        "zendesk", "GET", "https://acme.zendesk.com/api/v2/tickets/show_many.json?ids=35436", None
    )
    assert op is not None
    body = {
        "tickets": [data["ticket"]],
        "metric_sets": [data["metric_set"]],
        "organizations": [data["organization"]],
    }
    assert check.check_response(op, 200, json.dumps(body)) == []
    desk = zendesk_desk()
    lookups = Lookups(
        groups={98738: "Network L2"},
        organizations={509974: "Customer AS"},
        metric_sets={35436: data["metric_set"]},
    )
    ticket = zd_ticket(desk, data["ticket"], lookups)
    created = datetime(2026, 11, 23, 8, 0, 12, tzinfo=timezone.utc)
    assert (ticket.key, ticket.title, ticket.status) == (
        "35436",
        "VPN drops every 10 minutes",
        "open",
    )
    assert ticket.created == created and ticket.responded == created + timedelta(minutes=20)
    assert ticket.requester.organization == "Customer AS"
