"""The Desk kind: where a desk is, how to log in, and how policy names map
onto the desk's own values; `options` are checked per desk type (if/then),
generated from the desk registry (`connectors.registry`): each desk type's
options table and flags.

The shipped Desk.json is generated from the built-in desks; with third-party
desks installed, `schemas.kind_schema("Desk")` generates it in memory from
every registered desk (see `desk_spec`)."""

from __future__ import annotations

from collections.abc import Sequence

from escalada.connectors.kind import DeskKind
from escalada.connectors.registry import BUILTIN
from escalada.schemas.defs import Schema
from escalada.schemas.defs import closed
from escalada.schemas.defs import ref
from escalada.schemas.defs import string
from escalada.schemas.defs import string_map
from escalada.schemas.deskoptions import option_schema


def _is_type(kinds: Sequence[DeskKind]) -> Schema:
    if len(kinds) == 1:
        return {"const": kinds[0].type, "description": f"The desk is a {kinds[0].type} desk."}
    return {"enum": [k.type for k in kinds], "description": "The desk is one of these types."}


def _listing(kinds: Sequence[DeskKind]) -> str:
    names = [kind.listed_as or kind.type for kind in kinds]
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + ", or " + names[-1]


def desk_spec(kinds: Sequence[DeskKind]) -> tuple[Schema, dict[str, Schema]]:
    """The Desk spec schema and its own `$defs` for these desk types."""
    no_url = [kind for kind in kinds if not kind.needs_url]
    url_rule: list[Schema] = []
    if no_url:
        url_rule.append(
            {
                "if": {"properties": {"type": _is_type(no_url)}, "required": ["type"]},
                "else": {
                    "required": ["url"],
                    "description": "Every desk but "
                    + " and ".join(f"the {k.type}" for k in no_url)
                    + " needs its base URL, e.g. https://acme.zendesk.com.",
                },
            }
        )
    else:
        url_rule.append({"required": ["url"]})
    spec = closed(
        "A service desk escalada reads tickets from and reconciles configuration into.",
        {
            "type": {
                "enum": [kind.type for kind in kinds],
                "description": _listing(kinds) + ".",
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
            "rate_limit": string(
                "The account's request budget, which every runner of this desk shares "
                "(`--shard I/N` takes 1/N): requests per second, minute or hour, e.g. "
                "400/min. Default: the desk type's documented limit ("
                + "; ".join(
                    f"{kind.type} {kind.rate_limit or 'none: paced by its answers only'}"
                    for kind in kinds
                    if not kind.embedded
                )
                + "). `escalada validate` checks its form (desk-rate-limit).",
            ),
            "options": {
                "type": "object",
                "description": "Settings for this desk type: "
                + "; ".join(f"{kind.type} {{{', '.join(kind.options)}}}" for kind in kinds)
                + ".",
            },
        },
        required=["type"],
        allOf=[
            *url_rule,
            *(
                {
                    "if": {"properties": {"type": _is_type([kind])}, "required": ["type"]},
                    "then": {
                        "properties": {
                            "options": ref(
                                f"{kind.type}Options", f"Settings of a {kind.type} desk."
                            )
                        }
                    },
                }
                for kind in kinds
            ),
        ],
    )
    defs: dict[str, Schema] = {
        "valueMapping": closed(
            "A policy value list mapped onto a desk field.",
            {
                "field": string("The desk's field id, e.g. 360001111 or customfield_10004."),
                "values": string_map("Policy value -> the desk's value.", "The desk's value."),
            },
            required=["values"],
        ),
        **{
            f"{kind.type}Options": closed(
                f"Settings of a {kind.title} desk.",
                {name: option_schema(option) for name, option in kind.options.items()},
            )
            for kind in kinds
        },
    }
    return spec, defs


DESK, DESK_DEFS = desk_spec(BUILTIN)
