"""The Jira fake's status history: the bulk changelog route and the status list.

POST /rest/api/2/changelog/bulkfetch ("Bulk fetch changelogs", in the v3 spec at
/work/.mirror/ilpanich+jirust-cli/repo jira-v3-openapi-spec/swagger.v3.json, the
same operation on v2): body BulkChangelogRequestBean `{issueIdsOrKeys: [1..1000],
fieldIds: [0..10, unique], maxResults: 1..10000 (default 1000), nextPageToken}`,
no other keys (additionalProperties: false); the reply BulkChangelogResponseBean
`{issueChangeLogs: [{issueId, changeHistories: [Changelog]}], nextPageToken}`,
"sorted by changelog date and issue IDs, starting from the oldest changelog and
smallest issue ID". On the last page the token is left out (the description
says null; the schema types it string, so the fake leaves it out). A Changelog is `{id, author,
created, items: [{field, fieldtype, fieldId, from, fromString, to, toString}]}`.

GET /rest/api/2/status ("Get all statuses"): a list of StatusDetails
`{self, id, name, statusCategory: {id, key, name}}`."""

from __future__ import annotations

import base64
import json
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

BULK_KEYS = ("issueIdsOrKeys", "fieldIds", "maxResults", "nextPageToken")


class HistoryRoutes:
    if TYPE_CHECKING:
        issues: dict[str, FakeIssue]
        statuses: dict[str, tuple[str, str]]
        changelog_requests: list[dict[str, Any]]

        def status(self, name: str) -> dict[str, Any]: ...

    def _status_list(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        return reply(200, [self.status(name) for name in self.statuses])

    def _bulkfetch(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        data = body(request)
        if not isinstance(data, dict) or set(data) - set(BULK_KEYS):
            return reply(400, errors("Unrecognized field in the request body."))
        keys = data.get("issueIdsOrKeys")
        if not isinstance(keys, list) or not 1 <= len(keys) <= 1000:
            return reply(400, errors("issueIdsOrKeys: size must be between 1 and 1000"))
        fields = data.get("fieldIds", [])
        if not isinstance(fields, list) or len(fields) > 10 or len(set(fields)) != len(fields):
            return reply(400, errors("fieldIds: at most 10 unique field ids"))
        size = data.get("maxResults", 1000)
        if not isinstance(size, int) or not 1 <= size <= 10000:
            return reply(400, errors("maxResults: must be between 1 and 10000"))
        self.changelog_requests.append(data)
        by_key = {issue.key: issue for issue in self.issues.values()}
        by_id = {issue.id: issue for issue in self.issues.values()}
        entries = []
        for ref in dict.fromkeys(str(k) for k in keys):
            issue = by_key.get(ref) or by_id.get(ref)
            if issue is None:
                continue  # Jira leaves out issues it cannot show
            for history in issue.histories:
                items = [i for i in history["items"] if not fields or i["fieldId"] in fields]
                if items:
                    entries.append((history["created"], int(issue.id), {**history, "items": items}))
        entries.sort(key=lambda e: (e[0], e[1]))
        offset = 0
        token = data.get("nextPageToken")
        if token is not None:
            try:
                offset = int(json.loads(base64.urlsafe_b64decode(str(token)))["o"])
            except (ValueError, KeyError, TypeError):
                return reply(400, errors("The nextPageToken is invalid."))
        page = entries[offset : offset + size]
        grouped: dict[int, list[dict[str, Any]]] = {}
        for _, issue_id, history in page:
            grouped.setdefault(issue_id, []).append(history)
        result: dict[str, Any] = {
            "issueChangeLogs": [
                {"issueId": str(issue_id), "changeHistories": histories}
                for issue_id, histories in grouped.items()
            ],
        }
        if offset + size < len(entries):
            text = json.dumps({"o": offset + size}).encode()
            result["nextPageToken"] = base64.urlsafe_b64encode(text).decode()
        return reply(200, result)


def status_change(
    history_id: str, created: str, old: dict[str, Any], new: dict[str, Any]
) -> dict[str, Any]:
    """One Changelog entry of a status transition, as Jira writes it."""
    return {
        "id": history_id,
        "author": {"accountId": "5b10a2844c20165700ede21g", "displayName": "Agent"},
        "created": created,
        "items": [
            {
                "field": "status",
                "fieldtype": "jira",
                "fieldId": "status",
                "from": old["id"],
                "fromString": old["name"],
                "to": new["id"],
                "toString": new["name"],
            }
        ],
    }
