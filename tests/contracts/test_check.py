"""The contract check catches what it is for: an unknown endpoint, an unknown or
missing parameter, a body or a reply off its schema."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.contracts import check
from tests.contracts.trim import OPERATIONS

JIRA = "https://acme.atlassian.net"
ZD = "https://acme.zendesk.com"


def problems(desk: str, method: str, url: str, body: object = None) -> list[str]:
    raw = None if body is None else json.dumps(body)
    return check.check_request(desk, method, url, raw)[1]


def test_a_request_the_contract_allows_has_no_problem() -> None:
    assert (
        problems(
            "zendesk",
            "GET",
            f"{ZD}/api/v2/tickets/7/comments.json?sort=-created_at&page%5Bsize%5D=10",
        )
        == []
    )
    assert (
        problems("jira", "PUT", f"{JIRA}/rest/api/2/issue/SD-1", {"fields": {"labels": ["x"]}})
        == []
    )


@pytest.mark.parametrize(
    ("desk", "method", "url", "body", "expected"),
    [
        ("jira", "GET", f"{JIRA}/rest/api/2/priority", None, "unknown endpoint"),  # removed
        (
            "jira",
            "GET",
            f"{JIRA}/rest/api/2/priority/search?start=0",
            None,
            "unknown query parameter 'start'",
        ),
        (
            "zendesk",
            "GET",
            f"{ZD}/api/v2/search/export.json?query=x",
            None,
            "missing required query parameter 'filter[type]'",
        ),
        (
            "zendesk",
            "GET",
            f"{ZD}/api/v2/tickets/7/comments.json?sort=newest",
            None,
            "parameter sort",
        ),
        ("zendesk", "GET", f"{ZD}/api/v2/groups.json?page%5Bsize%5D=101", None, "maximum of 100"),
        (
            "zendesk",
            "PUT",
            f"{ZD}/api/v2/tickets/7.json",
            {"ticket": {"priority": "p1"}},
            "body ticket/priority",
        ),
        (
            "jira",
            "POST",
            f"{JIRA}/rest/api/2/priority",
            {"name": "P1"},
            "'statusColor' is a required property",
        ),
        (
            "servicenow",
            "GET",
            "https://x.service-now.com/api/now/table/incident?sysparm_display_value=yes",
            None,
            "sysparm_display_value",
        ),
    ],
)
def test_an_off_contract_request_is_named(
    desk: str, method: str, url: str, body: object, expected: str
) -> None:
    assert any(expected in p for p in problems(desk, method, url, body)), problems(
        desk, method, url, body
    )


def test_a_reply_off_its_schema_is_named() -> None:
    op, _ = check.check_request("zendesk", "GET", f"{ZD}/api/v2/tickets/7/metrics.json", None)
    assert op is not None
    invented = {"ticket_metric": {"id": 1, "ticket_id": 7, "first_reply_at": "2026-01-01"}}
    (problem,) = check.check_response(op, 200, json.dumps(invented))
    assert "first_reply_at" in problem
    assert check.check_response(op, 201, "{}") == ["status 201 is not one the operation answers"]
    batch, _ = check.check_request(
        "servicenow", "POST", "https://x.service-now.com/api/now/v1/batch", None
    )
    assert batch is not None
    missing = {"batch_request_id": "1", "serviced_requests": []}
    assert any(
        "unserviced_requests" in p for p in check.check_response(batch, 200, json.dumps(missing))
    )


def test_every_contract_names_its_source_and_license() -> None:
    for files in check.FILES.values():
        for name in files:
            doc = check._load(name)
            assert doc["source"] and doc["license"], name


def test_the_jira_contract_is_the_trim_of_its_spec() -> None:
    """Reproducible: trim.py over the spec gives the stored file (set ESCALADA_JIRA_SPEC to
    the swagger.v3.json named in jira.json's source to run this)."""
    spec = os.environ.get("ESCALADA_JIRA_SPEC")
    if not spec or not Path(spec).exists():
        pytest.skip("ESCALADA_JIRA_SPEC is not set")
    trim = Path(check.__file__).with_name("trim.py")
    done = subprocess.run(
        [sys.executable, str(trim), "jira-check", spec], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert len(check._load("jira.json")["operations"]) == len(OPERATIONS)
