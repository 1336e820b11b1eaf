"""The Jira fake behaves as the Jira Cloud REST reference documents and refuses
what Jira refuses (a fake that accepts any request proves nothing)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

import pytest
import requests
import responses

from tests.fakes.jira import BASE
from tests.fakes.jira import EMAIL
from tests.fakes.jira import TOKEN
from tests.fakes.jira import JiraFake

API = f"{BASE}/rest/api/2"
AUTH = (EMAIL, TOKEN)
OPENED = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def fake() -> Iterator[JiraFake]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield JiraFake(mock)


def post(path: str, body: Any) -> requests.Response:
    return requests.post(f"{API}/{path}", json=body, auth=AUTH, timeout=5)


def test_wrong_credentials_are_401(fake: JiraFake) -> None:
    response = requests.get(f"{API}/myself", auth=(EMAIL, "wrong"), timeout=5)
    assert response.status_code == 401


def test_search_pages_by_token_and_leaves_it_out_on_the_last_page(fake: JiraFake) -> None:
    """searchAndReconsileIssuesUsingJql: nextPageToken absent on the last page."""
    for i in range(5):
        fake.add_issue(summary=f"T{i}", created=OPENED + timedelta(minutes=i))
    body = {"jql": "project = SD ORDER BY created ASC", "fields": ["summary"], "maxResults": 2}
    page = post("search/jql", body).json()
    keys = [i["key"] for i in page["issues"]]
    while "nextPageToken" in page:
        page = post("search/jql", {**body, "nextPageToken": page["nextPageToken"]}).json()
        keys += [i["key"] for i in page["issues"]]
    assert keys == [f"SD-{n}" for n in range(1, 6)]


def test_an_unbounded_query_is_400(fake: JiraFake) -> None:
    """search/jql refuses an unbounded JQL (only ORDER BY)."""
    response = post("search/jql", {"jql": "ORDER BY created"})
    assert response.status_code == 400 and response.json()["errorMessages"]


def test_a_missing_edit_permission_is_400_not_403(fake: JiraFake) -> None:
    """editIssue: 400 when the user may not edit the fields; 403 only for the override flags."""
    key = fake.add_issue(summary="x", created=OPENED)
    fake.granted.discard("EDIT_ISSUES")
    body = {"fields": {"priority": {"name": "High"}}}
    response = requests.put(f"{API}/issue/{key}", json=body, auth=AUTH, timeout=5)
    assert response.status_code == 400 and "priority" in response.json()["errors"]


def test_my_permissions_answers_each_key_asked_with_its_type(fake: JiraFake) -> None:
    """getMyPermissions: one UserPermission per key; a global one (BULK_CHANGE) is
    GLOBAL and unaffected by the project context."""
    fake.granted.discard("BULK_CHANGE")
    params = {"permissions": "EDIT_ISSUES,BULK_CHANGE", "projectKey": "SD"}
    response = requests.get(f"{API}/mypermissions", params=params, auth=AUTH, timeout=5)
    granted = response.json()["permissions"]
    assert set(granted) == {"EDIT_ISSUES", "BULK_CHANGE"}
    assert granted["EDIT_ISSUES"]["type"] == "PROJECT" and granted["EDIT_ISSUES"]["havePermission"]
    assert granted["BULK_CHANGE"]["type"] == "GLOBAL"
    assert granted["BULK_CHANGE"]["havePermission"] is False


@pytest.mark.off_contract  # no `permissions` on purpose: the contract requires it
@pytest.mark.parametrize("params", [{}, {"permissions": ""}, {"projectKey": "SD"}])
def test_my_permissions_without_keys_is_400(fake: JiraFake, params: dict[str, str]) -> None:
    """Required since 2019-02-01 (the parameter's x-changes notice)."""
    response = requests.get(f"{API}/mypermissions", params=params, auth=AUTH, timeout=5)
    assert response.status_code == 400 and response.json()["errorMessages"]


def test_my_permissions_refuses_an_unknown_key(fake: JiraFake) -> None:
    params = {"permissions": "BROWSE_PROJECTS,BULK_EDIT"}
    response = requests.get(f"{API}/mypermissions", params=params, auth=AUTH, timeout=5)
    assert response.status_code == 400
    assert response.json()["errorMessages"] == ["Unrecognized permission key(s): BULK_EDIT"]


def test_priorities_need_an_avatar_and_are_listed_paged(fake: JiraFake) -> None:
    """createPriority: iconUrl sunset (CHANGE-1525), avatarId from getAllSystemAvatars;
    searchPriorities is paged; GET priority is removed (CHANGE-762), so not served."""
    icon = post(
        "priority",
        {"name": "P9", "statusColor": "#123456", "iconUrl": "/images/icons/priorities/high.png"},
    )
    assert icon.status_code == 400 and "iconUrl" in icon.json()["errors"]
    avatars = requests.get(f"{API}/avatar/priority/system", auth=AUTH, timeout=5).json()["system"]
    made = post(
        "priority", {"name": "P9", "statusColor": "#123456", "avatarId": int(avatars[0]["id"])}
    )
    assert made.status_code == 201
    page = requests.get(
        f"{API}/priority/search", params={"maxResults": "2"}, auth=AUTH, timeout=5
    ).json()
    assert (
        len(page["values"]) == 2
        and page["isLast"] is False
        and page["total"] == len(fake.priorities)
    )
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{API}/priority", auth=AUTH, timeout=5)


def test_deleting_a_priority_is_a_303_to_its_task(fake: JiraFake) -> None:
    avatar = int(
        requests.get(f"{API}/avatar/priority/system", auth=AUTH, timeout=5).json()["system"][0][
            "id"
        ]
    )
    pid = post("priority", {"name": "P9", "statusColor": "#123456", "avatarId": avatar}).json()[
        "id"
    ]
    gone = requests.delete(f"{API}/priority/{pid}", auth=AUTH, timeout=5, allow_redirects=False)
    assert gone.status_code == 303
    task = requests.get(gone.headers["Location"], auth=AUTH, timeout=5).json()
    assert task["status"] == "COMPLETE" and {"submitted", "lastUpdate"} <= set(task)


def test_an_edit_carries_one_comment_which_is_public(fake: JiraFake) -> None:
    """editIssue's update.comment: [{add: {body}}] (the reference's form); a comment added
    through the platform is public (Comment.jsdPublic defaults to true)."""
    key = fake.add_issue(summary="x", created=OPENED)
    body: Any = {"update": {"labels": [{"add": "a"}], "comment": [{"add": {"body": "note"}}]}}
    response = requests.put(f"{API}/issue/{key}", json=body, auth=AUTH, timeout=5)
    assert response.status_code == 204
    (comment,) = fake.issues[key].comments
    assert comment["body"] == "note" and comment["jsdPublic"] is True
    assert fake.issues[key].fields["labels"] == ["a"]


@pytest.mark.parametrize(
    "ops",
    [
        [{"add": {"body": "n", "properties": [{"key": "sd.public.comment", "value": {}}]}}],
        [{"add": {"body": "one"}}, {"add": {"body": "two"}}],
        [{"add": {"body": " "}}],
    ],
)
def test_an_edit_comment_the_reference_does_not_document_is_refused_whole(
    fake: JiraFake, ops: Any
) -> None:
    key = fake.add_issue(summary="x", created=OPENED)
    body = {"update": {"labels": [{"add": "a"}], "comment": ops}}
    response = requests.put(f"{API}/issue/{key}", json=body, auth=AUTH, timeout=5)
    assert response.status_code == 400 and "comment" in response.json()["errors"]
    assert not fake.issues[key].comments and fake.issues[key].fields["labels"] == []


def test_bulk_fetch_takes_100_issues_and_answers_in_id_order(fake: JiraFake) -> None:
    keys = [fake.add_issue(summary=f"T{i}", created=OPENED) for i in range(3)]
    page = post(
        "issue/bulkfetch", {"issueIdsOrKeys": [keys[2], keys[0], "SD-99"], "fields": ["labels"]}
    )
    assert [i["key"] for i in page.json()["issues"]] == [keys[0], keys[2]]
    assert page.json()["issueErrors"] == []
    too_many = post("issue/bulkfetch", {"issueIdsOrKeys": [keys[0]] * 101})
    assert too_many.status_code == 400


def bulk_remove(ids: list[str], field: str = "labels") -> dict[str, Any]:
    return {
        "selectedActions": [field],
        "selectedIssueIdsOrKeys": ids,
        "editedFieldsInput": {
            "labelsFields": [
                {
                    "fieldId": "labels",
                    "bulkEditMultiSelectFieldOption": "REMOVE",
                    "labels": [{"name": "p"}],
                }
            ]
        },
        "sendBulkNotification": False,
    }


def test_bulk_edit_is_a_task_that_removes_only_the_labels_named(fake: JiraFake) -> None:
    """submitBulkEdit answers 201 {taskId}; getBulkOperationProgress runs, then COMPLETE
    with the ids edited; the edit lands when the task does."""
    key = fake.add_issue(summary="x", created=OPENED, labels=["p", "vpn"])
    fake.bulk_polls_running = 1
    submitted = post("bulk/issues/fields", bulk_remove([fake.issues[key].id, "SD-99"]))
    assert submitted.status_code == 201
    task = submitted.json()["taskId"]
    progress = requests.get(f"{API}/bulk/queue/{task}", auth=AUTH, timeout=5).json()
    assert progress["status"] == "ENQUEUED" and fake.issues[key].fields["labels"] == ["p", "vpn"]
    progress = requests.get(f"{API}/bulk/queue/{task}", auth=AUTH, timeout=5).json()
    assert progress["status"] == "COMPLETE"
    assert progress["processedAccessibleIssues"] == [int(fake.issues[key].id)]
    assert progress["invalidOrInaccessibleIssueCount"] == 1
    assert fake.issues[key].fields["labels"] == ["vpn"]


def test_bulk_edit_refuses_fields_not_selected_and_needs_the_bulk_permission(
    fake: JiraFake,
) -> None:
    key = fake.add_issue(summary="x", created=OPENED, labels=["p"])
    refused = post("bulk/issues/fields", bulk_remove([key], field="priority"))
    assert refused.status_code == 400
    assert "not listed as selectedActions : labels" in refused.json()["errors"][0]["message"]
    fake.granted.discard("BULK_CHANGE")
    assert post("bulk/issues/fields", bulk_remove([key])).status_code == 403
    assert fake.issues[key].fields["labels"] == ["p"]
