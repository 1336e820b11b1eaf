"""A stateful fake of Jira Cloud (REST v2) and the JSM comment endpoint, on `responses`.

It keeps issues, comments, priorities, fields, groups, components and users in
memory and answers with Jira's shapes (reference/desk-apis.md §1): serverInfo
says Cloud; search/jql (GET and POST) honours a JQL subset (tests/fakes/jira_jql.py),
`fields`, `maxResults` clamped server-side (5000 for id/key only, FIELDS_PAGE_CAP
when other fields are asked: Jira does not publish that number) and
`nextPageToken`, left out on the last page; an issue PUT validates its fields and
update ops and answers 204; priorities are created (201 {id}), updated (204) and
deleted asynchronously (303 to a task). Wrong credentials get 401 with Jira's
text body; errors carry {"errorMessages": [...], "errors": {...}}."""

from __future__ import annotations

import base64
import hashlib
import json
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
from tests.fakes.base import body
from tests.fakes.base import first
from tests.fakes.base import query
from tests.fakes.base import reply
from tests.fakes.jira_edit import validate_edit
from tests.fakes.jira_jql import JqlError
from tests.fakes.jira_jql import compile_jql
from tests.fakes.jira_jql import sort_key

BASE = "https://acme.atlassian.net"
REST = "/rest/api/2"
KEY = r"(?P<key>[A-Z][A-Z0-9]*-\d+)"
IDS_PAGE_CAP = 5000
FIELDS_PAGE_CAP = 100
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
ICON_URLS = frozenset(
    f"/images/icons/priorities/{name}.png"
    for name in ("blocker", "critical", "high", "highest", "low", "lowest", "major", "medium")
    + ("minor", "trivial")
)
SYSTEM_FIELDS = {
    "summary": ("Summary", {"type": "string", "system": "summary"}),
    "description": ("Description", {"type": "string", "system": "description"}),
    "status": ("Status", {"type": "status", "system": "status"}),
    "priority": ("Priority", {"type": "priority", "system": "priority"}),
    "labels": ("Labels", {"type": "array", "items": "string", "system": "labels"}),
    "created": ("Created", {"type": "datetime", "system": "created"}),
    "updated": ("Updated", {"type": "datetime", "system": "updated"}),
    "resolutiondate": ("Resolved", {"type": "datetime", "system": "resolutiondate"}),
    "assignee": ("Assignee", {"type": "user", "system": "assignee"}),
    "components": ("Component/s", {"type": "array", "items": "component", "system": "components"}),
    "comment": ("Comment", {"type": "comments-page", "system": "comment"}),
    "issuetype": ("Issue Type", {"type": "issuetype", "system": "issuetype"}),
    "project": ("Project", {"type": "project", "system": "project"}),
}
PERMISSIONS = ("BROWSE_PROJECTS", "EDIT_ISSUES", "ADD_COMMENTS", "ASSIGN_ISSUES", "ADMINISTER")
ADMIN_ONLY = "Administrator privileges are required."
GROUP_PICKER = "com.atlassian.jira.plugin.system.customfieldtypes:grouppicker"


def jira_time(moment: datetime) -> str:
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}+0000"


def errors(messages: Sequence[str] = (), **by_field: str) -> dict[str, Any]:
    return {"errorMessages": list(messages), "errors": dict(by_field)}


@dataclass
class FakeIssue:
    id: str
    key: str
    project: str
    fields: dict[str, Any]
    comments: list[dict[str, Any]] = field(default_factory=list)

    def as_search(self) -> dict[str, Any]:
        return {"key": self.key, "project": self.project, "fields": self.fields}


class JiraFake(FakeServer):
    """Jira Cloud at BASE; tests change its state through the attributes and add_* helpers."""

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
        self.clock = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
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
            issue.fields["status"] = self.status(changes["status"])
        issue.fields["updated"] = self.tick()

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
        route(
            "GET", f"{REST}/priority", lambda r, m: reply(200, self.priorities), name="priority GET"
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
                "deploymentType": self.deployment,
                "buildNumber": 100291,
                "serverTitle": "Jira",
                "defaultLocale": {"locale": "en_US"},
                "serverTimeZone": "Etc/UTC",
            },
        )

    def _permissions(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        wanted = first(request, "permissions")
        if not wanted:
            return reply(400, errors(["The 'permissions' query parameter is required."]))
        keys = wanted.split(",")
        unknown = [k for k in keys if k not in PERMISSIONS]
        if unknown:
            return reply(400, errors([f"Unrecognized permission key(s): {', '.join(unknown)}"]))
        return reply(
            200,
            {
                "permissions": {
                    k: {
                        "id": str(i),
                        "key": k,
                        "name": k.title(),
                        "type": "PROJECT",
                        "havePermission": k in self.granted,
                    }
                    for i, k in enumerate(keys)
                }
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

    # --- search ----------------------------------------------------------------

    def _search(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        if request.method == "GET":
            params = query(request)
            asked = {
                "jql": first(request, "jql"),
                "fields": [f for value in params.get("fields", []) for f in value.split(",") if f],
                "maxResults": first(request, "maxResults"),
                "nextPageToken": first(request, "nextPageToken"),
            }
        else:
            data = body(request)
            if not isinstance(data, dict):
                return reply(400, errors(["Request body is not a JSON object."]))
            allowed = {"jql", "fields", "maxResults", "nextPageToken", "expand", "properties"}
            allowed |= {"fieldsByKeys", "failFast", "reconcileIssues"}
            for name in data:
                if name not in allowed:
                    return reply(400, errors([f'Unrecognized field "{name}"']))
            asked = {k: data.get(k) for k in ("jql", "fields", "maxResults", "nextPageToken")}
            if asked["fields"] is not None and not isinstance(asked["fields"], list):
                return reply(400, errors(["fields must be an array of strings."]))
        try:
            predicate, order = compile_jql(str(asked["jql"] or ""))
        except JqlError as error:
            return reply(400, errors([str(error)]))
        wanted = list(asked["fields"] or ["id"])  # this endpoint's default is the id only
        try:
            limit = 50 if asked["maxResults"] in (None, "") else int(asked["maxResults"])
        except ValueError:
            return reply(400, errors(["maxResults must be a number."]))
        cap = IDS_PAGE_CAP if set(wanted) <= {"id", "key"} else self.fields_page_cap
        size = max(0, min(limit, cap))
        signature = hashlib.sha1(json.dumps([asked["jql"], wanted]).encode()).hexdigest()[:12]
        offset = 0
        if asked["nextPageToken"]:
            try:
                token = json.loads(base64.urlsafe_b64decode(str(asked["nextPageToken"])))
                assert token["s"] == signature
                offset = int(token["o"])
            except (ValueError, KeyError, AssertionError, TypeError):
                return reply(400, errors(["The provided next page token is invalid or expired."]))
        if offset == 0 or signature not in self.cursors:
            found = [i for i in self.issues.values() if predicate(i.as_search())]
            for name, ascending in reversed(order):
                found.sort(key=lambda i, n=name: sort_key(i.as_search(), n), reverse=not ascending)
            # Later pages read this result, like a server-side cursor, so a read of
            # N issues stays linear; an issue deleted meanwhile is skipped.
            self.cursors[signature] = [i.key for i in found]
        found = [self.issues[k] for k in self.cursors[signature] if k in self.issues]
        page = found[offset : offset + size]
        self.searches.append({**asked, "returned": len(page)})
        result: dict[str, Any] = {
            "issues": [self.render(issue, wanted) for issue in page],
            "isLast": offset + size >= len(found),
        }
        if not result["isLast"]:
            token_text = json.dumps({"o": offset + size, "s": signature}).encode()
            result["nextPageToken"] = base64.urlsafe_b64encode(token_text).decode()
        return reply(200, result)

    def render(self, issue: FakeIssue, wanted: Sequence[str]) -> dict[str, Any]:
        known = set(SYSTEM_FIELDS) | set(self.custom_fields)
        names = known if "*all" in wanted else [f for f in wanted if f in known]
        fields = {}
        for name in names:
            if name == "comment":
                comments = [{k: v for k, v in c.items() if k != "_public"} for c in issue.comments]
                fields[name] = {
                    "comments": comments,
                    "maxResults": len(comments),
                    "total": len(comments),
                    "startAt": 0,
                }
            else:
                fields[name] = issue.fields.get(name)
        return {
            "expand": "operations,versionedRepresentations,editmeta,changelog,renderedFields",
            "id": issue.id,
            "self": f"{self.base_url}{REST}/issue/{issue.id}",
            "key": issue.key,
            "fields": fields,
        }

    # --- issues ----------------------------------------------------------------

    def _issue(self, match: re.Match[str]) -> FakeIssue | None:
        return self.issues.get(match["key"])

    def _get_issue(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        issue = self._issue(match)
        if issue is None:
            return reply(404, self.error_body(404))
        wanted = [f for v in query(request).get("fields", ["*all"]) for f in v.split(",")]
        return reply(200, self.render(issue, wanted))

    def _edit(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        issue = self._issue(match)
        if issue is None:
            return reply(404, self.error_body(404))
        if "EDIT_ISSUES" not in self.granted:
            return reply(
                403, errors(["You do not have permission to edit issues in this project."])
            )
        data = body(request)
        self.edits.append((issue.key, data))
        problem = validate_edit(self, issue, data)
        if problem is not None:
            return reply(400, problem)
        issue.fields["updated"] = self.tick()
        return 204, {}, ""

    def _add_comment(self, issue: FakeIssue, text: str, public: bool) -> dict[str, Any]:
        created = self.tick()
        comment = {
            "self": f"{self.base_url}{REST}/issue/{issue.id}/comment/{len(issue.comments) + 1}",
            "id": self.next_id(),
            "author": self.users[0],
            "body": text,
            "created": created,
            "updated": created,
            "jsdPublic": public,
            "_public": public,
        }
        issue.comments.append(comment)
        issue.fields["updated"] = created
        return comment

    def _comment(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        issue = self._issue(match)
        if issue is None:
            return reply(404, self.error_body(404))
        data = body(request)
        if not isinstance(data, dict) or set(data) - {"body", "visibility", "properties"}:
            return reply(400, errors(["Unrecognized field in the comment."]))
        if not isinstance(data.get("body"), str) or not data["body"].strip():
            return reply(400, errors(comment="Comment body can not be empty!"))
        internal = any(
            p.get("key") == "sd.public.comment" and (p.get("value") or {}).get("internal") is True
            for p in data.get("properties") or ()
        )
        comment = self._add_comment(issue, data["body"], public=not internal)
        return reply(201, {k: v for k, v in comment.items() if k != "_public"})

    def _sd_comment(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        issue = self._issue(match)
        if issue is None or issue.project not in self.service_desks:
            message = (
                f"The request '{match['key']}' could not be found or you do not have permission."
            )
            return reply(
                404,
                {
                    "errorMessage": message,
                    "i18nErrorMessage": {"i18nKey": "sd.request.error.notfound", "parameters": []},
                },
            )
        data = body(request)
        if not isinstance(data, dict) or set(data) - {"body", "public"}:
            return reply(400, {"errorMessage": "Unrecognized field in the comment request."})
        if (
            not isinstance(data.get("body"), str)
            or not data["body"].strip()
            or not isinstance(data.get("public"), bool)
        ):
            return reply(
                400, {"errorMessage": "A comment needs a non-empty body and public: true|false."}
            )
        comment = self._add_comment(issue, data["body"], public=data["public"])
        millis = int(self.clock.timestamp() * 1000)
        return reply(
            201,
            {
                "id": comment["id"],
                "body": comment["body"],
                "public": data["public"],
                "author": self.users[0],
                "created": {
                    "iso8601": self.clock.isoformat(),
                    "jira": comment["created"],
                    "friendly": "Today",
                    "epochMillis": millis,
                },
                "_links": {"self": f"{self.base_url}/rest/servicedeskapi/comment/{comment['id']}"},
            },
        )

    # --- priorities, groups, components, users ---------------------------------

    def _priority_body(
        self, data: Any, *, creating: bool, pid: str | None = None
    ) -> dict[str, Any] | None:
        """Jira's 400 body for a bad priority body, or None when it is valid."""
        if not isinstance(data, dict):
            return errors(["Request body is not a JSON object."])
        unknown = set(data) - {"name", "description", "statusColor", "iconUrl", "avatarId"}
        if unknown:
            return errors([f'Unrecognized field "{sorted(unknown)[0]}"'])
        if not data:
            return errors(["At least one field must be set."])
        problems: dict[str, str] = {}
        if creating or "name" in data:
            name = data.get("name")
            if not isinstance(name, str) or not name.strip() or len(name) > 60:
                problems["name"] = "The priority name must be between 1 and 60 characters."
            elif any(
                p["name"].casefold() == name.casefold() and p["id"] != pid for p in self.priorities
            ):
                problems["name"] = f"The priority name '{name}' is already used."
        if creating or "statusColor" in data:
            if not re.fullmatch(r"#([0-9a-fA-F]{3}|[0-9a-fA-F]{6})", str(data.get("statusColor"))):
                problems["statusColor"] = "The status color must be a 3- or 6-digit hex color."
        if len(str(data.get("description") or "")) > 255:
            problems["description"] = "The description must be at most 255 characters."
        if creating and ("iconUrl" in data) == ("avatarId" in data):
            problems["iconUrl"] = "Either iconUrl or avatarId must be defined, but not both."
        if "iconUrl" in data and data["iconUrl"] not in ICON_URLS:
            problems["iconUrl"] = "The icon URL must be one of the built-in priority icons."
        return errors(**problems) if problems else None

    def _admin(self) -> Reply | None:
        if "ADMINISTER" in self.granted:
            return None
        return reply(
            403,
            errors(["You are not authorized to perform this action. " + ADMIN_ONLY]),
        )

    def _create_priority(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        data = body(request)
        refused = self._admin() or (
            (400, {"Content-Type": "application/json"}, json.dumps(problem))
            if (problem := self._priority_body(data, creating=True))
            else None
        )
        if refused:
            return refused
        pid = self.next_id()
        icon = data.get("iconUrl") or f"/secure/viewavatar?avatarId={data['avatarId']}"
        self.priorities.append(
            self._priority(
                pid, data["name"], data["statusColor"], icon, data.get("description") or ""
            )
        )
        return reply(201, {"id": pid})

    def _find_priority(self, pid: str) -> dict[str, Any] | None:
        return next((p for p in self.priorities if p["id"] == pid), None)

    def _update_priority(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        found = self._find_priority(match["id"])
        if found is None:
            return reply(404, errors([f"The priority with ID {match['id']} does not exist."]))
        data = body(request)
        refused = self._admin()
        problem = self._priority_body(data, creating=False, pid=match["id"])
        if refused or problem:
            return refused or reply(400, problem)
        for name in ("name", "description", "statusColor"):
            if name in data:
                found[name] = data[name]
        return 204, {}, ""

    def _delete_priority(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        found = self._find_priority(match["id"])
        if found is None:
            return reply(404, errors([f"The priority with ID {match['id']} does not exist."]))
        refused = self._admin()
        if refused:
            return refused
        self.priorities.remove(found)
        fallback = self.priority_ref("Medium")
        for issue in self.issues.values():
            if (issue.fields.get("priority") or {}).get("id") == found["id"]:
                issue.fields["priority"] = fallback
        task = self.next_id()
        self.tasks[task] = {
            "self": f"{self.base_url}{REST}/task/{task}",
            "id": task,
            "description": f"Deleting priority {found['name']}",
            "status": "COMPLETE",
            "result": None,
            "submittedBy": 10000,
            "progress": 100,
            "elapsedRuntime": 12,
        }
        return 303, {"Location": self.tasks[task]["self"]}, ""

    def _task(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        task = self.tasks.get(match["id"])
        if task is None:
            return reply(404, errors([f"Task {match['id']} does not exist."]))
        return reply(200, task)

    def _groups(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        names = query(request).get("groupName", [])
        start = int(first(request, "startAt", "0") or 0)
        limit = min(int(first(request, "maxResults", "50") or 50), 50)
        found = [
            {"name": n, "groupId": g}
            for n, g in sorted(self.groups.items())
            if not names or n in names
        ]
        page = found[start : start + limit]
        return reply(
            200,
            {
                "maxResults": limit,
                "startAt": start,
                "total": len(found),
                "isLast": start + limit >= len(found),
                "values": page,
            },
        )

    def _components(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        if match["key"] not in self.components:
            return reply(404, errors([f"No project could be found with key '{match['key']}'."]))
        return reply(200, [self.component(match["key"], n) for n in self.components[match["key"]]])

    def _user_search(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        text = (first(request, "query") or "").casefold()
        if not text:
            return reply(400, errors(["The query parameter 'query' is required."]))
        found = [
            u
            for u in self.users
            if any(
                str(u.get(k, "")).casefold().startswith(text)
                for k in ("displayName", "emailAddress", "accountId")
            )
        ]
        return reply(200, found)
