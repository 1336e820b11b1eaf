"""Writing one schedule object: the cmn_schedule, its weekly cmn_schedule_span
entries, and its holidays as `exclude` spans of a child schedule
("<name> holidays") attached with a cmn_other_schedule row of type `include`
(the child's exclusions then apply to the parent).

Entries are diffed, not replaced: an update writes only the spans that
changed. Some instances refuse Table API writes to cmn_schedule_span; that
refusal is reported as one clear error naming the schedule."""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import replace

from escalada.connectors.base import ConfigObject
from escalada.connectors.servicenow.client import Connection
from escalada.connectors.servicenow.config import MARKER
from escalada.connectors.servicenow.records import SPAN_FIELDS
from escalada.connectors.servicenow.records import SPAN_REFUSED_HINT
from escalada.connectors.servicenow.records import Op
from escalada.connectors.servicenow.records import delete
from escalada.connectors.servicenow.records import holiday_values
from escalada.connectors.servicenow.records import insert
from escalada.connectors.servicenow.records import span_values
from escalada.connectors.servicenow.records import update
from escalada.errors import DeskError

SPAN_KEY = ("name", "start_date_time", "end_date_time", "days_of_week", "type")


def write_schedule(sn: Connection, op: Op, obj: ConfigObject) -> ConfigObject:
    zone = str(obj.attrs.get("time_zone", ""))
    if op == "create":
        sys_id = insert(
            sn,
            "cmn_schedule",
            {"name": obj.name, "time_zone": zone, "description": MARKER},
            obj.key,
        )
        _sync(sn, obj, sys_id, obj.attrs.get("spans", []), holidays=False)
        _holidays(sn, obj, sys_id, zone)
        return replace(obj, id=sys_id)
    assert obj.id is not None, f"{obj.key}: {op} needs the schedule's sys_id"
    if op == "delete":
        child = _child(sn, obj.id)
        if child is not None:
            _drop_child(sn, obj, *child)
        _sync(sn, obj, obj.id, [], holidays=False)
        delete(sn, "cmn_schedule", obj.id, obj.key)
        return obj
    (row,) = sn.rows("cmn_schedule", f"sys_id={obj.id}", ["description"], f"read {obj.key}")
    description = row["description"][0]
    if MARKER not in description:  # adopted: mark it as escalada's from now on
        description = f"{description}\n{MARKER}".strip()
    values = {"name": obj.name, "time_zone": zone, "description": description}
    update(sn, "cmn_schedule", obj.id, values, obj.key)
    _sync(sn, obj, obj.id, obj.attrs.get("spans", []), holidays=False)
    _holidays(sn, obj, obj.id, zone)
    return obj


def _holidays(sn: Connection, obj: ConfigObject, parent: str, zone: str) -> None:
    days = obj.attrs.get("holidays", [])
    child = _child(sn, parent)
    if not days:
        if child is not None:
            _drop_child(sn, obj, *child)
        return
    if child is None:
        values = {"name": f"{obj.name} holidays", "time_zone": zone, "description": MARKER}
        child_id = insert(sn, "cmn_schedule", values, f"{obj.key} holidays")
        link = {"schedule": parent, "child_schedule": child_id, "type": "include"}
        insert(sn, "cmn_other_schedule", link, f"{obj.key} holidays link")
    else:
        child_id = child[0]
        update(sn, "cmn_schedule", child_id, {"time_zone": zone}, f"{obj.key} holidays")
    _sync(sn, obj, child_id, days, holidays=True)


def _child(sn: Connection, parent: str) -> tuple[str, str] | None:
    """(holiday schedule sys_id, link sys_id) of a schedule, if it has one."""
    links = sn.rows(
        "cmn_other_schedule",
        f"schedule={parent}^type=include",
        ["child_schedule"],
        "read child schedules",
    )
    for link in links:
        child = link["child_schedule"][0]
        rows = sn.rows("cmn_schedule", f"sys_id={child}", ["description"], "read child schedule")
        if rows and MARKER in rows[0]["description"][0]:
            return child, link["sys_id"][0]
    return None


def _drop_child(sn: Connection, obj: ConfigObject, child: str, link: str) -> None:
    _sync(sn, obj, child, [], holidays=True)
    delete(sn, "cmn_other_schedule", link, f"{obj.key} holidays link")
    delete(sn, "cmn_schedule", child, f"{obj.key} holidays")


def _sync(
    sn: Connection,
    obj: ConfigObject,
    schedule: str,
    wanted: Sequence[Mapping[str, str]],
    *,
    holidays: bool,
) -> None:
    """Make the spans of `schedule` exactly `wanted` (weekly spans, or holiday days)."""
    rows = sn.rows("cmn_schedule_span", f"schedule={schedule}", SPAN_FIELDS, "read entries")
    have = {tuple(r[k][0] for k in SPAN_KEY): r["sys_id"][0] for r in rows}
    values = [holiday_values(schedule, w) if holidays else span_values(schedule, w) for w in wanted]
    want = {tuple(v.get(k, "") for k in SPAN_KEY): v for v in values}
    try:
        for key, sys_id in have.items():
            if key not in want:
                delete(sn, "cmn_schedule_span", sys_id, f"{obj.key} entry {key[0]}")
        for key, value in want.items():
            if key not in have:
                insert(sn, "cmn_schedule_span", value, f"{obj.key} entry {key[0]}")
    except DeskError as error:
        if error.status != 403:
            raise
        raise DeskError(
            sn.desk.name,
            f"write the entries of schedule {obj.name!r} (cmn_schedule_span)",
            f"refused: {error.message.split(': ', 2)[-1]}",
            status=403,
            hint=SPAN_REFUSED_HINT,
        ) from error
