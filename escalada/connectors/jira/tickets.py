"""Jira issue JSON <-> escalada values, in matched pairs.

Read: `to_ticket` turns one issue of a search/jql page (REST v2, so the
description is a plain string) into a Ticket. Write: `plan_write` turns a
ticket's actions into one issue edit body (priority, team, marker labels and one
comment together) and the comment that cannot ride in it: a JSM internal note
(or a second comment). Jira field ids stay in the jira modules; the engine never
sees them."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone
from typing import Any

from escalada import marker
from escalada.connectors.jira.options import JiraOptions
from escalada.connectors.mapping import read_back
from escalada.errors import EscaladaError
from escalada.errors import RecordError
from escalada.policy.model import Desk
from escalada.policy.model import ValueMapping
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import NOTE_ACTIONS
from escalada.ticket import Action
from escalada.ticket import EscalationState
from escalada.ticket import Requester
from escalada.ticket import Status
from escalada.ticket import Ticket

# Status names read as `pending` (waiting on someone outside the desk); JSM's default workflow.
PENDING_STATUSES = frozenset({"waiting for customer", "pending"})
BASE_FIELDS = (
    "summary",
    "description",
    "status",
    "priority",
    "labels",
    "created",
    "updated",
    "resolutiondate",
    "assignee",
)
VIP_WORDS = frozenset({"true", "yes", "y", "1", "vip"})


# --- read ---------------------------------------------------------------------


def candidate_jql(desk: Desk) -> str:
    """The desk's scope AND not done, oldest first (the most overdue tickets go first)."""
    scope = (desk.scope or "").strip()
    if not scope:
        raise EscaladaError(
            f"desk {desk.name!r} has no scope",
            hint="Jira needs a bounded JQL filter in spec.scope, e.g. scope: project = SD",
        )
    if re.search(r"\border\s+by\b", scope, re.IGNORECASE):
        raise EscaladaError(
            f"desk {desk.name!r}: spec.scope contains ORDER BY",
            hint="write only the filter; escalada orders candidates itself",
        )
    return f"({scope}) AND statusCategory != Done ORDER BY created ASC, key ASC"


def read_fields(desk: Desk, options: JiraOptions, *, comments: bool) -> list[str]:
    """Only the fields a Ticket needs (search/jql returns just the id otherwise)."""
    wanted = list(BASE_FIELDS)
    if options.team_mode == "field" and options.team_field:
        wanted.append(options.team_field)
    elif options.team_mode == "component":
        wanted.append("components")
    for mapping in (desk.impact, desk.urgency):
        if mapping is not None and mapping.field:
            wanted.append(mapping.field)
    wanted.extend(desk.fields.values())
    if comments:
        wanted.append("comment")
    return list(dict.fromkeys(wanted))


def parse_time(value: Any) -> datetime | None:
    """Jira's `2026-11-23T08:00:00.000+0000`, an ISO string, a date, or epoch millis."""
    if value is None or value == "":
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, tz=timezone.utc)
    text = str(value)
    for fmt in ("%Y-%m-%dT%H:%M:%S.%f%z", "%Y-%m-%dT%H:%M:%S%z"):
        try:
            return datetime.strptime(text, fmt)
        except ValueError:
            pass
    try:
        return datetime.strptime(text, "%Y-%m-%d").replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def plain(value: Any) -> Any:
    """A field value as plain JSON: an option's value, a user's or group's name."""
    if isinstance(value, list):
        return [plain(item) for item in value]
    if isinstance(value, dict):
        for key in ("value", "name", "displayName", "key"):
            if key in value:
                return value[key]
    return value


def responded_at(value: Any) -> datetime | None:
    """A date-time field, or a JSM SLA field ("Time to first response"): the stop
    time of its first completed cycle."""
    if isinstance(value, dict) and ("completedCycles" in value or "ongoingCycle" in value):
        for cycle in value.get("completedCycles") or ():
            stop = cycle.get("stopTime") or {}
            moment = parse_time(stop.get("iso8601")) or parse_time(stop.get("epochMillis"))
            if moment is not None:
                return moment
        return None
    return parse_time(plain(value))


def is_vip(value: Any) -> bool:
    """A boolean, a yes/no select, or a checkbox list (any box ticked)."""
    value = plain(value)
    if isinstance(value, list):
        return bool(value)
    if isinstance(value, bool):
        return value
    return str(value or "").strip().lower() in VIP_WORDS


def organization_of(value: Any) -> str | None:
    """JSM's Organizations field is a list: the first organization names the requester's."""
    value = plain(value)
    if isinstance(value, list):
        value = value[0] if value else None
    return None if value in (None, "") else str(value)


def _mapped(mapping: ValueMapping | None, fields: Mapping[str, Any]) -> str | None:
    if mapping is None or not mapping.field:
        return None
    raw = fields.get(mapping.field)
    if isinstance(raw, dict):
        return read_back(mapping.values, raw.get("value"), raw.get("id"), raw.get("name"))
    return read_back(mapping.values, raw)


def status_of(status: Mapping[str, Any]) -> Status:
    """A Jira status object (name, statusCategory) -> the normalized status."""
    name = str(status.get("name", ""))
    category = (status.get("statusCategory") or {}).get("key")
    if name.casefold() in PENDING_STATUSES:
        return "pending"
    if category == "done":
        return "closed" if name.casefold() == "closed" else "resolved"
    return "open"


def _team(
    fields: Mapping[str, Any],
    desk: Desk,
    options: JiraOptions,
    accounts: Mapping[str, str],
) -> str | None:
    if options.team_mode == "field" and options.team_field:
        value = fields.get(options.team_field)
        values = value if isinstance(value, list) else [value]
        return next((t for v in values if (t := read_back(desk.teams, plain(v)))), None)
    if options.team_mode == "component":
        names = [plain(c) for c in fields.get("components") or ()]
        return next((t for name in names if (t := read_back(desk.teams, name))), None)
    assignee = fields.get("assignee") or {}
    account = assignee.get("accountId")
    for team, who in desk.teams.items():
        if account is not None and accounts.get(who) == account:
            return team
    return read_back(desk.teams, account, assignee.get("emailAddress"), assignee.get("displayName"))


def to_ticket(
    issue: Mapping[str, Any],
    *,
    desk: Desk,
    options: JiraOptions,
    server: str,
    accounts: Mapping[str, str],
) -> Ticket:
    """One search/jql issue -> the normalized Ticket."""
    fields: Mapping[str, Any] = issue.get("fields") or {}
    key = str(issue["key"])
    priority = fields.get("priority") or {}
    labels = frozenset(str(label) for label in fields.get("labels") or ())
    assignee = fields.get("assignee") or {}
    named = {name: fields.get(field_id) for name, field_id in desk.fields.items()}
    page = fields.get("comment")  # a page {comments: [...]}; the reference's example: a list
    comments = page if isinstance(page, list) else (page or {}).get("comments") or []
    created = parse_time(fields.get("created"))
    if created is None:
        raise RecordError(desk.name, key, "has no readable created time")
    return Ticket(
        desk=desk.name,
        key=key,
        url=f"{server}/browse/{key}",
        title=str(fields.get("summary") or ""),
        description=str(fields.get("description") or ""),
        status=status_of(fields.get("status") or {}),
        priority=read_back(desk.priorities, priority.get("name"), priority.get("id")),
        impact=_mapped(desk.impact, fields),
        urgency=_mapped(desk.urgency, fields),
        created=created,
        updated=parse_time(fields.get("updated")),
        responded=responded_at(named.get("responded")),
        resolved=parse_time(fields.get("resolutiondate")),
        team=_team(fields, desk, options, accounts),
        assignee=assignee.get("displayName") or assignee.get("accountId"),
        tags=labels,
        requester=Requester(
            organization=organization_of(named.get("organization")),
            vip=is_vip(named.get("vip")),
        ),
        fields={name: plain(value) for name, value in named.items()},
        escalation=marker.decode(labels),
        latest_comment=str(comments[-1].get("body") or "") if comments else None,
        revision=str(fields.get("updated")) if fields.get("updated") else None,
    )


# --- write --------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Write:
    """What one apply sends: at most one issue edit, then the comments it cannot carry."""

    edit: Mapping[str, Any] | None  # PUT issue body {"fields": ..., "update": ...}
    undo: Mapping[str, Any] | None  # labels ops restoring the marker if a later comment fails
    note: str | None  # an internal note posted after the edit (JSM, or the platform property)
    reply: str | None  # a public reply posted after the edit (only beside a note in the edit)
    written: tuple[str, ...]


def priority_ref(value: str) -> dict[str, str]:
    """A Desk priority value as Jira's reference: digits are an id, anything else a name."""
    return {"id": value} if value.isdigit() else {"name": value}


def _team_write(
    team: str | None,
    desk: Desk,
    options: JiraOptions,
    account_id: Callable[[str], str],
    fields: dict[str, Any],
    update: dict[str, Any],
) -> None:
    target = desk.teams.get(team or "")
    if target is None:
        raise EscaladaError(
            f"desk {desk.name!r}: team {team!r} has no Jira mapping",
            hint=f"add it to spec.teams of desk {desk.name!r}",
        )
    if options.team_mode == "field":
        fields[str(options.team_field)] = {"name": target}
    elif options.team_mode == "component":
        others = sorted(set(desk.teams.values()) - {target})
        update["components"] = [{"remove": {"name": c}} for c in others] + [
            {"add": {"name": target}}
        ]
    else:
        fields["assignee"] = {"accountId": account_id(target)}


def plan_write(
    ticket: Ticket,
    actions: Sequence[Action],
    *,
    desk: Desk,
    options: JiraOptions,
    account_id: Callable[[str], str],
) -> Write:
    """The calls a ticket's actions need; `notify` is the runner's and writes nothing."""
    fields: dict[str, Any] = {}
    update: dict[str, Any] = {}
    notes: list[str] = []
    replies: list[str] = []
    state: EscalationState | None = None
    for action in actions:
        if action.type == "assign":
            _team_write(action.team, desk, options, account_id, fields, update)
        elif action.type == "set_priority":
            value = desk.priorities.get(action.priority or "")
            if value is None:
                raise EscaladaError(
                    f"desk {desk.name!r}: priority {action.priority!r} has no Jira mapping",
                    hint=f"add it to spec.priorities of desk {desk.name!r}",
                )
            fields["priority"] = priority_ref(value)
        elif action.type in NOTE_ACTIONS:
            notes.append(action.reason)
        elif action.type == "ask_reason":
            replies.append(action.reason)
        elif action.type in ("mark", "clear"):
            state = action.state if action.state is not None else NOT_ESCALATED
    back: list[dict[str, str]] = []
    if state is not None:
        add, remove = marker.retag(ticket.tags, state)
        ops = [{"remove": t} for t in sorted(remove)] + [{"add": t} for t in sorted(add)]
        if ops:
            update["labels"] = ops
            back = [{"remove": t} for t in sorted(add)] + [{"add": t} for t in sorted(remove)]
        if notes:
            notes.append(marker.note_line(state))
    note = "\n\n".join(notes) if notes else None
    reply = "\n\n".join(replies) if replies else None
    # One comment rides in the edit (`update.comment: [{"add": {"body": ...}}]`, the
    # reference's only documented form, one op): a comment added so is public
    # (Comment.jsdPublic "Defaults to true when comments are created in the Jira
    # Cloud Platform"), and the reference documents no `properties` there; Jira's
    # own handler of that op (CommentRestFieldOperationsHandler.performAddOperation,
    # Jira Server source) passes the body on and reads only the visibility besides,
    # so a JSM internal note cannot ride in it. The note does with comment_api edit
    # (plain comments, for projects without JSM); else the public reply does.
    if note is not None and options.notes_in_edit:
        update["comment"] = [{"add": {"body": note}}]
        note = None
    elif reply is not None:
        update["comment"] = [{"add": {"body": reply}}]
        reply = None
    edit: dict[str, Any] = {}
    if fields:
        edit["fields"] = fields
    if update:
        edit["update"] = update
    later = note is not None or reply is not None
    return Write(
        edit=edit or None,
        undo={"update": {"labels": back}} if back and later else None,
        note=note,
        reply=reply,
        written=tuple(a.type for a in actions if a.type != "notify"),
    )
