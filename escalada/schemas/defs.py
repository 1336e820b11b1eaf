"""Shared schema definitions (`$defs`) used by several kinds.

A definition's `title` names it for `escalada.policy.check.schema`, which turns
errors under a titled definition into a specific finding (e.g. `Duration` ->
`bad-duration`, `Secret` -> `literal-secret`); its `description` is written to
be read as the fix, since it becomes the finding's hint."""

from __future__ import annotations

from typing import Any

from escalada.policy.durations import DURATION_PATTERN
from escalada.policy.fields import CONDITION_FIELDS

Schema = dict[str, Any]

PYTHON_REGEX = "python-regex"
NAME_PATTERN = r"^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$"
SLA_SHARE_PATTERN = r"^\d{1,3}(\.\d+)?% (respond|resolve)$"
DAY = "(mon|tue|wed|thu|fri|sat|sun)"
DAY_SPEC_PATTERN = rf"^(daily|{DAY}(-{DAY})?(, ?{DAY}(-{DAY})?)*)$"
TIME = r"([01]\d|2[0-3]):[0-5]\d"
TIME_RANGE_PATTERN = rf"^{TIME}-({TIME}|24:00)$"
DATE_PATTERN = r"^\d{4}-\d{2}-\d{2}$"
CLOSED_DAY_PATTERN = r"^(\d{4}-)?\d{2}-\d{2}$"  # a date, or MM-DD for every year
DATE_TIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$"
CONDITION_FIELD_PATTERN = (
    "^("
    + "|".join(field.replace(".", r"\.") for field in CONDITION_FIELDS)
    + r"|fields\.[A-Za-z0-9_][A-Za-z0-9_.-]*)$"
)
COMBINATORS = ("all", "any", "not")


def ref(name: str, description: str | None = None) -> Schema:
    schema: Schema = {"$ref": f"#/$defs/{name}"}
    if description:
        schema["description"] = description
    return schema


def nullable(name: str, description: str) -> Schema:
    return {"description": description, "anyOf": [ref(name), {"type": "null"}]}


def string(description: str, **extra: Any) -> Schema:
    return {"type": "string", "description": description, **extra}


def names(description: str) -> Schema:
    return {"type": "array", "description": description, "items": ref("name"), "uniqueItems": True}


def string_map(description: str, value: str, **extra: Any) -> Schema:
    return {
        "type": "object",
        "description": description,
        "additionalProperties": {"type": "string", "minLength": 1, "description": value},
        **extra,
    }


def closed(description: str, properties: dict[str, Schema], **extra: object) -> Schema:
    """An object with exactly these properties (typos are errors)."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": False,
        **extra,
    }


DEFS: dict[str, Schema] = {
    "name": {
        "title": "Name",
        "type": "string",
        "pattern": NAME_PATTERN,
        "description": "A name: lower-case letters, digits and dashes, starting and ending "
        "with a letter or digit, at most 63 characters (e.g. `service-desk`).",
        "examples": ["service-desk", "network-l2", "office"],
    },
    "metadata": {
        "title": "Metadata",
        "type": "object",
        "description": "The document's name (unique per kind) and optional notes.",
        "required": ["name"],
        "additionalProperties": False,
        "properties": {
            "name": ref("name", "The document's name, unique among documents of its kind."),
            "description": string("What this document is for, for the people who maintain it."),
            "labels": string_map(
                "Free-form labels for grouping and search; escalada does not interpret them.",
                "A label value.",
            ),
        },
    },
    "duration": {
        "title": "Duration",
        "type": "string",
        "pattern": DURATION_PATTERN,
        "description": "A duration: whole numbers with units, largest first: 30s, 15m, "
        "1h30m, 2d, 1w (a day is 24 hours of the calendar that measures it).",
        "examples": ["15m", "1h30m", "2d"],
    },
    "secret": {
        "title": "Secret",
        "type": "object",
        "description": "A secret read when it is used: `{env: NAME}` (an environment "
        "variable) or `{file: PATH}` (a file's content); never the secret itself.",
        "properties": {
            "env": string(
                "The environment variable that holds the secret.",
                pattern=r"^[A-Za-z_][A-Za-z0-9_]*$",
                examples=["SLACK_SD_LEADS_WEBHOOK"],
            ),
            "file": string(
                "A file whose content (trailing newline removed) is the secret.",
                minLength=1,
                examples=["/run/secrets/zendesk-token"],
            ),
        },
        "additionalProperties": False,
        "minProperties": 1,
        "maxProperties": 1,
        "examples": [{"env": "ZENDESK_API_TOKEN"}, {"file": "/run/secrets/zendesk-token"}],
    },
    "date": {
        "title": "Date",
        "type": "string",
        "format": "date",
        "pattern": DATE_PATTERN,
        "description": "A date: YYYY-MM-DD.",
        "examples": ["2026-12-24"],
    },
    "dateTime": {
        "title": "DateTime",
        "type": "string",
        "format": "date-time",
        "pattern": DATE_TIME_PATTERN,
        "description": "An instant with its UTC offset (RFC 3339): 2026-11-23T10:00:00Z "
        "or 2026-11-23T11:00:00+01:00.",
        "examples": ["2026-11-23T10:00:00Z"],
    },
    "condition": {
        "title": "Condition",
        "type": "object",
        "description": "A test on a ticket: `{field: F, OP: V}` with exactly one operator "
        "(equals, in, contains, matches, exists, gte, lte), or `{all: [...]}`, "
        "`{any: [...]}`, `{not: {...}}`.",
        "properties": {
            "field": ref("conditionField", "The ticket field to test."),
            "equals": {"description": "True when the field equals this value."},
            "in": {
                "type": "array",
                "minItems": 1,
                "description": "True when the field equals one of these values.",
            },
            "contains": {
                "description": "True when the field (a list such as tags, or text) "
                "contains this value."
            },
            "matches": string(
                "True when the field matches this regular expression (RE2 syntax, "
                "matched in linear time: no backreferences or lookaround; "
                "`(?i)` ignores case).",
                # Not `regex` (ECMA-262, which has no `(?i)`): a format of our own,
                # checked by escalada and ignored by other tools.
                format=PYTHON_REGEX,
            ),
            "exists": {
                "type": "boolean",
                "description": "true: the field has a value; false: it is empty or missing.",
            },
            "gte": {
                "type": ["number", "string"],
                "description": "True when the field is greater than or equal to this value.",
            },
            "lte": {
                "type": ["number", "string"],
                "description": "True when the field is less than or equal to this value.",
            },
            "all": {
                "type": "array",
                "minItems": 1,
                "items": ref("condition"),
                "description": "True when every condition in the list is true.",
            },
            "any": {
                "type": "array",
                "minItems": 1,
                "items": ref("condition"),
                "description": "True when at least one condition in the list is true.",
            },
            "not": ref("condition", "True when this condition is false."),
        },
        "additionalProperties": False,
        "oneOf": [
            {
                "required": ["field"],
                "minProperties": 2,
                "maxProperties": 2,
                "not": {"anyOf": [{"required": [c]} for c in COMBINATORS]},
            },
            *({"required": [c], "maxProperties": 1} for c in COMBINATORS),
        ],
        "examples": [
            {"field": "priority", "in": ["P1", "P2"]},
            {
                "all": [
                    {"field": "tags", "contains": "outage"},
                    {"not": {"field": "team", "equals": "noc"}},
                ]
            },
        ],
    },
    "conditionField": {
        "title": "ConditionField",
        "type": "string",
        "pattern": CONDITION_FIELD_PATTERN,
        "description": "One of: " + ", ".join(CONDITION_FIELDS) + ", or `fields.<name>` "
        "(a desk custom field mapped by name in the Desk's `fields`).",
        "examples": [*CONDITION_FIELDS, "fields.region"],
    },
}
