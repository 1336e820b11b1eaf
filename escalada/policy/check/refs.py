"""Every reference resolves, every value exists, and everything defined is used:
unknown-*, unknown-field, unknown-value, bad-timezone, unknown-holiday-country,
rotation-cycle, unused."""

from __future__ import annotations

import zoneinfo
from functools import lru_cache

from escalada.policy.check.base import Context
from escalada.policy.check.base import condition_values
from escalada.policy.check.base import conditions
from escalada.policy.check.base import name_where
from escalada.policy.check.base import owner
from escalada.policy.check.base import suggest
from escalada.policy.fields import CONDITION_FIELDS
from escalada.policy.fields import field_is_known
from escalada.policy.load.documents import Document
from escalada.policy.load.documents import get
from escalada.ticket import STATUSES


@lru_cache(maxsize=1)
def _timezones() -> tuple[str, ...]:
    return tuple(sorted(zoneinfo.available_timezones()))


@lru_cache(maxsize=1)
def _holiday_countries() -> dict[str, list[str]]:
    import holidays  # imported here: it is large, and only calendars with holidays need it

    return dict(holidays.list_supported_countries())


def check_calendars(ctx: Context) -> None:
    """bad-timezone, unknown-holiday-country (and subdivision)."""
    for doc in ctx.of_kind("Calendar"):
        zone = get(doc.data, ("spec", "timezone"))
        if isinstance(zone, str):
            try:
                zoneinfo.ZoneInfo(zone)
            except (zoneinfo.ZoneInfoNotFoundError, ValueError):
                ctx.error(
                    "bad-timezone",
                    doc.where("spec", "timezone"),
                    f"calendar {doc.name!r}: {zone!r} is not an IANA time zone",
                    suggest(zone, _timezones(), "use a name such as Europe/Stockholm"),
                )
        country = get(doc.data, ("spec", "holidays", "country"))
        if country is None:
            continue
        countries = _holiday_countries()
        if str(country) not in countries:
            ctx.error(
                "unknown-holiday-country",
                doc.where("spec", "holidays", "country"),
                f"calendar {doc.name!r}: no public holidays are known for country {country!r}",
                suggest(
                    str(country),
                    [c for c in countries if len(c) == 2],
                    "use an ISO 3166-1 alpha-2 code such as SE, IE, US, AU",
                ),
            )
            continue
        subdivision = get(doc.data, ("spec", "holidays", "subdivision"))
        known = countries[str(country)]
        if subdivision is not None and str(subdivision) not in known:
            ctx.error(
                "unknown-holiday-country",
                doc.where("spec", "holidays", "subdivision"),
                f"calendar {doc.name!r}: {country} has no subdivision {subdivision!r}",
                suggest(str(subdivision), known, f"{country} has no subdivisions: remove it")
                if known
                else f"{country} has no subdivisions: remove `subdivision`",
            )


def check_references(ctx: Context) -> None:
    """unknown-priority/-team/-calendar/-channel/-path, unknown-field, unknown-value."""
    policy = ctx.policy
    calendars = list(policy.calendars)
    teams = list(policy.teams)
    priorities = list(policy.matrix.priorities) if policy.matrix else None
    for doc in ctx.of_kind("PriorityMatrix"):
        for name, item in (get(doc.data, ("spec", "priorities")) or {}).items():
            calendar = item.get("calendar") if isinstance(item, dict) else None
            if calendar is not None and calendar not in calendars:
                ctx.unknown(
                    "unknown-calendar",
                    "calendar",
                    calendar,
                    calendars,
                    doc.where("spec", "priorities", name, "calendar"),
                    f"priority {name!r}",
                    "define a Calendar of that name",
                )
        _check_service_level_refs(ctx, doc, priorities or [], calendars)
    for doc in ctx.of_kind("Team"):
        for i, shift in enumerate(get(doc.data, ("spec", "rotation")) or ()):
            if shift.get("team") not in teams:
                ctx.unknown(
                    "unknown-team",
                    "team",
                    shift.get("team"),
                    teams,
                    doc.where("spec", "rotation", i, "team"),
                    f"team {doc.name!r} rotation",
                    "define a Team of that name",
                )
            if shift.get("calendar") not in calendars:
                ctx.unknown(
                    "unknown-calendar",
                    "calendar",
                    shift.get("calendar"),
                    calendars,
                    doc.where("spec", "rotation", i, "calendar"),
                    f"team {doc.name!r} rotation",
                    "define a Calendar of that name",
                )
        for i, channel in enumerate(get(doc.data, ("spec", "notify")) or ()):
            if channel not in policy.channels:
                ctx.unknown(
                    "unknown-channel",
                    "channel",
                    channel,
                    policy.channels,
                    doc.where("spec", "notify", i),
                    f"team {doc.name!r} notify",
                    "define a Channel of that name",
                )
    for doc in ctx.of_kind("EscalationPath"):
        spec = doc.data.get("spec") or {}
        for i, level in enumerate(spec.get("levels") or ()):
            if isinstance(level, dict) and level.get("team") not in teams:
                ctx.unknown(
                    "unknown-team",
                    "team",
                    level.get("team"),
                    teams,
                    doc.where("spec", "levels", i, "team"),
                    f"path {doc.name!r} level {i}",
                    "define a Team of that name",
                )
        if spec.get("calendar") is not None and spec["calendar"] not in calendars:
            ctx.unknown(
                "unknown-calendar",
                "calendar",
                spec["calendar"],
                calendars,
                doc.where("spec", "calendar"),
                f"path {doc.name!r}",
                "define a Calendar of that name",
            )
        for i, trigger in enumerate(spec.get("triggers") or ()):
            target = trigger.get("path") if isinstance(trigger, dict) else None
            if target is not None and target not in policy.paths:
                ctx.unknown(
                    "unknown-path",
                    "path",
                    target,
                    policy.paths,
                    doc.where("spec", "triggers", i, "path"),
                    f"trigger {trigger.get('name')!r}",
                    "define an EscalationPath of that name",
                )
    _check_condition_refs(ctx, priorities, teams)
    _check_test_refs(ctx, priorities, teams)


def _check_service_level_refs(
    ctx: Context, doc: Document, priorities: list[str], calendars: list[str]
) -> None:
    """A service level names priorities of the matrix and defined calendars."""
    if ctx.policy.matrix is None or doc.name != ctx.policy.matrix.name:
        return
    for i, level in enumerate(get(doc.data, ("spec", "service_levels")) or ()):
        if not isinstance(level, dict):
            continue
        context = f"service level {level.get('name')!r}"
        for name, item in (level.get("priorities") or {}).items():
            at = ("spec", "service_levels", i, "priorities", name)
            if name not in priorities:
                ctx.unknown(
                    "unknown-priority",
                    "priority",
                    name,
                    priorities,
                    doc.where_key(*at),
                    context,
                    "name a priority of spec.priorities",
                )
            calendar = item.get("calendar") if isinstance(item, dict) else None
            if calendar is not None and calendar not in calendars:
                ctx.unknown(
                    "unknown-calendar",
                    "calendar",
                    calendar,
                    calendars,
                    doc.where(*at, "calendar"),
                    f"{context} priority {name!r}",
                    "define a Calendar of that name",
                )


def _check_condition_refs(ctx: Context, priorities: list[str] | None, teams: list[str]) -> None:
    matrix = ctx.policy.matrix
    values: dict[str, tuple[list[str] | None, str, str]] = {
        "priority": (priorities, "unknown-priority", "priority"),
        "team": (teams, "unknown-team", "team"),
        "impact": (list(matrix.impact) if matrix else None, "unknown-value", "impact value"),
        "urgency": (list(matrix.urgency) if matrix else None, "unknown-value", "urgency value"),
        "status": (list(STATUSES), "unknown-value", "status"),
    }
    for doc, cond, at in conditions(ctx):
        name = str(cond.get("field"))
        if not field_is_known(name):
            ctx.error(
                "unknown-field",
                doc.where(*at, "field"),
                f"{owner(doc)}: conditions cannot name the field {name!r}",
                suggest(name, [*CONDITION_FIELDS, "fields.<name>"]),
            )
            continue
        if name not in values or values[name][0] is None:
            continue
        known, code, what = values[name]
        assert known is not None
        for value, value_at in condition_values(cond, at):
            if str(value) not in known:
                ctx.unknown(
                    code,
                    what,
                    value,
                    known,
                    doc.where(*value_at),
                    f"{owner(doc)} condition on {name}",
                )


def _check_test_refs(ctx: Context, priorities: list[str] | None, teams: list[str]) -> None:
    for doc in ctx.of_kind("PolicyTest"):
        context = f"test {doc.name!r}"
        for part, key in (
            ("expect", "path"),
            ("expect", "team"),
            ("ticket", "team"),
            ("ticket", "priority"),
        ):
            value = get(doc.data, ("spec", part, key))
            if value is None:
                continue
            where = doc.where("spec", part, key)
            if key == "path" and value not in ctx.policy.paths:
                ctx.unknown("unknown-path", "path", value, ctx.policy.paths, where, context)
            elif key == "team" and value not in teams:
                ctx.unknown("unknown-team", "team", value, teams, where, context)
            elif key == "priority" and priorities is not None and value not in priorities:
                ctx.unknown("unknown-priority", "priority", value, priorities, where, context)


def check_rotations(ctx: Context) -> None:
    """rotation-cycle: a team that is, through rotations, its own member."""
    teams = ctx.policy.teams
    for doc in ctx.of_kind("Team"):
        for i, shift in enumerate(get(doc.data, ("spec", "rotation")) or ()):
            seen: set[str] = set()
            todo = [str(shift.get("team"))]
            while todo:
                name = todo.pop()
                if name == doc.name:
                    ctx.error(
                        "rotation-cycle",
                        doc.where("spec", "rotation", i, "team"),
                        f"team {doc.name!r} is a member of its own rotation "
                        f"through {shift.get('team')!r}",
                        "a rotation lists the regional teams that take turns; "
                        "none of them may rotate back to this team",
                    )
                    break
                if name in seen or name not in teams:
                    continue
                seen.add(name)
                todo.extend(s.team for s in teams[name].rotation)


def check_unused(ctx: Context) -> None:
    """unused (warning): calendars, teams, channels, priorities and paths nothing reaches."""
    policy = ctx.policy
    used_calendars = (
        {p.calendar for p in policy.matrix.priorities.values()} if policy.matrix else set()
    )
    for service in policy.matrix.service_levels if policy.matrix else ():
        used_calendars.update(p.calendar for p in service.priorities.values())
    used_teams: set[str] = set()
    used_channels: set[str] = set()
    for team in policy.teams.values():
        used_calendars.update(s.calendar for s in team.rotation)
        used_teams.update(s.team for s in team.rotation)
        used_channels.update(team.notify)
    for path in policy.paths.values():
        if path.calendar:
            used_calendars.add(path.calendar)
        used_teams.update(level.team for level in path.levels)
    for _, cond, at in conditions(ctx):
        if cond.get("field") == "team":
            used_teams.update(str(v) for v, _ in condition_values(cond, at))
    hint = "remove it, or reference it"
    for kind, names, used, by in (
        ("Calendar", policy.calendars, used_calendars, "no priority, rotation or path uses it"),
        ("Team", policy.teams, used_teams, "no path level or rotation names it"),
        ("Channel", policy.channels, used_channels, "no team notifies it"),
    ):
        docs = {d.name: d for d in reversed(list(ctx.of_kind(kind)))}  # the first of a name
        for name in names:
            if name not in used and name in docs:
                where = name_where(docs[name])
                ctx.warning("unused", where, f"{kind} {name!r} is unused: {by}", hint)
    for doc in ctx.of_kind("PriorityMatrix"):
        if policy.matrix is None or doc.name != policy.matrix.name:
            continue
        yielded = set(policy.matrix.cells.values())
        for name in policy.matrix.priorities:
            if name not in yielded:
                ctx.warning(
                    "unused",
                    doc.where_key("spec", "priorities", name),
                    f"priority {name!r} is unused: no matrix cell yields it",
                    "use it in a cell of the matrix, or remove it",
                )
