"""The tables of the ServiceNow fake: columns, their kinds, and base-system rows.

Every value is a string, as the Table API returns them. Column kinds:
`str`, `bool`, `datetime`, `choice`, `journal` (work_notes/comments: writes
append to sys_journal_field, reads show the entries), `ro` (system-maintained,
writes ignored) and `ref:<table>` (a sys_id; the display value is the target's
display column)."""

from __future__ import annotations

TASK_FIELDS = {
    "sys_id": "ro",
    "number": "ro",
    "sys_created_on": "ro",
    "sys_created_by": "ro",
    "sys_updated_on": "ro",
    "sys_updated_by": "ro",
    "sys_mod_count": "ro",
    "sys_class_name": "ro",
    "sys_tags": "ro",
    "short_description": "str",
    "description": "str",
    "state": "choice",
    "impact": "choice",
    "urgency": "choice",
    "priority": "choice",
    "assignment_group": "ref:sys_user_group",
    "assigned_to": "ref:sys_user",
    "opened_at": "datetime",
    "closed_at": "datetime",
    "work_start": "datetime",
    "active": "bool",
    "work_notes": "journal",
    "comments": "journal",
}
INCIDENT_FIELDS = {
    "caller_id": "ref:sys_user",
    "category": "str",
    "resolved_at": "datetime",
}
SYSTEM = {"sys_id": "ro", "sys_created_on": "ro", "sys_updated_on": "ro", "sys_mod_count": "ro"}
SCHEMAS: dict[str, dict[str, str]] = {
    "incident": {**TASK_FIELDS, **INCIDENT_FIELDS},
    "sys_user": {
        **SYSTEM,
        "user_name": "str",
        "name": "str",
        "vip": "bool",
        "company": "ref:core_company",
        "active": "bool",
    },
    "core_company": {**SYSTEM, "name": "str"},
    "sys_user_group": {**SYSTEM, "name": "str", "description": "str", "active": "bool"},
    "sys_journal_field": {
        **SYSTEM,
        "sys_created_by": "ro",
        "element": "str",
        "element_id": "str",
        "name": "str",
        "value": "str",
    },
    "dl_u_priority": {
        **SYSTEM,
        "impact": "choice",
        "urgency": "choice",
        "priority": "choice",
        "active": "bool",
    },
    "contract_sla": {
        **SYSTEM,
        "name": "str",
        "collection": "str",
        "type": "str",
        "target": "str",
        "duration": "str",
        "duration_type": "str",
        "schedule": "ref:cmn_schedule",
        "schedule_source": "str",
        "timezone_source": "str",
        "timezone": "str",
        "start_condition": "str",
        "stop_condition": "str",
        "pause_condition": "str",
        "resume_condition": "str",
        "cancel_condition": "str",
        "when_to_cancel": "str",
        "when_to_resume": "str",
        "active": "bool",
    },
    "cmn_schedule": {
        **SYSTEM,
        "name": "str",
        "time_zone": "str",
        "type": "str",
        "description": "str",
        "parent": "ref:cmn_schedule",
    },
    "cmn_schedule_span": {
        **SYSTEM,
        "schedule": "ref:cmn_schedule",
        "name": "str",
        "start_date_time": "str",
        "end_date_time": "str",
        "all_day": "bool",
        "repeat_type": "str",
        "repeat_count": "str",
        "days_of_week": "str",
        "repeat_until": "str",
        "type": "str",
        "show_as": "str",
        "notes": "str",
    },
    "cmn_other_schedule": {
        **SYSTEM,
        "schedule": "ref:cmn_schedule",
        "child_schedule": "ref:cmn_schedule",
        "type": "str",
    },
    "sys_dictionary": {
        **SYSTEM,
        "name": "str",
        "element": "str",
        "internal_type": "str",
        "column_label": "str",
    },
    # The audit of incident state changes (c_UnderstandingTheSysAuditTable.md: table name,
    # field name, document key (the record's sys_id), old and new value; inserts and
    # updates of audited records are tracked)
    "sys_audit": {
        **SYSTEM,
        "tablename": "str",
        "fieldname": "str",
        "documentkey": "str",
        "oldvalue": "str",
        "newvalue": "str",
        "user": "str",
    },
    "sys_choice": {
        **SYSTEM,
        "name": "str",
        "element": "str",
        "value": "str",
        "label": "str",
        "inactive": "bool",
        "language": "str",
    },
}
DISPLAY_COLUMN = {
    "incident": "number",
    "sys_user": "name",
    "sys_user_group": "name",
    "core_company": "name",
    "cmn_schedule": "name",
    "contract_sla": "name",
}
# Which table's dictionary defines a column of incident (inherited ones live on task).
DICTIONARY_TABLE = {name: "task" for name in TASK_FIELDS} | {n: "incident" for n in INCIDENT_FIELDS}

BASE_CHOICES: tuple[tuple[str, str, str, str], ...] = (
    ("incident", "state", "1", "New"),
    ("incident", "state", "2", "In Progress"),
    ("incident", "state", "3", "On Hold"),
    ("incident", "state", "6", "Resolved"),
    ("incident", "state", "7", "Closed"),
    ("incident", "state", "8", "Canceled"),
    ("task", "impact", "1", "1 - High"),
    ("task", "impact", "2", "2 - Medium"),
    ("task", "impact", "3", "3 - Low"),
    ("task", "urgency", "1", "1 - High"),
    ("task", "urgency", "2", "2 - Medium"),
    ("task", "urgency", "3", "3 - Low"),
    ("task", "priority", "1", "1 - Critical"),
    ("task", "priority", "2", "2 - High"),
    ("task", "priority", "3", "3 - Moderate"),
    ("task", "priority", "4", "4 - Low"),
    ("task", "priority", "5", "5 - Planning"),
)
# The base system's Priority Lookup Rules (impact, urgency) -> priority.
BASE_PRIORITY_LOOKUP: tuple[tuple[str, str, str], ...] = (
    ("1", "1", "1"),
    ("1", "2", "2"),
    ("1", "3", "3"),
    ("2", "1", "2"),
    ("2", "2", "3"),
    ("2", "3", "4"),
    ("3", "1", "3"),
    ("3", "2", "4"),
    ("3", "3", "5"),
)
