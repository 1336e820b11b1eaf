"""The Desk kind: where a desk is, how to log in, and how policy names map
onto the desk's own values; `options` are checked per desk type (if/then),
generated from the one table of desk options (`deskoptions`)."""

from __future__ import annotations

from escalada.schemas.defs import Schema
from escalada.schemas.defs import closed
from escalada.schemas.defs import ref
from escalada.schemas.defs import string
from escalada.schemas.defs import string_map
from escalada.schemas.deskoptions import DESK_OPTIONS
from escalada.schemas.deskoptions import option_schema

_TITLES = {
    "jira": "Jira Service Management",
    "zendesk": "Zendesk",
    "servicenow": "ServiceNow",
    "sandbox": "sandbox (demo)",
}


def _is_type(kind: str) -> Schema:
    return {"const": kind, "description": f"The desk is a {kind} desk."}


DESK = closed(
    "A service desk escalada reads tickets from and reconciles configuration into.",
    {
        "type": {
            "enum": list(DESK_OPTIONS),
            "description": "jira (Jira Service Management), zendesk, servicenow, or sandbox "
            "(the embedded demo desk).",
        },
        "url": string(
            "The desk's base URL, https only, e.g. https://acme.zendesk.com.",
            pattern=r"^https://[^\s/?#]+(/\S*)?$",
            format="uri",
        ),
        "auth": {
            "type": "object",
            "description": "Credentials by name (e.g. email, token), each a secret: "
            "{env: NAME} or {file: PATH}.",
            "additionalProperties": ref("secret"),
        },
        "scope": string(
            "A desk-native filter for the tickets escalada handles (JQL, a Zendesk "
            "search such as `ticket_type:incident tags:ops`, a ServiceNow encoded query)."
        ),
        "priorities": string_map("Policy priority -> the desk's value.", "The desk's value."),
        "impact": ref("valueMapping", "Policy impact values -> the desk field and values."),
        "urgency": ref("valueMapping", "Policy urgency values -> the desk field and values."),
        "teams": string_map(
            "Policy team -> the desk's group (verified, never created).",
            "The desk's group name.",
            propertyNames=ref("name"),
        ),
        "fields": string_map(
            "Custom field name (as used in `fields.<name>`) -> the desk's field id.",
            "The desk's field id.",
        ),
        "options": {
            "type": "object",
            "description": "Settings for this desk type: "
            + "; ".join(
                f"{kind} {{{', '.join(options)}}}" for kind, options in DESK_OPTIONS.items()
            )
            + ".",
        },
    },
    required=["type"],
    allOf=[
        {
            "if": {"properties": {"type": _is_type("sandbox")}, "required": ["type"]},
            "else": {
                "required": ["url"],
                "description": "Every desk but the sandbox needs its base URL, e.g. "
                "https://acme.zendesk.com.",
            },
        },
        *(
            {
                "if": {"properties": {"type": _is_type(kind)}, "required": ["type"]},
                "then": {
                    "properties": {"options": ref(f"{kind}Options", f"Settings of a {kind} desk.")}
                },
            }
            for kind in DESK_OPTIONS
        ),
    ],
)

DESK_DEFS: dict[str, Schema] = {
    "valueMapping": closed(
        "A policy value list mapped onto a desk field.",
        {
            "field": string("The desk's field id, e.g. 360001111 or customfield_10004."),
            "values": string_map("Policy value -> the desk's value.", "The desk's value."),
        },
        required=["values"],
    ),
    **{
        f"{kind}Options": closed(
            f"Settings of a {_TITLES[kind]} desk.",
            {name: option_schema(option) for name, option in options.items()},
        )
        for kind, options in DESK_OPTIONS.items()
    },
}
