"""The options each desk type takes (a Desk's `spec.options`): one table.

The Desk schema's per-type `options` are generated from it (names, JSON types,
choices, defaults, descriptions) and the semantic check (`checks_desks`) reads
it, so `escalada validate` accepts exactly what the connectors accept. Tests
keep it in step with each connector's own option parser (names and defaults).
Plain data: nothing here imports a connector or a desk client library, so
`escalada validate` never loads jira, zenpy or pysnc."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

from escalada.ticket import STATUSES
from escalada.ticket import Status

Schema = dict[str, Any]
JsonType = Literal["string", "boolean", "integer", "object"]
SERVICENOW_MAX_PAGE = 10_000  # rows per Table API call (desk-apis.md §3.2)
# Base-system incident states (desk-apis.md §3.5): 6 Resolved, 7 Closed, 8 Canceled.
SERVICENOW_STATES: dict[str, Status] = {
    "1": "open",
    "2": "open",
    "3": "pending",
    "6": "resolved",
    "7": "closed",
    "8": "closed",
}
TIMEZONE_PATTERN = r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$"


@dataclass(frozen=True, slots=True)
class DeskOption:
    """One option: its JSON type, what it does, and what it takes."""

    type: JsonType
    description: str
    choices: tuple[str, ...] = ()  # one of these words (the type is then implied)
    nullable: bool = False  # null switches the option off
    default: Any = None  # None: not set unless written
    minimum: int | None = None
    maximum: int | None = None
    contents: Schema = field(default_factory=dict)  # a mapping's keys and values


def _zendesk_condition_list(description: str) -> Schema:
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


JIRA: dict[str, DeskOption] = {
    "team_mode": DeskOption(
        "string",
        "How a team is set on an issue: field (a group picker custom field, needs "
        "team_field), component (needs project) or assignee.",
        choices=("field", "component", "assignee"),
        default="field",
    ),
    "team_field": DeskOption(
        "string",
        "The group picker custom field that holds the team (team_mode field), e.g. "
        "customfield_10050.",
    ),
    "project": DeskOption(
        "string", "The project key, for the permission check and components, e.g. OPS."
    ),
    "comment_api": DeskOption(
        "string",
        "servicedesk: internal comments through the JSM API; platform: the Jira platform "
        "comment API.",
        choices=("servicedesk", "platform"),
        default="servicedesk",
    ),
    "manage_priorities": DeskOption(
        "boolean",
        "true: apply creates and updates the policy's priorities; false: they are only "
        "verified, never written.",
        default=True,
    ),
}

ZENDESK: dict[str, DeskOption] = {
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
                "all": _zendesk_condition_list("Conditions that must all hold."),
                "any": _zendesk_condition_list("Conditions of which one must hold."),
            },
            "additionalProperties": False,
        },
    ),
}

SERVICENOW: dict[str, DeskOption] = {
    "table": DeskOption("string", "The table of tickets, e.g. incident.", default="incident"),
    "marker_field": DeskOption(
        "string",
        "A field that keeps escalada's escalation marker, e.g. u_escalada (default: the "
        "work notes).",
    ),
    "page_size": DeskOption(
        "integer",
        "Rows per Table API call (1 to 10000).",
        default=SERVICENOW_MAX_PAGE,
        minimum=1,
        maximum=SERVICENOW_MAX_PAGE,
    ),
    "responded_field": DeskOption(
        "string", "The field that holds the first response time, e.g. u_responded_at."
    ),
    "states": DeskOption(
        "object",
        "The table's state value -> open, pending, resolved or closed (default: the "
        "base system's incident states).",
        default=SERVICENOW_STATES,
        contents={
            "additionalProperties": {
                "enum": list(STATUSES),
                "description": "open, pending, resolved or closed.",
            }
        },
    ),
    "tags_field": DeskOption(
        "string",
        "The field read as the ticket's tags; null: none.",
        nullable=True,
        default="sys_tags",
    ),
    "vip_field": DeskOption(
        "string",
        "The field read as the requester's VIP flag; null: none.",
        nullable=True,
        default="caller_id.vip",
    ),
    "organization_field": DeskOption(
        "string",
        "The field read as the requester's organization; null: none.",
        nullable=True,
        default="caller_id.company",
    ),
    "manage_priority_lookup": DeskOption(
        "boolean",
        "true: `escalada apply` makes the instance's Priority Lookup Rules (impact x "
        "urgency -> priority) match the matrix; false: they are left alone.",
        default=False,
    ),
    "user": DeskOption(
        "string", "The account's user name, for `escalada desks check` under OAuth."
    ),
}

SANDBOX: dict[str, DeskOption] = {
    "path": DeskOption(
        "string",
        "The SQLite file the sandbox desk keeps its tickets in.",
        default=".escalada/sandbox.sqlite",
    ),
}

DESK_OPTIONS: dict[str, dict[str, DeskOption]] = {
    "jira": JIRA,
    "zendesk": ZENDESK,
    "servicenow": SERVICENOW,
    "sandbox": SANDBOX,
}


def option_schema(option: DeskOption) -> Schema:
    """The JSON Schema of one option's value."""
    schema: Schema = {}
    if option.choices:
        schema["enum"] = [*option.choices, *([None] if option.nullable else [])]
    else:
        schema["type"] = [option.type, "null"] if option.nullable else option.type
    schema["description"] = option.description
    if option.minimum is not None:
        schema["minimum"] = option.minimum
    if option.maximum is not None:
        schema["maximum"] = option.maximum
    schema.update(option.contents)
    if option.default is not None:
        schema["default"] = option.default
    return schema
