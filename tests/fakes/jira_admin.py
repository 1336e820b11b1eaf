"""The Jira fake's administration endpoints: permissions, priorities (with the
asynchronous delete task), groups, components and users. Mixed into JiraFake.

Priorities as the Jira Cloud platform REST reference has them now
(swagger.v3.json, see tests/contracts/): `GET priority` is removed (CHANGE-762)
and not served; `GET priority/search` is paged (startAt, maxResults default 50,
isLast) with the id/priorityName/onlyDefault filters; `iconUrl` in a create or
update was sunset on 2025-03-16 (CHANGE-1525): a create needs `avatarId`, one
of `GET avatar/priority/system` (getAllSystemAvatars)."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING
from typing import Any

import requests

from tests.fakes.base import Reply
from tests.fakes.base import body
from tests.fakes.base import first
from tests.fakes.base import query
from tests.fakes.base import reply

ADMIN_ONLY = "Administrator privileges are required."
# getMyPermissions (tests/contracts/jira.json): key -> (id, name, type, description).
# EDIT_ISSUES is the reference's own example; BULK_CHANGE's name, type and description
# are getAllPermissions' example (it gives no id). The other ids are Jira's long-standing
# numbers and the other texts this fake's own: escalada reads only `havePermission`.
PERMISSIONS = {
    "BROWSE_PROJECTS": ("10", "Browse Projects", "PROJECT", "Ability to browse projects."),
    "EDIT_ISSUES": ("12", "Edit Issues", "PROJECT", "Ability to edit issues."),
    "ADD_COMMENTS": ("15", "Add Comments", "PROJECT", "Ability to comment on issues."),
    "ASSIGN_ISSUES": ("13", "Assign Issues", "PROJECT", "Ability to assign issues."),
    "ADMINISTER": ("0", "Administer Jira", "GLOBAL", "Ability to administer Jira."),
    "BULK_CHANGE": (
        "33",
        "Bulk Change",
        "GLOBAL",
        "Ability to modify a collection of issues at once. For example, resolve multiple "
        "issues in one step.",
    ),
}
REST = "/rest/api/2"
# System priority avatars: ids are this fake's own (Jira does not publish them).
PRIORITY_AVATARS = {
    str(10630 + i): f"{name}.svg"
    for i, name in enumerate(("highest", "high", "medium", "low", "lowest", "blocker"))
}

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


def errors(messages: Any = (), **by_field: str) -> dict[str, Any]:
    """Jira's error body."""
    return {"errorMessages": list(messages), "errors": dict(by_field)}


class AdminRoutes:
    if TYPE_CHECKING:
        base_url: str
        granted: set[str]
        priorities: list[dict[str, Any]]
        issues: dict[str, Any]
        tasks: dict[str, dict[str, Any]]
        groups: dict[str, str]
        components: dict[str, list[str]]
        users: list[dict[str, Any]]

        def next_id(self) -> str: ...
        def priority_ref(self, name: str) -> dict[str, Any]: ...
        def component(self, project: str, name: str) -> dict[str, Any]: ...
        def _priority(
            self, pid: str, name: str, color: str, icon: str, text: str
        ) -> dict[str, Any]: ...

    def _permissions(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        """getMyPermissions (tests/contracts/jira.json): `permissions` is required since
        2019-02-01 (its x-changes notice; the 400 is "Returned if `permissions` is empty,
        contains an invalid key ..."). The reply is Permissions, one UserPermission per
        key asked. Grants are site-wide here: a project context changes no answer, and
        "Global permissions are unaffected by context" (the operation's description)."""
        wanted = first(request, "permissions")
        if not wanted:
            return reply(400, errors(["The 'permissions' query parameter is required."]))
        keys = wanted.split(",")
        unknown = [k for k in keys if k not in PERMISSIONS]
        if unknown:
            return reply(400, errors([f"Unrecognized permission key(s): {', '.join(unknown)}"]))
        granted = {}
        for key in keys:
            pid, name, kind, description = PERMISSIONS[key]
            granted[key] = {
                "id": pid,
                "key": key,
                "name": name,
                "type": kind,
                "description": description,
                "havePermission": key in self.granted,
            }
        return reply(200, {"permissions": granted})

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
        if "iconUrl" in data:  # sunset 2025-03-16 (CHANGE-1525)
            problems["iconUrl"] = "The iconUrl parameter is no longer supported: use avatarId."
        if creating and "avatarId" not in data:
            problems["avatarId"] = "The avatarId must be defined."
        if "avatarId" in data and str(data["avatarId"]) not in PRIORITY_AVATARS:
            problems["avatarId"] = "The avatar must be a system priority avatar."
        return errors(**problems) if problems else None

    def _search_priorities(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        """GET priority/search: paged, filtered by id, priorityName and onlyDefault."""
        try:
            start = int(first(request, "startAt", "0") or 0)
            limit = int(first(request, "maxResults", "50") or 50)
        except ValueError:
            return reply(400, errors(["startAt and maxResults must be numbers."]))
        limit = max(1, min(limit, 50))  # the page size is the server's choice
        ids = set(query(request).get("id", []))
        name = (first(request, "priorityName") or "").casefold()
        only_default = first(request, "onlyDefault") == "true"
        found = [
            {**p, "isDefault": p["name"] == "Medium"}
            for p in self.priorities
            if (not ids or p["id"] in ids) and name in p["name"].casefold()
        ]
        found = [p for p in found if p["isDefault"] or not only_default]
        return reply(
            200,
            {
                "self": f"{self.base_url}{REST}/priority/search?startAt={start}",
                "maxResults": limit,
                "startAt": start,
                "total": len(found),
                "isLast": start + limit >= len(found),
                "values": found[start : start + limit],
            },
        )

    def _system_avatars(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        if match["type"] != "priority":
            return reply(200, {"system": []})
        return reply(
            200,
            {
                "system": [
                    {
                        "id": aid,
                        "fileName": name,
                        "isDeletable": False,
                        "isSelected": False,
                        "isSystemAvatar": True,
                        "urls": {
                            "16x16": f"{self.base_url}/rest/api/2/universal_avatar/view"
                            f"/type/priority/avatar/{aid}?size=xsmall"
                        },
                    }
                    for aid, name in PRIORITY_AVATARS.items()
                ]
            },
        )

    def _admin(self) -> Reply | None:
        if "ADMINISTER" in self.granted:
            return None
        return reply(
            403,
            errors(["You are not authorized to perform this action. " + ADMIN_ONLY]),
        )

    def _create_priority(self, request: requests.PreparedRequest, match: re.Match[str]) -> Reply:
        data = body(request)
        refused = self._admin()
        problem = self._priority_body(data, creating=True)
        if refused or problem:
            return refused or reply(400, problem)
        pid = self.next_id()
        icon = f"/rest/api/2/universal_avatar/view/type/priority/avatar/{data['avatarId']}"
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
            "submitted": 1764662400000,
            "started": 1764662400001,
            "finished": 1764662400013,
            "lastUpdate": 1764662400013,
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
