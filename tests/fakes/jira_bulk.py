"""The Jira fake's batched issue routes, as the platform OpenAPI describes them
(tests/contracts/jira.json, trimmed from the v3 spec; the same operations on v2):

POST /rest/api/2/issue/bulkfetch ("Bulk fetch issues"): body BulkFetchIssueRequestBean
`{issueIdsOrKeys (required), fields, expand, fieldsByKeys, properties}`, "You can
request up to 100 issues"; the reply BulkIssueResults `{issues: [IssueBean],
issueErrors: []}`, issues "in ascending `id` order"; issues not found or not
visible are left out (not listed in issueErrors).

POST /rest/api/2/bulk/issues/fields ("Bulk edit issues", submitBulkEdit): body
IssueBulkEditPayload `{selectedActions, selectedIssueIdsOrKeys, editedFieldsInput
(required), sendBulkNotification}`, "a maximum of 1000 issues"; it needs the
global bulk change permission (BULK_CHANGE). Only `labelsFields` is modelled
(JiraLabelsField: `fieldId`, `bulkEditMultiSelectFieldOption` ADD | REMOVE |
REPLACE | REMOVE_ALL, `labels: [{name}]`); a field edited must be listed in
selectedActions (the operation's own 400 example: "The following
editedFieldInput values are not listed as selectedActions : issuetype"). The
reply is 201 `{taskId}`.

GET /rest/api/2/bulk/queue/{taskId} ("Get bulk operation progress"):
BulkOperationProgress. The task runs asynchronously: it stays ENQUEUED/RUNNING
for `bulk_polls_running` polls (0 by default), then the edit is applied and it
answers COMPLETE with `processedAccessibleIssues` (the issue ids edited, as
integers) and `invalidOrInaccessibleIssueCount`."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from typing import Any

import requests

from tests.fakes.base import Reply
from tests.fakes.base import body
from tests.fakes.base import reply
from tests.fakes.jira_admin import errors

if TYPE_CHECKING:
    from tests.fakes.jira import FakeIssue

FETCH_KEYS = frozenset({"issueIdsOrKeys", "fields", "expand", "fieldsByKeys", "properties"})
EDIT_KEYS = frozenset(
    {"selectedActions", "selectedIssueIdsOrKeys", "editedFieldsInput", "sendBulkNotification"}
)
LABEL_OPTIONS = frozenset({"ADD", "REMOVE", "REPLACE", "REMOVE_ALL"})


def bulk_errors(message: str) -> dict[str, Any]:
    """BulkOperationErrorResponse."""
    return {"errors": [{"message": message}]}


class BulkRoutes:
    if TYPE_CHECKING:
        issues: dict[str, FakeIssue]
        granted: set[str]
        users: list[dict[str, Any]]
        bulk_tasks: dict[str, dict[str, Any]]
        bulk_polls_running: int
        bulk_fetches: list[list[str]]

        def next_id(self) -> str: ...
        def tick(self) -> str: ...
        def render(self, issue: FakeIssue, wanted: Any) -> dict[str, Any]: ...

    def _find(self, id_or_key: Any) -> FakeIssue | None:
        text = str(id_or_key)
        found = self.issues.get(text.upper())
        return found or next((i for i in self.issues.values() if i.id == text), None)

    def _bulk_fetch_issues(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        data = body(request)
        if not isinstance(data, dict) or set(data) - FETCH_KEYS:
            return reply(400, errors(["Unrecognized field in the request body."]))
        wanted = data.get("issueIdsOrKeys")
        if not isinstance(wanted, list) or not wanted:
            return reply(400, errors(["issueIdsOrKeys is required."]))
        if len(wanted) > 100:
            return reply(400, errors(["You can request up to 100 issues."]))
        self.bulk_fetches.append([str(k) for k in wanted])
        fields = data.get("fields") or ["*navigable"]
        found = {i.id: i for k in wanted if (i := self._find(k)) is not None}
        issues = [self.render(found[i], fields) for i in sorted(found, key=int)]
        return reply(200, {"issues": issues, "issueErrors": []})

    def _submit_bulk_edit(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        if "BULK_CHANGE" not in self.granted:
            return reply(403, bulk_errors("You don't have the global bulk change permission."))
        data = body(request)
        if not isinstance(data, dict) or set(data) - EDIT_KEYS:
            return reply(400, bulk_errors("Unrecognized field in the request body."))
        actions, keys = data.get("selectedActions"), data.get("selectedIssueIdsOrKeys")
        edited = data.get("editedFieldsInput")
        if not isinstance(actions, list) or not isinstance(keys, list) or not keys:
            return reply(400, bulk_errors("selectedActions and selectedIssueIdsOrKeys required."))
        if len(keys) > 1000:
            return reply(400, bulk_errors("A bulk edit takes at most 1000 issues."))
        if not isinstance(edited, dict) or set(edited) - {"labelsFields"}:
            return reply(400, bulk_errors("This fake edits labelsFields only."))
        ops = edited.get("labelsFields") or []
        named = [op.get("fieldId") for op in ops if isinstance(op, dict)]
        missing = [n for n in named if n not in actions]
        if missing:
            return reply(
                400,
                bulk_errors(
                    "The following editedFieldInput values are not listed as selectedActions : "
                    + ", ".join(str(m) for m in missing)
                ),
            )
        for op in ops:
            if (
                not isinstance(op, dict)
                or op.get("fieldId") != "labels"
                or op.get("bulkEditMultiSelectFieldOption") not in LABEL_OPTIONS
                or not isinstance(op.get("labels"), list)
                or not all(isinstance(x, dict) and set(x) == {"name"} for x in op["labels"])
            ):
                return reply(400, bulk_errors("A labels field edit is invalid."))
        task = self.next_id()
        self.bulk_tasks[task] = {
            "keys": [str(k) for k in keys],
            "ops": ops,
            "polls": 0,
            "created": self.tick(),
            "done": None,
        }
        return reply(201, {"taskId": task})

    def _bulk_progress(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        task = self.bulk_tasks.get(match["id"])
        if task is None:
            return reply(404, bulk_errors("Task not found."))
        base = {
            "taskId": match["id"],
            "created": task["created"],
            "submittedBy": {"accountId": self.users[0]["accountId"]},
            "totalIssueCount": len(task["keys"]),
        }
        task["polls"] += 1
        if task["done"] is None and task["polls"] <= self.bulk_polls_running:
            status = "ENQUEUED" if task["polls"] == 1 else "RUNNING"
            return reply(200, {**base, "status": status, "progressPercent": 0})
        if task["done"] is None:
            task["done"] = self._run_bulk_edit(task)
        processed, invalid = task["done"]
        return reply(
            200,
            {
                **base,
                "status": "COMPLETE",
                "progressPercent": 100,
                "started": task["created"],
                "updated": self.tick(),
                "processedAccessibleIssues": processed,
                "invalidOrInaccessibleIssueCount": invalid,
            },
        )

    def _run_bulk_edit(self, task: dict[str, Any]) -> tuple[list[int], int]:
        processed: list[int] = []
        invalid = 0
        for key in task["keys"]:
            issue = self._find(key)
            if issue is None:
                invalid += 1
                continue
            labels = list(issue.fields.get("labels") or [])
            for op in task["ops"]:
                names = [x["name"] for x in op["labels"]]
                option = op["bulkEditMultiSelectFieldOption"]
                if option == "ADD":
                    labels += [n for n in names if n not in labels]
                elif option == "REMOVE":
                    labels = [label for label in labels if label not in names]
                elif option == "REPLACE":
                    labels = list(names)
                else:
                    labels = []
            issue.fields["labels"] = sorted(set(labels))
            issue.fields["updated"] = self.tick()
            processed.append(int(issue.id))
        return processed, invalid
