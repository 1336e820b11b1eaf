"""Table API record writes the ServiceNow configuration code shares (`config_records`
for SLAs, lookups and schedules, `schedules` for a schedule's entries): create,
update and delete one row through pysnc, and the rows of a schedule entry."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from escalada.connectors.servicenow.client import Connection
from escalada.errors import DeskError

Op = Literal["create", "update", "delete"]
SPAN_FIELDS = ["schedule", "name", "start_date_time", "end_date_time", "days_of_week", "type"]
SPAN_REFUSED_HINT = (
    "this instance refuses Table API writes to schedule entries (one integrator reports a "
    "'Schedule Item validate' business rule doing so): add the entries listed in "
    "`escalada plan` by hand under System Scheduler > Schedules, or let the integration "
    "user pass that rule; the schedule record itself was written"
)


def insert(sn: Connection, table: str, values: Mapping[str, str], what: str) -> str:
    record = sn.client.GlideRecord(table)
    record.initialize()
    for name, value in values.items():
        record.set_value(name, value)
    with sn.call(f"create {what} ({table})"):
        sys_id = record.insert()
    return str(sys_id)


def update(sn: Connection, table: str, sys_id: str, values: Mapping[str, str], what: str) -> None:
    """pysnc sends only fields it read, so read them first, then PATCH the changed ones."""
    record = sn.client.GlideRecord(table)
    record.fields = list(values)
    with sn.call(f"read {what} ({table} {sys_id})"):
        found = record.get(sys_id)
    if not found:
        raise DeskError(
            sn.desk.name,
            f"update {what}",
            f"{table} {sys_id} no longer exists",
            hint="run `escalada plan` again",
        )
    for name, value in values.items():
        record.set_value(name, value)
    if record.changes():
        with sn.call(f"update {what} ({table} {sys_id})"):
            record.update()


def delete(sn: Connection, table: str, sys_id: str, what: str) -> None:
    record = sn.client.GlideRecord(table)
    record.initialize()
    record.set_value("sys_id", sys_id)
    with sn.call(f"delete {what} ({table} {sys_id})"):
        record.delete()


def span_values(schedule: str, span: Mapping[str, str]) -> dict[str, str]:
    return {
        "schedule": schedule,
        "name": span["name"],
        "start_date_time": span["start"],
        "end_date_time": span["end"],
        "all_day": "false",
        "repeat_type": "weekly",
        "repeat_count": "1",
        "days_of_week": span["days_of_week"],
        "type": "",
        "show_as": "busy",
    }


def holiday_values(schedule: str, day: Mapping[str, str]) -> dict[str, str]:
    compact = day["date"].replace("-", "")
    return {
        "schedule": schedule,
        "name": day["name"],
        "start_date_time": f"{compact}T000000",
        "end_date_time": f"{compact}T235959",
        "all_day": "true",
        "repeat_type": "",
        "type": "exclude",
        "show_as": "free",
    }
