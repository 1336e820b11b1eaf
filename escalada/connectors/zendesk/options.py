"""The options of a zendesk Desk (`spec.options`): the table `escalada validate`
and the Desk schema read. The connector reads each where it is used
(`safe_update` in tickets, `time_zones` in schedules, `sla_filter` in config).
Imports no client library."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from escalada.connectors.kind import DeskOption
from escalada.connectors.kind import FixedValues
from escalada.connectors.kind import OptionProblem
from escalada.connectors.kind import Schema
from escalada.policy.model import Desk

# Zendesk's ticket priorities: fixed, not configurable (desk-apis.md §2, Tickets API).
PRIORITIES = ("urgent", "high", "normal", "low")
URL_HINT = "write it as https://SUBDOMAIN.zendesk.com: https, nothing after the host"

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


def fixed_values(desk: Desk) -> Mapping[str, FixedValues]:
    """Priorities only: impact and urgency are the account's own drop-down fields."""
    return {"priorities": FixedValues(PRIORITIES, "Zendesk's priorities are fixed")}


def url_problem(url: str) -> OptionProblem | None:
    """What makes `url` no Zendesk account URL: zenpy builds every request from
    the subdomain and domain alone, so a port, path or query would be dropped."""
    parts = urlsplit(url)
    try:
        port = parts.port
    except ValueError:
        return OptionProblem("its url's port is not a number", URL_HINT)
    if port is not None:
        return OptionProblem(
            f"its url names port {port}, which the Zendesk client drops (it always calls "
            "https://SUBDOMAIN.zendesk.com on 443)",
            URL_HINT,
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment:
        return OptionProblem("its url has something after the host, which is dropped", URL_HINT)
    if parts.scheme != "https" or len((parts.hostname or "").split(".")) < 3:
        return OptionProblem("its url is not a Zendesk account URL", URL_HINT)
    return None
