"""Reading and writing ServiceNow configuration objects (the reconciler's desk side).

Reads cost six queries whatever the instance holds (up to 10,000 rows each):
assignment groups, lookup rules (when the Desk lets escalada manage them),
schedules, the child-schedule links and the entries of escalada's schedules,
and the SLA definitions of the table. Writes go
through pysnc's insert / update (a GET of the fields to change, then a PATCH of
the changed ones) / delete."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Any

from escalada.connectors.base import ConfigObject
from escalada.connectors.servicenow.client import Connection
from escalada.connectors.servicenow.config import MARKER
from escalada.connectors.servicenow.config import SLA_SUFFIX
from escalada.connectors.servicenow.config import lookup_name
from escalada.connectors.servicenow.config import sla_attrs
from escalada.connectors.servicenow.config import sla_record
from escalada.connectors.servicenow.options import query_safe
from escalada.connectors.servicenow.records import SPAN_FIELDS
from escalada.connectors.servicenow.records import Op
from escalada.connectors.servicenow.records import delete
from escalada.connectors.servicenow.records import insert
from escalada.connectors.servicenow.records import update
from escalada.connectors.servicenow.schedules import write_schedule
from escalada.errors import DeskError
from escalada.errors import EscaladaError

SLA_FIELDS = [
    "name",
    "collection",
    "type",
    "target",
    "duration",
    "schedule",
    "schedule_source",
    "timezone_source",
    "timezone",
    "start_condition",
    "stop_condition",
    "pause_condition",
    "when_to_resume",
    "cancel_condition",
    "when_to_cancel",
    "active",
]


def read_config(sn: Connection) -> list[ConfigObject]:
    lookups = _lookups(sn) if sn.options.manage_priority_lookup else []
    objects = _groups(sn) + lookups + _schedules(sn)
    rows = sn.rows(
        "contract_sla",
        f"collection={query_safe(sn.options.table, 'table')}",
        SLA_FIELDS,
        "read SLA definitions",
    )
    for row in rows:
        name = row["name"][0]
        managed = name.endswith(SLA_SUFFIX)
        objects.append(
            ConfigObject(
                "sla",
                name.removesuffix(SLA_SUFFIX),
                sla_attrs(row),
                id=row["sys_id"][0],
                managed=managed,
            )
        )
    return objects


def _groups(sn: Connection) -> list[ConfigObject]:
    names = sorted({query_safe(g, "group") for g in sn.desk.teams.values()})
    if not names:
        return []
    rows = sn.rows(
        "sys_user_group", f"nameIN{','.join(names)}^active=true", ["name"], "read groups"
    )
    return [
        ConfigObject("group", r["name"][0], {"active": True}, id=r["sys_id"][0], verify_only=True)
        for r in rows
    ]


def _lookups(sn: Connection) -> list[ConfigObject]:
    rows = sn.rows(
        "dl_u_priority",
        "",
        ["impact", "urgency", "priority", "active"],
        "read priority lookup rules",
    )
    found: dict[str, ConfigObject] = {}
    for row in sorted(rows, key=lambda r: r["active"][0] != "true"):  # active rows first
        impact, urgency = row["impact"][0], row["urgency"][0]
        attrs = {
            "impact": impact,
            "urgency": urgency,
            "priority": row["priority"][0],
            "active": row["active"][0] == "true",
        }
        name = lookup_name(impact, urgency)
        found.setdefault(
            name,
            ConfigObject(
                "lookup",
                name,
                attrs,
                id=row["sys_id"][0],
                managed=True,  # read only when options.manage_priority_lookup is set
            ),
        )
    return list(found.values())


def _schedules(sn: Connection) -> list[ConfigObject]:
    schedules = sn.rows("cmn_schedule", "", ["name", "time_zone", "description"], "read schedules")
    managed = {r["sys_id"][0]: r for r in schedules if MARKER in r["description"][0]}
    children: dict[str, str] = {}  # schedule -> its holiday child schedule
    if managed:
        links = sn.rows(
            "cmn_other_schedule",
            f"scheduleIN{','.join(managed)}",
            ["schedule", "child_schedule", "type"],
            "read child schedules",
        )
        children = {
            r["schedule"][0]: r["child_schedule"][0]
            for r in links
            if r["child_schedule"][0] in managed
        }
    spans: dict[str, list[Mapping[str, tuple[str, str]]]] = {}
    if managed:
        for row in sn.rows(
            "cmn_schedule_span",
            f"scheduleIN{','.join(managed)}",
            SPAN_FIELDS,
            "read schedule entries",
        ):
            spans.setdefault(row["schedule"][0], []).append(row)
    out = []
    for row in schedules:
        sys_id = row["sys_id"][0]
        if sys_id in children.values():
            continue  # a holiday schedule: part of its parent's object
        attrs: dict[str, Any] = {"time_zone": row["time_zone"][0]}
        if sys_id in managed:
            attrs["spans"] = _weekly(spans.get(sys_id, []))
            attrs["holidays"] = _closed_days(spans.get(children.get(sys_id, ""), []))
        out.append(
            ConfigObject("schedule", row["name"][0], attrs, id=sys_id, managed=sys_id in managed)
        )
    return out


def _weekly(rows: list[Mapping[str, tuple[str, str]]]) -> list[dict[str, str]]:
    spans = [
        {
            "name": r["name"][0],
            "days_of_week": r["days_of_week"][0],
            "start": r["start_date_time"][0],
            "end": r["end_date_time"][0],
        }
        for r in rows
        if r["type"][0] != "exclude"
    ]
    return sorted(spans, key=lambda s: (s["start"][:8], s["start"], s["days_of_week"]))


def _closed_days(rows: list[Mapping[str, tuple[str, str]]]) -> list[dict[str, str]]:
    days = [
        {"name": r["name"][0], "date": _iso(r["start_date_time"][0])}
        for r in rows
        if r["type"][0] == "exclude"
    ]
    return sorted(days, key=lambda d: (d["date"], d["name"]))


def _iso(stamp: str) -> str:
    return f"{stamp[0:4]}-{stamp[4:6]}-{stamp[6:8]}"


# --- writing ------------------------------------------------------------------


def write_config(sn: Connection, op: Op, obj: ConfigObject) -> ConfigObject:
    if obj.verify_only or obj.kind == "group":
        raise EscaladaError(
            f"{obj.key}: escalada verifies assignment groups, it never writes them",
            hint="create the group in ServiceNow, or fix the Desk's teams",
        )
    if obj.kind == "lookup":
        values = {
            "impact": obj.attrs["impact"],
            "urgency": obj.attrs["urgency"],
            "priority": obj.attrs["priority"],
            "active": "true" if obj.attrs["active"] else "false",
        }
        return _write_row(sn, op, obj, "dl_u_priority", values)
    if obj.kind == "sla":
        schedule = _schedule_id(sn, obj.attrs["schedule"]) if op != "delete" else ""
        return _write_row(sn, op, obj, "contract_sla", sla_record(obj.name, obj.attrs, schedule))
    if obj.kind == "schedule":
        return write_schedule(sn, op, obj)
    raise EscaladaError(f"{obj.key}: servicenow has no configuration objects of kind {obj.kind}")


def _write_row(
    sn: Connection, op: Op, obj: ConfigObject, table: str, values: Mapping[str, str]
) -> ConfigObject:
    if op == "create":
        return replace(obj, id=insert(sn, table, values, obj.key))
    if obj.id is None:
        raise EscaladaError(f"{obj.key}: {op} needs the object's sys_id (plan it again)")
    if op == "update":
        update(sn, table, obj.id, values, obj.key)
    else:
        delete(sn, table, obj.id, obj.key)
    return obj


def _schedule_id(sn: Connection, name: str) -> str:
    if not name:
        return ""  # no schedule: the SLA runs 24x7
    rows = sn.rows(
        "cmn_schedule",
        f"name={query_safe(name, 'schedule')}",
        ["description"],
        f"look up schedule {name}",
    )
    ours = [r for r in rows if MARKER in r["description"][0]] or rows
    if not ours:
        raise DeskError(
            sn.desk.name,
            f"write SLA on schedule {name}",
            f"schedule {name!r} does not exist",
            hint="apply the schedule first (`escalada apply` orders schedules before SLAs)",
        )
    return ours[0]["sys_id"][0]
