"""The native configuration a policy asks of the sandbox desk, for the reconciler.

The sandbox mirrors what the real desks can hold: one `priority` per policy
priority (title, rank), one `sla` per priority (respond/resolve/update targets
in minutes, on a named calendar), one `schedule` per calendar the policy uses
(timezone, open hours, holidays), and the `group` of every team that can hold
work (teams with a rotation hold none themselves: their regional teams do),
which is verified and never created.
"""

from __future__ import annotations

from datetime import timedelta

from escalada.connectors.base import ConfigObject
from escalada.policy.model import Calendar
from escalada.policy.model import Desk
from escalada.policy.model import Policy

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def desired_config(desk: Desk, policy: Policy) -> list[ConfigObject]:
    """Priorities, schedules and SLAs before the groups, each in the order written."""
    objects: list[ConfigObject] = []
    if policy.matrix is not None:
        priorities = policy.matrix.priorities.values()
        for priority in priorities:
            objects.append(
                ConfigObject(
                    "priority",
                    desk.priorities.get(priority.name, priority.name),
                    {"policy": priority.name, "title": priority.title, "rank": priority.rank},
                )
            )
        for name in calendars_used(policy):
            objects.append(ConfigObject("schedule", name, schedule_attrs(policy.calendars[name])))
        for priority in priorities:
            desk_priority = desk.priorities.get(priority.name, priority.name)
            objects.append(
                ConfigObject(
                    "sla",
                    priority.name,
                    {
                        "priority": desk_priority,
                        "respond_minutes": _minutes(priority.respond_within),
                        "resolve_minutes": _minutes(priority.resolve_within),
                        "update_minutes": _minutes(priority.update_every),
                        "calendar": priority.calendar,
                    },
                    depends_on=(f"priority/{desk_priority}", f"schedule/{priority.calendar}"),
                )
            )
    for team in work_teams(policy):
        # the embedded desk makes its own groups (a real desk's are its admins')
        group = desk.teams.get(team, team)
        objects.append(ConfigObject("group", group, verify_only=True, create_missing=True))
    return objects


def calendars_used(policy: Policy) -> list[str]:
    """Calendars named by priorities, paths and rotations, first use first."""
    names: dict[str, None] = {}
    if policy.matrix is not None:
        names.update((p.calendar, None) for p in policy.matrix.priorities.values())
    names.update((p.calendar, None) for p in policy.paths.values() if p.calendar)
    for team in policy.teams.values():
        names.update((shift.calendar, None) for shift in team.rotation)
    return [name for name in names if name in policy.calendars]


def work_teams(policy: Policy) -> list[str]:
    """Teams that hold tickets: those without a rotation, and every regional team."""
    names: dict[str, None] = {}
    for team in policy.teams.values():
        if team.rotation:
            names.update((shift.team, None) for shift in team.rotation)
        else:
            names[team.name] = None
    return list(names)


def schedule_attrs(calendar: Calendar) -> dict[str, object]:
    hours = {
        day: [f"{_clock(start)}-{_clock(end)}" for start, end in ranges]
        for day, ranges in zip(DAYS, calendar.hours, strict=True)
        if ranges
    }
    return {
        "timezone": calendar.timezone,
        "hours": hours,
        "holidays": {
            "country": calendar.holiday_country,
            "subdivision": calendar.holiday_subdivision,
            "dates": sorted(day.isoformat() for day in calendar.holiday_dates),
        },
    }


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def _minutes(delta: timedelta | None) -> int | None:
    return None if delta is None else int(delta.total_seconds() // 60)
