"""Jira's native configuration for the reconciler, and `desks check`.

What escalada can own on Jira Cloud: priorities (name, description,
statusColor), written through /rest/api/2/priority on the client's session
(the library only reads them); they need the Administer Jira permission.
Priorities are read by the paged `priority/search` (the unpaged `GET priority`
the library uses is removed, CHANGE-762) and created with a system priority
avatar's `avatarId` (`iconUrl` was sunset on 2025-03-16, CHANGE-1525; the
Jira Cloud platform REST reference, operations searchPriorities, createPriority
and getAllSystemAvatars).
Ownership marker: the description ends with MARKER. JSM SLA goals and calendars
have no public API, so they are planned as verify-only objects carrying a note
that the runner enforces them. Groups, components and users are verified, never
created."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any
from typing import Literal

from escalada.connectors.base import ConfigObject
from escalada.connectors.jira.client import JiraClient
from escalada.connectors.jira.options import JiraOptions
from escalada.connectors.slaterms import pausing_statuses
from escalada.errors import DeskError
from escalada.errors import EscaladaError
from escalada.policy.durations import format_duration
from escalada.policy.model import BUILTIN_CALENDAR
from escalada.policy.model import Calendar
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.policy.model import Priority

MARKER = "[managed by escalada]"
SLA_NOTE = "enforced by the runner: JSM has no public API for SLA goals or calendars"
# Jira's own colours and icon names, highest priority first.
COLORS = ("#d04437", "#f15c75", "#f79232", "#707070", "#999999")
ICONS = ("highest", "high", "medium", "low", "lowest")
PRIORITY_PAGE = 50  # priority/search's default maxResults
CONFIG_HINTS = {
    403: "managing priorities needs the Administer Jira global permission "
    "(or set spec.options.manage_priorities: false to only verify them)",
    404: "the priority is gone: run `escalada plan` again",
}
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
FAILED_TASK = frozenset({"FAILED", "CANCELLED", "DEAD"})


# --- desired ----------------------------------------------------------------------


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _schedule(calendar: Calendar) -> ConfigObject:
    hours = {
        day: [f"{_clock(start)}-{_clock(end)}" for start, end in ranges]
        for day, ranges in zip(DAYS, calendar.hours, strict=True)
        if ranges
    }
    return ConfigObject(
        kind="schedule",
        name=calendar.name,
        attrs={
            "timezone": calendar.timezone,
            "hours": hours,
            "holidays": {
                "country": calendar.holiday_country,
                "dates": sorted(d.isoformat() for d in calendar.holiday_dates),
            },
        },
        verify_only=True,
        note=SLA_NOTE,
    )


def _priority(priority: Priority, name: str, options: JiraOptions) -> ConfigObject:
    if not options.manage_priorities:
        return ConfigObject(kind="priority", name=name, verify_only=True)
    rank = min(priority.rank, len(COLORS) - 1)
    return ConfigObject(
        kind="priority",
        name=name,
        attrs={"description": f"{priority.title} {MARKER}", "statusColor": COLORS[rank]},
    )


def desired(desk: Desk, options: JiraOptions, policy: Policy) -> list[ConfigObject]:
    """Priorities (managed), SLA targets and calendars (noted), teams (verified)."""
    objects: list[ConfigObject] = []
    calendars: dict[str, None] = {}
    matrix = policy.matrix
    for priority in matrix.priorities.values() if matrix else ():
        value = desk.priorities.get(priority.name)
        if value is None:
            continue
        if not value.isdigit():  # a priority mapped by id is verified by `desks check` only
            objects.append(_priority(priority, value, options))
        if priority.respond_within is None and priority.resolve_within is None:
            continue
        uses_calendar = priority.calendar != BUILTIN_CALENDAR
        if uses_calendar:
            calendars[priority.calendar] = None
        objects.append(
            ConfigObject(
                kind="sla",
                name=priority.name,
                attrs={
                    "priority": value,
                    "respond_within": _duration(priority.respond_within),
                    "resolve_within": _duration(priority.resolve_within),
                    "calendar": priority.calendar,
                },
                depends_on=(f"schedule/{priority.calendar}",) if uses_calendar else (),
                verify_only=True,
                note=SLA_NOTE,
            )
        )
    for level in matrix.service_levels if matrix else ():
        for name in sorted(level.written):
            targets = level.priorities[name]
            value = desk.priorities.get(name)
            if value is None:
                continue
            if targets.calendar != BUILTIN_CALENDAR:
                calendars[targets.calendar] = None
            objects.append(
                ConfigObject(
                    kind="sla",
                    name=f"{name} {level.name}",
                    attrs={
                        "priority": value,
                        "respond_within": _duration(targets.respond_within),
                        "resolve_within": _duration(targets.resolve_within),
                        "calendar": targets.calendar,
                    },
                    verify_only=True,
                    note=f"service level {level.name!r}: {SLA_NOTE}",
                )
            )
    if matrix is not None:
        pausing = ", ".join(sorted(pausing_statuses(policy))) or "no status"
        objects.append(
            ConfigObject(
                kind="sla",
                name="pausing",
                verify_only=True,
                note=f"the clock stops on {pausing}: {SLA_NOTE}; a JSM SLA goal pauses on its "
                "own conditions (set them to match in Project settings > SLAs)",
            )
        )
    objects.extend(
        _schedule(policy.calendars[name]) for name in calendars if name in policy.calendars
    )
    objects.extend(
        ConfigObject(kind="group", name=name, verify_only=True)
        for name in dict.fromkeys(desk.teams.values())
    )
    return objects


def _duration(value: Any) -> str | None:
    return None if value is None else format_duration(value)


# --- current ----------------------------------------------------------------------


def read_priorities(conn: JiraClient) -> list[Mapping[str, Any]]:
    """Every priority, a page of `priority/search` at a time (startAt/isLast)."""
    found: list[Mapping[str, Any]] = []
    while True:
        page = conn.get_json(
            "priority/search",
            "read priorities",
            params={"startAt": len(found), "maxResults": PRIORITY_PAGE},
        )
        values = page.get("values") or []
        found.extend(values)
        if page.get("isLast", True) or not values:
            return found


def priority_avatar(conn: JiraClient, color: Any) -> int:
    """The id of the system priority avatar named like Jira's icon for `color`
    (medium when the colour is not one of Jira's), else the first one."""
    icon = ICONS[COLORS.index(color)] if color in COLORS else ICONS[2]
    avatars = conn.get_json("avatar/priority/system", "read priority avatars").get("system")
    if not avatars:
        raise DeskError(conn.desk.name, "read priority avatars", "Jira lists no priority avatar")
    named = [a for a in avatars if str(a.get("fileName") or "").rsplit(".", 1)[0] == icon]
    return int((named or avatars)[0]["id"])


def current(conn: JiraClient) -> list[ConfigObject]:
    """Every priority (ownership from the description marker) and the mapped teams found."""
    objects = []
    for raw in read_priorities(conn):
        description = str(raw.get("description") or "")
        objects.append(
            ConfigObject(
                kind="priority",
                name=str(raw["name"]),
                id=str(raw["id"]),
                attrs={"description": description, "statusColor": raw.get("statusColor")},
                managed=description.endswith(MARKER),
            )
        )
    for name, team_id in find_teams(conn).items():
        objects.append(
            ConfigObject(kind="group", name=name, id=team_id, managed=False, verify_only=True)
        )
    return objects


def find_teams(conn: JiraClient) -> dict[str, str]:
    """The Desk.teams values that exist on the site (name -> id), read per team_mode."""
    wanted = list(dict.fromkeys(conn.desk.teams.values()))
    if not wanted:
        return {}
    if conn.options.team_mode == "field":
        return _groups(conn, wanted)
    if conn.options.team_mode == "component":
        project = str(conn.options.project)
        client = conn.client()
        found = conn.call(
            f"read components of {project}", lambda: client.project_components(project)
        )
        return {c.name: str(c.id) for c in found if c.name in wanted}
    users = {}
    for who in wanted:
        try:
            users[who] = conn.account_id(who)
        except DeskError:
            raise
        except EscaladaError:
            continue  # not exactly one user: reported as missing
    return users


def _groups(conn: JiraClient, names: list[str]) -> dict[str, str]:
    found: dict[str, str] = {}
    start = 0
    while True:
        page = conn.get_json(
            "group/bulk",
            "read groups",
            params={"groupName": names, "startAt": start, "maxResults": 50},
            hints={403: "reading groups needs the Browse users and groups global permission"},
        )
        values = page.get("values") or []
        found.update({str(g["name"]): str(g.get("groupId") or "") for g in values})
        if page.get("isLast", True) or not values:
            return found
        start += len(values)


# --- write ------------------------------------------------------------------------


def write(
    conn: JiraClient, op: Literal["create", "update", "delete"], obj: ConfigObject
) -> ConfigObject:
    """Create, update or delete one priority; everything else is verify-only."""
    if obj.verify_only or obj.kind != "priority":
        raise EscaladaError(
            f"desk {conn.desk.name!r}: {obj.key} is verified, never written",
            hint=obj.note or "create it in Jira, or fix the Desk's mapping",
        )
    label = f"{op} priority {obj.name!r}"
    if op == "create":
        avatar = priority_avatar(conn, obj.attrs.get("statusColor"))
        body = {"name": obj.name, **obj.attrs, "avatarId": avatar}
        reply = conn.request("POST", "priority", label, body=body, hints=CONFIG_HINTS)
        return replace(obj, id=str(reply.json()["id"]), managed=True)
    if not obj.id:
        raise EscaladaError(f"desk {conn.desk.name!r}: cannot {label} without its Jira id")
    if op == "update":
        conn.request("PUT", f"priority/{obj.id}", label, body=dict(obj.attrs), hints=CONFIG_HINTS)
        return replace(obj, managed=True)
    if not obj.managed:
        raise EscaladaError(
            f"desk {conn.desk.name!r}: refusing to {label}: it does not end with {MARKER!r}"
        )
    # Asynchronous: 303 to the task, which requests follows; a finished task says how it went.
    reply = conn.request("DELETE", f"priority/{obj.id}", label, hints=CONFIG_HINTS)
    task = reply.json() if reply.content else {}
    if task.get("status") in FAILED_TASK:
        raise DeskError(conn.desk.name, label, f"task {task.get('status')}: {task.get('message')}")
    return obj
