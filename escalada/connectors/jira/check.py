"""`escalada desks check` on Jira: credentials, permissions, the scope's JQL and
every mapped id (priorities, fields, teams), each one CheckItem; never raises.
Make bulk changes missing is a warning, not a failure: clearing `pending` falls
back to one call per ticket (escalada.connectors.jira.batch)."""

from __future__ import annotations

from typing import Protocol

from escalada.connectors.base import CheckItem
from escalada.connectors.base import Severity
from escalada.connectors.jira.batch import BULK_CHANGE
from escalada.connectors.jira.client import JiraClient
from escalada.connectors.jira.config import find_teams
from escalada.connectors.jira.config import read_priorities
from escalada.connectors.jira.tickets import candidate_jql
from escalada.errors import EscaladaError

BULK_HELD = "granted (global): bulk clearing, one bulk edit (and its polls) per 1,000 tickets"
BULK_MISSING = (
    "missing (global): the runner clears `pending` with one call per ticket instead of one "
    "bulk edit per 1,000; a Jira admin grants it in Settings > System > Global permissions: "
    "Make bulk changes, to a group the account is in"
)


class Add(Protocol):
    def __call__(
        self, item: str, ok: bool, detail: str = "", severity: Severity = "error"
    ) -> None: ...


def check(conn: JiraClient) -> list[CheckItem]:
    """Credentials, permissions, the scope's JQL and every mapped id; never raises."""
    items: list[CheckItem] = []

    def add(item: str, ok: bool, detail: str = "", severity: Severity = "error") -> None:
        items.append(CheckItem(conn.desk.name, item, ok, detail, severity))

    try:
        me = conn.get_json("myself", "read the account")
    except EscaladaError as error:
        add("credentials", False, str(error))
        return items
    add("credentials", True, f"authenticated as {me.get('displayName') or me.get('accountId')}")
    for name, probe in (
        ("permissions", _permissions),
        ("scope", _scope),
        ("priorities", _priorities),
        ("fields", _fields),
        ("teams", _teams),
    ):
        try:
            probe(conn, add)
        except EscaladaError as error:
            add(name, False, str(error))
    return items


def _permissions(conn: JiraClient, add: Add) -> None:
    keys = ["BROWSE_PROJECTS", "EDIT_ISSUES", "ADD_COMMENTS"]
    if conn.options.team_mode == "assignee":
        keys.append("ASSIGN_ISSUES")
    where = "in at least one project (set spec.options.project to check one)"
    if conn.options.project:
        where = f"in project {conn.options.project}"
    # Make bulk changes rides in the same read: a global permission's answer does not
    # depend on the project asked, and the connector keeps it for clear_pending.
    held = conn.permissions([*keys, BULK_CHANGE], project=conn.options.project)
    for key in keys:
        add(f"permission {key}", held[key], f"{'granted' if held[key] else 'missing'} {where}")
    bulk = held[BULK_CHANGE]
    add(f"permission {BULK_CHANGE}", bulk, BULK_HELD if bulk else BULK_MISSING, "warning")


def _scope(conn: JiraClient, add: Add) -> None:
    jql = candidate_jql(conn.desk)
    client = conn.client()
    conn.call(
        "try the scope",
        lambda: client.enhanced_search_issues(jql, maxResults=1, fields="id", json_result=True),
        {400: "fix spec.scope: it must be valid JQL (try it in Jira's issue search)"},
    )
    add("scope", True, f"JQL accepted: {jql}")


def _priorities(conn: JiraClient, add: Add) -> None:
    names = {str(p["name"]): str(p["id"]) for p in read_priorities(conn)}
    for policy_name, value in conn.desk.priorities.items():
        ok = value in names or value in names.values()
        detail = f"{policy_name} -> {value}"
        if not ok:
            detail += " not found (`escalada apply` creates it, or fix spec.priorities)"
        add(f"priority {value}", ok, detail)


def _fields(conn: JiraClient, add: Add) -> None:
    client = conn.client()
    known = {str(f["id"]): f for f in conn.call("read fields", client.fields)}
    roles: dict[str, str] = {}
    if conn.options.team_mode == "field" and conn.options.team_field:
        roles[conn.options.team_field] = "team"
    for role, mapping in (("impact", conn.desk.impact), ("urgency", conn.desk.urgency)):
        if mapping is not None and mapping.field:
            roles[mapping.field] = role
    for name, field_id in conn.desk.fields.items():
        roles.setdefault(field_id, f"fields.{name}")
    for field_id, role in roles.items():
        field = known.get(field_id)
        if field is None:
            add(f"field {field_id}", False, f"{role}: no such field on the site")
            continue
        detail = f"{role}: {field.get('name')}"
        schema = field.get("schema") or {}
        ok = role != "team" or (
            schema.get("type") == "group" and str(schema.get("custom", "")).endswith("grouppicker")
        )
        if not ok:
            detail += " is not a single group picker (team_mode field writes {name: <group>})"
        add(f"field {field_id}", ok, detail)


def _teams(conn: JiraClient, add: Add) -> None:
    found = find_teams(conn)
    kind = {"field": "group", "component": "component", "assignee": "user"}[conn.options.team_mode]
    for team, value in conn.desk.teams.items():
        ok = value in found
        add(f"{kind} {value}", ok, f"team {team}" + ("" if ok else f": no such {kind}"))
