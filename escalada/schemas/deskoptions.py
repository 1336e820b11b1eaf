"""The JSON Schema of a desk option (`connectors.kind.DeskOption`).

Each desk's options live in its package (`connectors/<desk>/options.py`) and
reach the schema and the semantic check through the desk registry; nothing
here imports a connector or a desk client library."""

from __future__ import annotations

from escalada.connectors.kind import DeskOption
from escalada.connectors.kind import Schema


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
