"""What a condition may say: the ticket fields it may name and its operators.

The one list the JSON Schema (`escalada.schemas.defs`), the semantic checks and
the engine's conditions all read. It imports only the model, so `escalada
validate` stays light."""

from __future__ import annotations

from typing import get_args

from escalada.policy.model import ConditionOp

# Ticket fields a condition may name (DESIGN.md, "Conditions"), besides `fields.<name>`.
CONDITION_FIELDS: tuple[str, ...] = (
    "priority",
    "impact",
    "urgency",
    "status",
    "team",
    "tags",
    "title",
    "description",
    "text",
    "requester.organization",
    "requester.vip",
)
CUSTOM_PREFIX = "fields."  # `fields.<name>`: a desk custom field mapped by name
CONDITION_OPS: tuple[ConditionOp, ...] = get_args(ConditionOp)


def field_is_known(name: str) -> bool:
    """Whether a condition may name this field (`fields.<name>` for custom fields)."""
    return name in CONDITION_FIELDS or (
        name.startswith(CUSTOM_PREFIX) and len(name) > len(CUSTOM_PREFIX)
    )
