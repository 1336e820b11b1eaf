"""The options of a zendesk Desk (`spec.options`): the table `escalada validate`
and the Desk schema read. The connector reads each where it is used
(`safe_update` in tickets, `time_zones` in schedules, `sla_filter` in config).
Imports no client library."""

from __future__ import annotations

from escalada.connectors.kind import DeskOption
from escalada.connectors.kind import Schema

TIMEZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$"


def _condition_list(description: str) -> Schema:
    return {
        "type": "array",
        "description": description,
        "items": {
            "type": "object",
            "description": "A Zendesk condition, e.g. {field: type, operator: is, value: "
            "incident} or {field: current_tags, operator: includes, value: outage}.",
            "properties": {
                "field": {"type": "string", "description": "The ticket field, e.g. type."},
                "operator": {"type": "string", "description": "The operator, e.g. is, includes."},
                "value": {
                    "type": ["string", "number", "boolean"],
                    "description": "The value to compare with, e.g. incident.",
                },
            },
            "required": ["field", "operator", "value"],
            "additionalProperties": False,
        },
    }


OPTIONS: dict[str, DeskOption] = {
    "safe_update": DeskOption(
        "boolean",
        "true: Zendesk refuses a write (409) when the ticket changed since escalada read "
        "it, so a person's edit is never overwritten.",
        default=True,
    ),
    "time_zones": DeskOption(
        "object",
        "IANA time zone -> Zendesk (Rails) time-zone name, for calendars whose zone "
        "escalada's table does not name, e.g. {Europe/Stockholm: Stockholm}.",
        contents={
            "propertyNames": {
                "pattern": TIMEZONE_PATTERN,
                "description": "An IANA time zone name, e.g. Europe/Stockholm.",
            },
            "additionalProperties": {
                "type": "string",
                "minLength": 1,
                "description": "Zendesk's name for the zone, e.g. Stockholm.",
            },
        },
    ),
    "sla_filter": DeskOption(
        "object",
        "The filter of the SLA policies escalada writes, when the scope cannot be "
        "translated: {all: [{field, operator, value}], any: [...]}.",
        contents={
            "properties": {
                "all": _condition_list("Conditions that must all hold."),
                "any": _condition_list("Conditions of which one must hold."),
            },
            "additionalProperties": False,
        },
    ),
}
