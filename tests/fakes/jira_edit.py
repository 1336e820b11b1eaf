"""The Jira fake's issue routes: GET, the edit (PUT: validate `fields` and
`update` like Jira Cloud, then apply them all or nothing) and comments
(platform and JSM).

A field may be set in `fields` or changed by ops in `update`, never both; a
field that is not editable (or does not exist) is refused with Jira's
"cannot be set" message; values are checked against the fake's priorities,
users, groups and components.

A comment rides in an edit as `update.comment: [{"add": {"body": ...}}]`: the
shape of the reference's own example (doTransition's request example in the
platform OpenAPI, tests/contracts/jira.json's source; the Data Center guide
"JIRA REST API Example - Add Comment": comments may be added "as part of
editing an issue"). `comment` has no `fields` form ("Some fields cannot be
updated this way (for example, comments)", "Updating an Issue via the JIRA REST
APIs"). The reference types an update op's `add` as any value and documents no
`properties` there, so this fake refuses `properties` in an edit's comment
(nothing tells it Jira would honour `sd.public.comment` on that path) and takes
one comment op per edit (the only form the reference shows). A comment added
through an edit is public: Comment.jsdPublic "Defaults to true when comments are
created in the Jira Cloud Platform"."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING
from typing import Any

import requests

from tests.fakes.base import Reply
from tests.fakes.base import body
from tests.fakes.base import query
from tests.fakes.base import reply
from tests.fakes.jira_admin import REST
from tests.fakes.jira_admin import errors

if TYPE_CHECKING:
    from tests.fakes.jira import FakeIssue
    from tests.fakes.jira import JiraFake

SYSTEM_EDITABLE = frozenset(
    {"summary", "description", "priority", "labels", "assignee", "components"}
)
OPS = frozenset({"add", "remove", "set"})
COMMENT_KEYS = frozenset({"body", "visibility"})  # what the reference shows an edit's add carry
Change = Callable[[], None]


def _cannot_set(name: str) -> str:
    return f"Field '{name}' cannot be set. It is not on the appropriate screen, or unknown."


def _label(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return "Labels must be non-empty strings."
    if " " in value:
        return f"The label '{value}' contains spaces which is invalid."
    if len(value) > 255:
        return "The label must not exceed 255 characters."
    return None


def _set_value(
    fake: JiraFake, issue: FakeIssue, name: str, value: Any
) -> tuple[str | None, Change]:
    """(error, change) for `fields: {name: value}`."""
    fields = issue.fields

    def put(new: Any) -> Change:
        return lambda: fields.__setitem__(name, new)

    if name == "summary":
        ok = bool(isinstance(value, str) and value.strip())
        return (None if ok else "You must specify a summary of the issue."), put(value)
    if name == "description":
        ok = value is None or isinstance(value, str)
        return (None if ok else "Operation value must be a string"), put(value)
    if name == "priority":
        found = None
        if isinstance(value, dict) and set(value) <= {"id", "name"}:
            found = next(
                (
                    p
                    for p in fake.priorities
                    if p["id"] == value.get("id") or p["name"] == value.get("name")
                ),
                None,
            )
        if found is None:
            return "The priority selected is invalid.", put(None)
        return None, put(fake.priority_ref(found["name"]))
    if name == "assignee":
        if value is None:
            return None, put(None)
        if not isinstance(value, dict) or set(value) != {"accountId"}:
            return "Specify the user by accountId (GDPR strict mode: no name or key).", put(None)
        user = fake.find_user(str(value["accountId"]))
        if user is None:
            return f"User '{value['accountId']}' cannot be assigned issues.", put(None)
        return None, put(user)
    if name == "labels":
        if not isinstance(value, list):
            return "Labels must be an array.", put(None)
        problem = next((p for v in value if (p := _label(v))), None)
        return problem, put(sorted(set(value)))
    if name == "components":
        return "Set components with update ops in this fake: use update.components.", put(None)
    # a custom field
    _, schema = fake.custom_fields[name]
    if schema.get("type") == "group":
        if value is None:
            return None, put(None)
        group = value.get("name") if isinstance(value, dict) else None
        if isinstance(value, dict) and "groupId" in value:
            group = next((n for n, g in fake.groups.items() if g == value["groupId"]), None)
        if group not in fake.groups:
            return f"Group '{group}' does not exist.", put(None)
        found = {
            "name": group,
            "groupId": fake.groups[group],
            "self": f"{fake.base_url}/rest/api/2/group?groupId={fake.groups[group]}",
        }
        return None, put(found)
    return None, put(value)


def _ops(fake: JiraFake, issue: FakeIssue, name: str, ops: Any) -> tuple[str | None, Change]:
    """(error, change) for `update: {name: [ops]}`; labels and components take ops here."""
    noop: Change = lambda: None  # noqa: E731
    if name == "comment":
        return _comment_ops(fake, issue, ops)
    if name not in ("labels", "components"):
        return f"Field '{name}' does not support update operations here.", noop
    if not isinstance(ops, list) or not all(
        isinstance(op, dict) and len(op) == 1 and set(op) <= OPS for op in ops
    ):
        return "Each operation must be an object with one of add, remove or set.", noop
    if name == "labels":
        current = list(issue.fields.get("labels") or [])
        for op in ops:
            ((verb, value),) = op.items()
            values = value if verb == "set" else [value]
            if verb == "set" and not isinstance(value, list):
                return "The set operation takes an array of labels.", noop
            problem = next((p for v in values if (p := _label(v))), None)
            if problem:
                return problem, noop
            if verb == "set":
                current = list(values)
            elif verb == "add" and value not in current:
                current.append(value)
            elif verb == "remove" and value in current:
                current.remove(value)  # removing an absent label is a no-op, as in Jira
        return None, lambda: issue.fields.__setitem__("labels", sorted(set(current)))
    names = [c["name"] for c in issue.fields.get("components") or ()]
    known = fake.components.get(issue.project, [])
    for op in ops:
        ((verb, value),) = op.items()
        if verb == "set":
            return "Use add and remove for components in this fake.", noop
        component = value.get("name") if isinstance(value, dict) else None
        if component not in known:
            return f"Component name '{component}' is not valid", noop
        if verb == "add" and component not in names:
            names.append(component)
        elif verb == "remove" and component in names:
            names.remove(component)
    return None, lambda: issue.fields.__setitem__(
        "components", [fake.component(issue.project, n) for n in names]
    )


def _comment_ops(fake: JiraFake, issue: FakeIssue, ops: Any) -> tuple[str | None, Change]:
    """(error, change) for `update: {comment: [{add: {body}}]}` (the module docstring)."""
    noop: Change = lambda: None  # noqa: E731
    if not isinstance(ops, list) or len(ops) != 1:
        return "This fake takes exactly one comment operation per edit.", noop
    op = ops[0]
    if not isinstance(op, dict) or set(op) != {"add"}:
        return "Only the add operation is supported on comment in this fake.", noop
    value = op["add"]
    if not isinstance(value, dict):
        return "The comment to add must be an object with a body.", noop
    if "properties" in value:
        return (
            "Comment properties in an edit are not documented by Jira's reference: "
            "add them with POST issue/{key}/comment.",
            noop,
        )
    if set(value) - COMMENT_KEYS:
        return f"Unrecognized field in the comment: {sorted(set(value) - COMMENT_KEYS)[0]}", noop
    text = value.get("body")
    if not isinstance(text, str) or not text.strip():
        return "Comment body can not be empty!", noop
    if "ADD_COMMENTS" not in fake.granted:
        return "You do not have the permission to comment on this issue.", noop

    def change() -> None:
        fake.add_comment(issue, text, public=True)

    return None, change


def validate_edit(fake: JiraFake, issue: FakeIssue, data: Any) -> dict[str, Any] | None:
    """Jira's 400 body for a bad edit, or None after applying a good one."""
    if not isinstance(data, dict) or set(data) - {"fields", "update"}:
        return {"errorMessages": ["The edit body takes fields and update only."], "errors": {}}
    fields, update = data.get("fields") or {}, data.get("update") or {}
    if not isinstance(fields, dict) or not isinstance(update, dict):
        return {"errorMessages": ["fields and update must be objects."], "errors": {}}
    problems: dict[str, str] = {}
    changes: list[Change] = []
    for name in sorted(set(fields) & set(update)):
        problems[name] = f"Field '{name}' can be set in fields or changed in update, not both."
    editable = SYSTEM_EDITABLE | set(fake.custom_fields)
    for given, check in ((fields, _set_value), (update, _ops)):
        for name, value in given.items():
            if name in problems:
                continue
            if name not in editable and not (given is update and name == "comment"):
                problems[name] = _cannot_set(name)
                continue
            problem, change = check(fake, issue, name, value)
            if problem:
                problems[name] = problem
            changes.append(change)
    if not fields and not update:
        return {"errorMessages": ["Nothing to update: give fields or update."], "errors": {}}
    if problems:
        return {"errorMessages": [], "errors": problems}
    for change in changes:
        change()
    return None


class IssueRoutes:
    if TYPE_CHECKING:
        base_url: str
        granted: set[str]
        issues: dict[str, FakeIssue]
        service_desks: set[str]
        users: list[dict[str, Any]]
        clock: Any
        edits: list[tuple[str, Any]]

        def next_id(self) -> str: ...
        def tick(self) -> str: ...
        def error_body(self, status: int, message: str | None = None) -> Any: ...
        def render(self, issue: FakeIssue, wanted: Any) -> dict[str, Any]: ...

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
        data = body(request)
        if "EDIT_ISSUES" not in self.granted:
            # 400, not 403: the reference's editIssue answers 400 when "the user does not
            # have the necessary permission to edit one or more fields" (403 is only for
            # overrideScreenSecurity/overrideEditableFlag). Body: Jira's per-field text.
            named = [*((data or {}).get("fields") or {}), *((data or {}).get("update") or {})]
            return reply(
                400,
                errors(
                    **{
                        name: f"Field '{name}' cannot be set. It is not on the appropriate "
                        "screen, or unknown."
                        for name in named
                    }
                ),
            )
        self.edits.append((issue.key, data))
        problem = validate_edit(self, issue, data)  # type: ignore[arg-type]
        if problem is not None:
            return reply(400, problem)
        issue.fields["updated"] = self.tick()
        return 204, {}, ""

    def add_comment(self, issue: FakeIssue, text: str, public: bool) -> dict[str, Any]:
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
        comment = self.add_comment(issue, data["body"], public=not internal)
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
        comment = self.add_comment(issue, data["body"], public=data["public"])
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
