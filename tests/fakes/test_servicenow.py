"""The ServiceNow fake refuses what it does not understand and answers with the
real shapes (a fake that accepts any request proves nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import requests
import responses

from tests.fakes.servicenow import PASSWORD
from tests.fakes.servicenow import URL
from tests.fakes.servicenow import USER
from tests.fakes.servicenow import ServiceNowFake

AUTH = (USER, PASSWORD)


@pytest.fixture
def fake() -> Iterator[ServiceNowFake]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield ServiceNowFake(mock)


def get(path: str, **params: str) -> requests.Response:
    return requests.get(f"{URL}{path}", params=params, auth=AUTH, timeout=5)


@pytest.mark.off_contract  # parameters the Table API does not take
@pytest.mark.parametrize(
    "params",
    [
        {"sysparm_query": "nameLIKEnet"},  # an operator the fake does not parse
        {"sysparm_query": "name=a^NQname=b"},
        {"sysparm_query": "u_nope=1"},  # a real instance would drop the term silently
        {"sysparm_fields": "name,u_nope"},
        {"sysparm_fields": "name.sys_id"},  # dot-walk through a non-reference
        {"sysparm_limt": "5"},
        {"sysparm_display_value": "yes"},
    ],
)
def test_refuses_what_it_does_not_understand(fake: ServiceNowFake, params: dict[str, str]) -> None:
    response = get("/api/now/table/sys_user_group", **params)
    assert response.status_code == 400
    assert response.json()["status"] == "failure"


def test_list_shape_total_count_cap_and_display_pairs(fake: ServiceNowFake) -> None:
    group = fake.insert("sys_user_group", name="Network L2", active=True)
    for i in range(10_005):
        fake.insert("sys_journal_field", element="work_notes", element_id=group, value=str(i))
    response = get(
        "/api/now/table/sys_journal_field", sysparm_limit="20000", sysparm_fields="value"
    )
    assert response.headers["X-Total-Count"] == "10005"
    assert len(response.json()["result"]) == 10_000
    incident = fake.insert("incident", assignment_group=group, state="2", short_description="x")
    (row,) = get(
        "/api/now/table/incident",
        sysparm_query=f"assignment_group={group}^stateIN1,2",
        sysparm_fields="assignment_group,state",
        sysparm_display_value="all",
    ).json()["result"]
    assert row["state"] == {"display_value": "In Progress", "value": "2"}
    assert row["assignment_group"]["display_value"] == "Network L2"
    assert row["assignment_group"]["link"].endswith(f"/sys_user_group/{group}")
    single = get(f"/api/now/table/incident/{incident}", sysparm_fields="number").json()
    assert single == {"result": {"number": fake.tables["incident"][incident]["number"]}}


def test_errors_have_the_servicenow_shape(fake: ServiceNowFake) -> None:
    response = requests.get(f"{URL}/api/now/table/incident", auth=(USER, "wrong"), timeout=5)
    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "message": "User Not Authenticated",
            "detail": "Required to provide Auth information",
        },
        "status": "failure",
    }
    fake.inject("429", retry_after=7)
    limited = get("/api/now/table/incident")
    assert (limited.status_code, limited.headers["Retry-After"]) == (429, "7")
    missing = get("/api/now/table/incident/" + "0" * 32)
    assert missing.status_code == 404 and missing.json()["error"]["message"] == "No Record found"


def test_patch_ignores_unknown_fields_but_records_them(fake: ServiceNowFake) -> None:
    incident = fake.insert("incident", impact="3", urgency="3", priority="5")
    response = requests.patch(
        f"{URL}/api/now/table/incident/{incident}",
        json={"u_nope": "x", "priority": "1", "urgency": "1", "work_notes": "note"},
        auth=AUTH,
        timeout=5,
    )
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["priority"] == "3"  # derived from impact 3 x urgency 1, not written
    assert "u_nope" not in result
    assert fake.ignored == [("incident", incident, "u_nope")]
    assert fake.journal(incident, "work_notes") == ["note"]
    assert fake.tables["incident"][incident]["sys_mod_count"] == "1"


@pytest.mark.off_contract  # bodies the Batch API does not take
@pytest.mark.parametrize(
    "payload",
    [
        {"rest_requests": []},  # no batch_request_id
        {"batch_request_id": "1", "rest_requests": {}},
        {"batch_request_id": "1", "rest_requests": [{"id": "1", "method": "GET"}]},  # no url
        {
            "batch_request_id": "1",
            "rest_requests": [
                {"id": "1", "method": "GET", "url": "/api/now/table/incident", "u_nope": 1}
            ],
        },
    ],
)
def test_the_batch_api_refuses_a_malformed_body(fake: ServiceNowFake, payload: Any) -> None:
    response = requests.post(f"{URL}/api/now/v1/batch", json=payload, auth=AUTH, timeout=5)
    assert response.status_code == 400
    assert fake.batched == 0


def test_a_24x7_sla_needs_no_schedule_as_its_schedule_source(fake: ServiceNowFake) -> None:
    """fluent-sla-api.md: schedule is required under schedule_source sla_definition
    (the default); a 24x7 SLA is no_schedule; sla.timezone needs a timezone."""
    url = f"{URL}/api/now/table/contract_sla"
    sla = {"name": "P1", "collection": "incident", "duration": "1970-01-01 00:15:00"}
    old = requests.post(url, json={**sla, "schedule": ""}, auth=AUTH, timeout=5)
    assert old.status_code == 403 and "Schedule is mandatory" in old.json()["error"]["detail"]
    no_zone = {**sla, "schedule_source": "no_schedule", "timezone_source": "sla.timezone"}
    assert requests.post(url, json=no_zone, auth=AUTH, timeout=5).status_code == 403
    made = requests.post(url, json={**no_zone, "timezone": "UTC"}, auth=AUTH, timeout=5)
    assert made.status_code == 201
    assert made.json()["result"]["schedule_source"] == "no_schedule"


def test_a_batch_item_past_a_limit_and_the_ones_after_it_are_unserviced(
    fake: ServiceNowFake,
) -> None:
    """batch-api.md: a request past a size or processing limit cancels the
    transaction; the unprocessed requests come back in unserviced_requests."""
    items = [
        {"id": str(i), "method": "GET", "url": "/api/now/table/sys_user_group?sysparm_limit=1"}
        for i in range(3)
    ]
    fake.slow_batch_items = 1
    payload: dict[str, Any] = {"batch_request_id": "7", "rest_requests": items}
    got = requests.post(f"{URL}/api/now/v1/batch", json=payload, auth=AUTH, timeout=5).json()
    assert got["serviced_requests"] == [] and got["unserviced_requests"] == ["0", "1", "2"]
    fake.batch_max_output = 10
    got = requests.post(f"{URL}/api/now/v1/batch", json=payload, auth=AUTH, timeout=5).json()
    assert got["unserviced_requests"] == ["0", "1", "2"]
    fake.batch_max_output = 10 * 1024 * 1024
    got = requests.post(f"{URL}/api/now/v1/batch", json=payload, auth=AUTH, timeout=5).json()
    assert [s["id"] for s in got["serviced_requests"]] == ["0", "1", "2"]
    assert got["unserviced_requests"] == []
