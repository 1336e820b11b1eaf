"""The ServiceNow configuration a policy asks for (the reconciler's desired side).

- `lookup`: one Priority Lookup Rule (`dl_u_priority`) per impact x urgency
  cell of the matrix, in desk values.
- `schedule`: one `cmn_schedule` per business calendar the priorities use,
  with weekly `cmn_schedule_span` entries and the holidays as `exclude` spans
  of a child schedule attached through `cmn_other_schedule`.
- `sla`: a respond and a resolve SLA definition (`contract_sla`) per priority,
  on the priority's schedule (none for 24x7), durations as glide_duration.
- `group`: every mapped assignment group, verified, never created.

Ownership markers (see docs/desks/servicenow.md): schedules carry
MARKER in their description, SLA definitions at the end of their name (the
table has no description column to rely on). Lookup rules cannot carry a
marker (the table has no free-text column): `options.manage_priority_lookup:
true` is how a Desk hands them to escalada; without it the plan notes that
they are not managed, and the runner reports a priority the instance derived
differently from the matrix."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from escalada.connectors.base import ConfigObject
from escalada.connectors.servicenow.options import NEW_STATE
from escalada.connectors.servicenow.options import STAMP
from escalada.connectors.servicenow.options import Options
from escalada.connectors.servicenow.slas import level_query
from escalada.connectors.servicenow.slas import pause_condition
from escalada.connectors.slaterms import Conjunction
from escalada.connectors.slaterms import Exclusive
from escalada.connectors.slaterms import conjunction
from escalada.connectors.slaterms import pausing_statuses
from escalada.engine.calendars import closed_days
from escalada.policy.model import BUILTIN_CALENDAR
from escalada.policy.model import Calendar
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.policy.model import Priority
from escalada.policy.model import ServiceLevel

MARKER = "[managed by escalada]"
SLA_SUFFIX = f" {MARKER}"
SPAN_STAMP = "%Y%m%dT%H%M%S"
ANCHOR = date(2024, 1, 1)  # a Monday: weekly spans start on the first of their days after it
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
TARGETS = {"respond": "response", "resolve": "resolution"}


def glide_duration(delta: timedelta) -> str:
    """A glide_duration value: the time since 1970-01-01 00:00:00 (4h -> 1970-01-01 04:00:00)."""
    return (datetime(1970, 1, 1) + delta).strftime(STAMP)


def lookup_name(impact: str, urgency: str) -> str:
    return f"impact {impact} x urgency {urgency}"


def desired(desk: Desk, options: Options, policy: Policy, *, today: date) -> list[ConfigObject]:
    objects: list[ConfigObject] = [
        ConfigObject("group", group, {"active": True}, verify_only=True)
        for group in dict.fromkeys(desk.teams.values())
    ]
    if options.manage_priority_lookup:
        objects += _lookups(desk, policy)
    elif policy.matrix is not None:
        objects.append(
            ConfigObject(
                "lookup",
                "priority lookup rules",
                verify_only=True,
                note="not managed on this desk: ServiceNow derives priority from impact x "
                "urgency through its Priority Lookup Rules; set options.manage_priority_lookup: "
                "true to let `escalada apply` make them match the matrix",
            )
        )
    schedules = _schedules(policy, today)
    objects += schedules
    objects += _slas(desk, options, policy, {s.name for s in schedules})
    return objects


def _lookups(desk: Desk, policy: Policy) -> list[ConfigObject]:
    matrix = policy.matrix
    if matrix is None or desk.impact is None or desk.urgency is None:
        return []
    rows: dict[tuple[str, str], str] = {}
    for impact in matrix.impact:  # highest first: a desk cell two policy cells share
        for urgency in matrix.urgency:  # takes the higher priority
            priority = matrix.cells.get((impact, urgency))
            cell = (desk.impact.values.get(impact), desk.urgency.values.get(urgency))
            if priority in desk.priorities and cell[0] is not None and cell[1] is not None:
                rows.setdefault((cell[0], cell[1]), desk.priorities[priority or ""])
    return [
        ConfigObject(
            "lookup",
            lookup_name(i, u),
            {"impact": i, "urgency": u, "priority": p, "active": True},
        )
        for (i, u), p in sorted(rows.items())
    ]


def _schedules(policy: Policy, today: date) -> list[ConfigObject]:
    if policy.matrix is None:
        return []
    names = dict.fromkeys(p.calendar for p in policy.matrix.priorities.values())
    for level in policy.matrix.service_levels:
        names.update(dict.fromkeys(p.calendar for p in level.priorities.values()))
    out = []
    for name in names:
        calendar = policy.calendars.get(name)
        if calendar is None or name == BUILTIN_CALENDAR or calendar.always_open:
            continue
        attrs = {
            "time_zone": calendar.timezone,
            "spans": weekly_spans(calendar),
            "holidays": holidays(calendar, today),
        }
        out.append(
            ConfigObject(
                "schedule",
                name,
                attrs,
                note="holidays cover this year and the next: run `escalada apply` yearly",
            )
        )
    return out


def weekly_spans(calendar: Calendar) -> list[dict[str, str]]:
    """One weekly span per distinct opening range, on every day that has it."""
    days_by_range: dict[tuple[int, int], list[int]] = {}
    for day, ranges in enumerate(calendar.hours):
        for start, end in ranges:
            days_by_range.setdefault((start, end), []).append(day)
    spans = []
    for (start, end), days in sorted(days_by_range.items(), key=lambda kv: (kv[1][0], kv[0])):
        first = ANCHOR + timedelta(days=days[0])
        begin = datetime.combine(first, datetime.min.time())
        spans.append(
            {
                "name": f"{_days(days)} {_clock(start)}-{_clock(end)}",
                "days_of_week": "".join(str(d + 1) for d in days),  # Monday = 1
                "start": (begin + timedelta(minutes=start)).strftime(SPAN_STAMP),
                "end": (begin + timedelta(minutes=end)).strftime(SPAN_STAMP),
            }
        )
    return spans


def _days(days: list[int]) -> str:
    if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
        return f"{DAY_NAMES[days[0]]}-{DAY_NAMES[days[-1]]}"
    return ",".join(DAY_NAMES[d] for d in days)


def _clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def holidays(calendar: Calendar, today: date) -> list[dict[str, str]]:
    """Closed days of this year and the next: the country's public holidays and extra dates."""
    days = {
        day: name[:80] for day, name in closed_days(calendar, (today.year, today.year + 1)).items()
    }
    return [{"name": name, "date": day.isoformat()} for day, name in sorted(days.items())]


def _slas(desk: Desk, options: Options, policy: Policy, schedules: set[str]) -> list[ConfigObject]:
    if policy.matrix is None:
        return []
    scope = (desk.scope or "").strip().removesuffix("^EQ")
    done = ",".join(options.done_states)
    stop = {
        "respond": f"{options.responded_field}ISNOTEMPTY"
        if options.responded_field
        else f"state!={NEW_STATE}",
        "resolve": f"stateIN{done}",
    }
    out = []
    expressed: list[tuple[ServiceLevel | None, str]] = []
    skipped: list[ServiceLevel] = []
    earlier: list[Conjunction] = []
    for level in policy.matrix.service_levels:
        own = conjunction(level.match)
        query = level_query(options, Exclusive(level, own, tuple(earlier))) if own else None
        if own is None or query is None:
            skipped.append(level)
            continue
        expressed.append((level, query))
        earlier.append(own)
    matrix_query = level_query(options, Exclusive(None, (), tuple(earlier)))
    expressed.append((None, matrix_query or ""))  # the negations of what was said: never None
    for service, condition in expressed:
        priorities = service.priorities if service is not None else policy.matrix.priorities
        suffix = f" {service.name}" if service is not None else ""
        for name, priority in priorities.items():
            value = desk.priorities.get(name)
            if value is None:
                continue
            pause = pause_condition(options, pausing_statuses(policy, priority))
            start = "^".join(p for p in (scope, f"priority={value}", condition) if p)
            out.extend(
                _definitions(
                    options, policy, schedules, (name, suffix), priority, start, pause, stop, value
                )
            )
    out.extend(
        ConfigObject(
            "sla",
            f"service level {unsaid.name}",
            verify_only=True,
            note=f"service level {unsaid.name!r}: its condition has no encoded-query equivalent "
            "escalada knows (requester.organization equals/in through options."
            "organization_field, tags contains through options.tags_field, all/not of them, "
            "and the earlier levels excluded); its targets are enforced by the runner only",
        )
        for unsaid in skipped
    )
    return out


def _definitions(
    options: Options,
    policy: Policy,
    schedules: set[str],
    name: tuple[str, str],
    priority: Priority,
    start: str,
    pause: str,
    stop: Mapping[str, str],
    value: str,
) -> list[ConfigObject]:
    out = []
    for target, within in (
        ("respond", priority.respond_within),
        ("resolve", priority.resolve_within),
    ):
        if within is None:
            continue
        schedule = priority.calendar if priority.calendar in schedules else ""
        calendar = policy.calendars.get(priority.calendar)
        attrs: dict[str, Any] = {
            "table": options.table,
            "type": "SLA",
            "target": TARGETS[target],
            "duration": glide_duration(within),
            "schedule": schedule,
            # The SLA API's default schedule_source, sla_definition, makes the schedule
            # mandatory: a 24x7 SLA is no_schedule. The time zone is the calendar's,
            # not the caller's (timezone_source defaults to task.caller_id.time_zone).
            # (ServiceNowDocs fluent-sla-api.md, scheduleSource and timezoneSource.)
            "schedule_source": "sla_definition" if schedule else "no_schedule",
            "timezone_source": "sla.timezone",
            "timezone": calendar.timezone if calendar is not None else "UTC",
            "start_condition": start,
            "stop_condition": stop[target],
            "pause_condition": pause,
            "when_to_resume": "no_match",  # resume when the pause condition stops matching
            "cancel_condition": f"priority!={value}",
            "when_to_cancel": "on_condition",
            "active": True,
        }
        out.append(
            ConfigObject(
                "sla",
                f"{name[0]} {target}{name[1]}",
                attrs,
                depends_on=(f"schedule/{schedule}",) if schedule else (),
            )
        )
    return out


def sla_record(name: str, attrs: Mapping[str, Any], schedule_id: str) -> dict[str, str]:
    """The contract_sla values for an SLA object (the schedule as its sys_id)."""
    return {
        "name": name + SLA_SUFFIX,
        "collection": attrs["table"],
        "type": attrs["type"],
        "target": attrs["target"],
        "duration": attrs["duration"],
        "duration_type": "",
        "schedule": schedule_id,
        "schedule_source": attrs["schedule_source"],
        "timezone_source": attrs["timezone_source"],
        "timezone": attrs["timezone"],
        "start_condition": attrs["start_condition"],
        "stop_condition": attrs["stop_condition"],
        "pause_condition": attrs["pause_condition"],
        "when_to_resume": attrs["when_to_resume"],
        "cancel_condition": attrs["cancel_condition"],
        "when_to_cancel": attrs["when_to_cancel"],
        "active": "true" if attrs["active"] else "false",
    }


def sla_attrs(row: Mapping[str, tuple[str, str]]) -> dict[str, Any]:
    """The attrs of a contract_sla row, shaped exactly as `desired` shapes them."""

    def value(name: str) -> str:
        return row.get(name, ("", ""))[0]

    return {
        "table": value("collection"),
        "type": value("type"),
        "target": value("target"),
        "duration": value("duration"),
        "schedule": row.get("schedule", ("", ""))[1] if value("schedule") else "",
        "schedule_source": value("schedule_source") or "sla_definition",  # the default
        "timezone_source": value("timezone_source") or "task.caller_id.time_zone",
        "timezone": value("timezone"),
        "start_condition": value("start_condition"),
        "stop_condition": value("stop_condition"),
        "pause_condition": value("pause_condition"),
        "when_to_resume": value("when_to_resume") or "on_condition",  # the default
        "cancel_condition": value("cancel_condition"),
        "when_to_cancel": value("when_to_cancel"),
        "active": value("active") == "true",
    }
