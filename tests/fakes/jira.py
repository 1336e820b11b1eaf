"""A stateful fake of Jira Cloud (REST v2) and the JSM comment endpoint, on `responses`.

It keeps issues, comments, priorities, fields, groups, components and users in
memory and answers with Jira's shapes (reference/desk-apis.md §1): serverInfo
says Cloud; search/jql (GET and POST) honours a JQL subset (tests/fakes/jira_jql.py),
`fields`, `maxResults` clamped server-side (5000 for id/key only, FIELDS_PAGE_CAP
when other fields are asked: Jira does not publish that number) and
`nextPageToken`, left out on the last page; an issue PUT validates its fields and
update ops and answers 204; priorities are created (201 {id}), updated (204) and
deleted asynchronously (303 to a task). Wrong credentials get 401 with Jira's
text body; errors carry {"errorMessages": [...], "errors": {...}}.

The routes live in mixins: search in jira_jql.py, issue GET/PUT and comments in
jira_edit.py, permissions/priorities/groups/components/users in jira_admin.py."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any

import requests
import responses

from tests.fakes.base import FakeServer
from tests.fakes.base import Reply
from tests.fakes.base import reply
from tests.fakes.jira_admin import PERMISSIONS
from tests.fakes.jira_admin import SYSTEM_FIELDS
from tests.fakes.jira_admin import AdminRoutes
from tests.fakes.jira_admin import errors
from tests.fakes.jira_bulk import BulkRoutes
from tests.fakes.jira_edit import IssueRoutes
from tests.fakes.jira_history import HistoryRoutes
from tests.fakes.jira_history import status_change
from tests.fakes.jira_jql import FIELDS_PAGE_CAP
from tests.fakes.jira_jql import SearchRoutes

BASE = "https://acme.atlassian.net"
REST = "/rest/api/2"
KEY = r"(?P<key>[A-Z][A-Z0-9]*-\d+)"
EMAIL = "escalada-bot@acme.example"
TOKEN = "atl-token-7f3c9e1d"
BOT_ACCOUNT = "5b10ac8d82e05b22cc7d4ef5"
STATUSES = {
    "Open": ("1", "new"),
    "In Progress": ("3", "indeterminate"),
    "Waiting for customer": ("10002", "indeterminate"),
    "Resolved": ("5", "done"),
    "Closed": ("6", "done"),
}
CATEGORY_IDS = {"new": 2, "indeterminate": 4, "done": 3}
PRIORITIES = (
    ("1", "Highest", "#d04437", "highest"),
    ("2", "High", "#f15c75", "high"),
    ("3", "Medium", "#f79232", "medium"),
    ("4", "Low", "#707070", "low"),
    ("5", "Lowest", "#999999", "lowest"),
)
GROUP_PICKER = "com.atlassian.jira.plugin.system.customfieldtypes:grouppicker"


def jira_time(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


@dataclass
class FakeIssue:
    id: str
    key: str
    project: str
    fields: dict[str, Any]
    comments: list[dict[str, Any]] = field(default_factory=list)
    histories: list[dict[str, Any]] = field(default_factory=list)  # changelog, oldest first

    def as_search(self) -> dict[str, Any]:
        return {"key": self.key, "project": self.project, "fields": self.fields}


class JiraFake(SearchRoutes, IssueRoutes, BulkRoutes, AdminRoutes, HistoryRoutes, FakeServer):
    """Jira Cloud at BASE; tests change its state through the attributes and add_* helpers."""

    contract = "jira"

    def __init__(self, mock: responses.RequestsMock, base_url: str = BASE) -> None:
        super().__init__(mock, base_url)
        self.email, self.token = EMAIL, TOKEN
        self.deployment = "Cloud"
        self.granted = set(PERMISSIONS)
        self.fields_page_cap = FIELDS_PAGE_CAP
        self.issues: dict[str, FakeIssue] = {}
        self.priorities: list[dict[str, Any]] = [
            self._priority(pid, name, color, f"/images/icons/priorities/{icon}.png", "")
            for pid, name, color, icon in PRIORITIES
        ]
        self.custom_fields: dict[str, tuple[str, dict[str, Any]]] = {}
        self.groups: dict[str, str] = {}  # name -> groupId
        self.components: dict[str, list[str]] = {}  # project -> names
        self.service_desks = {"SD"}  # projects whose issues are JSM requests
        self.users: list[dict[str, Any]] = [self.user(BOT_ACCOUNT, "escalada bot", EMAIL)]
        self.tasks: dict[str, dict[str, Any]] = {}
        self.cursors: dict[str, list[str]] = {}  # query signature -> matching keys, in order
        self.searches: list[dict[str, Any]] = []  # what each search asked, for assertions
        self.edits: list[tuple[str, Any]] = []  # (key, PUT body) as received
        self.statuses = dict(STATUSES)  # name -> (id, category key)
        self.changelog_requests: list[dict[str, Any]] = []  # bulkfetch bodies, as received
        self.clock = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
        self.bulk_tasks: dict[str, dict[str, Any]] = {}  # bulk edit task id -> its state
        self.bulk_polls_running = 0  # progress polls a bulk edit answers RUNNING before done
        self.bulk_fetches: list[list[str]] = []  # issue bulkfetch requests: the keys asked
        self._ids = 10000
        self._routes()

    # --- state helpers ---------------------------------------------------------

    def next_id(self) -> str:
        self._ids += 1
        return str(self._ids)

    def tick(self) -> str:
        self.clock += timedelta(seconds=1)
        return jira_time(self.clock)

    def user(self, account: str, name: str, email: str | None = None) -> dict[str, Any]:
        found = {
            "self": f"{self.base_url}{REST}/user?accountId={account}",
            "accountId": account,
            "accountType": "atlassian",
            "displayName": name,
            "active": True,
        }
        if email is not None:
            found["emailAddress"] = email
        return found

    def _priority(self, pid: str, name: str, color: str, icon: str, text: str) -> dict[str, Any]:
        return {
            "self": f"{self.base_url}{REST}/priority/{pid}",
            "statusColor": color,
            "description": text,
            "iconUrl": f"{self.base_url}{icon}",
            "name": name,
            "id": pid,
        }

    def priority_ref(self, name: str) -> dict[str, Any]:
        found = next(p for p in self.priorities if p["name"] == name)
        return {k: found[k] for k in ("self", "iconUrl", "name", "id")}

    def add_field(self, field_id: str, name: str, schema: Mapping[str, Any]) -> None:
        self.custom_fields[field_id] = (name, {**schema, "customId": int(field_id.split("_")[1])})

    def add_group_picker(self, field_id: str, name: str) -> None:
        self.add_field(field_id, name, {"type": "group", "custom": GROUP_PICKER})

    def add_group(self, name: str) -> None:
        self.groups[name] = hashlib.sha1(name.encode()).hexdigest()[:8] + "-grp"

    def status(self, name: str) -> dict[str, Any]:
        sid, category = STATUSES[name]
        return {
            "self": f"{self.base_url}{REST}/status/{sid}",
            "id": sid,
            "name": name,
            "statusCategory": {
                "id": CATEGORY_IDS[category],
                "key": category,
                "name": {"new": "To Do", "indeterminate": "In Progress", "done": "Done"}[category],
            },
        }

    def add_issue(
        self,
        *,
        summary: str,
        created: datetime,
        project: str = "SD",
        issuetype: str = "Incident",
        status: str = "Open",
        priority: str | None = "Medium",
        labels: Sequence[str] = (),
        description: str | None = None,
        assignee: str | None = None,
        components: Sequence[str] = (),
        custom: Mapping[str, Any] | None = None,
    ) -> str:
        number = 1 + sum(1 for issue in self.issues.values() if issue.project == project)
        key, issue_id = f"{project}-{number}", self.next_id()
        done = STATUSES[status][1] == "done"
        fields: dict[str, Any] = {
            "summary": summary,
            "description": description,
            "issuetype": {"id": "10004", "name": issuetype},
            "project": {"id": "10000", "key": project, "name": project},
            "status": self.status(status),
            "priority": None if priority is None else self.priority_ref(priority),
            "labels": list(labels),
            "created": jira_time(created),
            "updated": jira_time(created),
            "resolutiondate": jira_time(created + timedelta(hours=1)) if done else None,
            "assignee": None if assignee is None else self.find_user(assignee),
            "components": [self.component(project, name) for name in components],
        }
        fields.update(custom or {})
        self.issues[key] = FakeIssue(issue_id, key, project, fields)
        return key

    def find_user(self, account: str) -> dict[str, Any] | None:
        return next((u for u in self.users if u["accountId"] == account), None)

    def component(self, project: str, name: str) -> dict[str, Any]:
        index = self.components[project].index(name)
        return {
            "self": f"{self.base_url}{REST}/component/{index + 100}",
            "id": str(index + 100),
            "name": name,
        }

    def edit_issue(self, key: str, **changes: Any) -> None:
        """A person editing the issue in Jira's UI (title=, tags=, status=)."""
        issue = self.issues[key]
        if "title" in changes:
            issue.fields["summary"] = changes["title"]
        if "tags" in changes:
            issue.fields["labels"] = sorted(changes["tags"])
        if "status" in changes:
            self.transition(key, changes["status"])
        issue.fields["updated"] = self.tick()

    def transition(self, key: str, status: str, at: datetime | None = None) -> None:
        """Move the issue to `status` (at `at`, default the fake's clock), written to its
        changelog as Jira does; a done status sets resolutiondate, leaving clears it."""
        issue = self.issues[key]
        when = jira_time(at) if at is not None else self.tick()
        old, new = issue.fields["status"], self.status(status)
        issue.histories.append(status_change(self.next_id(), when, old, new))
        issue.fields["status"] = new
        done = STATUSES[status][1] == "done"
        issue.fields["resolutiondate"] = when if done else None
        issue.fields["updated"] = when

    # --- wire ------------------------------------------------------------------

    def _routes(self) -> None:
        route = self.route
        route("GET", f"{REST}/serverInfo", self._server_info, name="serverInfo")
        route("GET", f"{REST}/myself", lambda r, m: reply(200, self.users[0]), name="myself")
        route("GET", f"{REST}/mypermissions", self._permissions, name="mypermissions")
        route("GET", f"{REST}/field", self._field_list, name="field")
        route("GET", f"{REST}/search/jql", self._search, name="search")
        route("POST", f"{REST}/search/jql", self._search, name="search")
        route("GET", f"{REST}/issue/{KEY}", self._get_issue, name="issue GET")
        route("PUT", f"{REST}/issue/{KEY}", self._edit, name="issue PUT")
        route("POST", f"{REST}/issue/{KEY}/comment", self._comment, name="comment")
        route(
            "POST",
            f"/rest/servicedeskapi/request/{KEY}/comment",
            self._sd_comment,
            name="sd comment",
        )
        # No `GET priority`: removed from Jira Cloud (CHANGE-762); priority/search replaces it.
        route("GET", f"{REST}/priority/search", self._search_priorities, name="priority GET")
        route(
            "GET",
            f"{REST}/avatar/(?P<type>issuetype|project|user|priority)/system",
            self._system_avatars,
            name="avatars",
        )
        route("POST", f"{REST}/priority", self._create_priority, name="priority POST")
        route("PUT", f"{REST}/priority/(?P<id>\\d+)", self._update_priority, name="priority PUT")
        route(
            "DELETE", f"{REST}/priority/(?P<id>\\d+)", self._delete_priority, name="priority DELETE"
        )
        route("GET", f"{REST}/task/(?P<id>\\d+)", self._task, name="task")
        route("GET", f"{REST}/group/bulk", self._groups, name="group/bulk")
        route(
            "GET",
            f"{REST}/project/(?P<key>[A-Z][A-Z0-9]*)/components",
            self._components,
            name="components",
        )
        route("GET", f"{REST}/user/search", self._user_search, name="user/search")
        route("GET", f"{REST}/status", self._status_list, name="status")
        route("POST", f"{REST}/changelog/bulkfetch", self._bulkfetch, name="changelog/bulkfetch")
        route("POST", f"{REST}/issue/bulkfetch", self._bulk_fetch_issues, name="issue/bulkfetch")
        route("POST", f"{REST}/bulk/issues/fields", self._submit_bulk_edit, name="bulk edit")
        route("GET", f"{REST}/bulk/queue/(?P<id>\\d+)", self._bulk_progress, name="bulk progress")

    def error_body(self, status: int, message: str | None = None) -> Any:
        default = {
            403: "You do not have the permission to see the specified issue.",
            404: "Issue does not exist or you do not have permission to see it.",
            429: "Rate limit exceeded.",
        }
        return errors([message or default.get(status, f"HTTP {status}")])

    def fault_reply(self, fault: Any) -> Any:
        if fault.kind == "401":
            return self._unauthorized()
        return super().fault_reply(fault)

    def _unauthorized(self) -> Reply:
        headers = {
            "Content-Type": "text/plain;charset=UTF-8",
            "X-Seraph-LoginReason": "AUTHENTICATED_FAILED",
        }
        return 401, headers, "Client must be authenticated to access this resource."

    def refuse(self, request: requests.PreparedRequest) -> Reply | None:
        expected = base64.b64encode(f"{self.email}:{self.token}".encode()).decode()
        if request.headers.get("Authorization") != f"Basic {expected}":
            return self._unauthorized()
        return None

    def _server_info(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        return reply(
            200,
            {
                "baseUrl": self.base_url,
                "displayUrl": self.base_url,
                "version": "1001.0.0-SNAPSHOT",
                "versionNumbers": [1001, 0, 0],
                "defaultLocale": {"locale": "en_US"},
                "deploymentType": self.deployment,
                "buildNumber": 100291,
                "serverTitle": "Jira",
                "serverTimeZone": "Etc/UTC",
            },
        )

    def field_list(self) -> list[dict[str, Any]]:
        listed = []
        for field_id, (name, schema) in SYSTEM_FIELDS.items():
            listed.append(
                {
                    "id": field_id,
                    "key": field_id,
                    "name": name,
                    "custom": False,
                    "clauseNames": [field_id],
                    "schema": schema,
                }
            )
        for field_id, (name, schema) in self.custom_fields.items():
            clause = f"cf[{field_id.split('_')[1]}]"
            listed.append(
                {
                    "id": field_id,
                    "key": field_id,
                    "name": name,
                    "custom": True,
                    "clauseNames": [clause, name],
                    "schema": schema,
                }
            )
        return listed

    def _field_list(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        return reply(200, self.field_list())
