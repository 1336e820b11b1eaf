"""The JSON Schemas (draft 2020-12) of policy documents, one per kind, shipped
as package data. `escalada schema` prints them for editors and CI."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

from escalada.policy.model import API_VERSION
from escalada.policy.model import KINDS

Schema = dict[str, Any]
COMBINED_ID = "https://escalada.dev/schemas/v1/policy.json"


@cache
def _load(kind: str) -> str:
    return resources.files(__name__).joinpath(f"{kind}.json").read_text(encoding="utf-8")


def kind_schema(kind: str) -> Schema:
    """The schema of one kind (a fresh copy: callers may change it).

    The shipped Desk schema knows the built-in desks; with desk packages
    installed (entry-point group `escalada.desks`) the Desk schema is generated
    from the whole desk registry instead, so their types and options are
    checked like the built-ins' and `escalada schema` prints them for editors."""
    if kind not in KINDS:
        raise KeyError(kind)
    if kind == "Desk":
        from escalada.connectors.registry import desk_kinds
        from escalada.connectors.registry import installed

        if installed():
            from escalada.schemas import generate
            from escalada.schemas.deskkind import desk_spec

            return generate.kind_schema(kind, desk_spec(list(desk_kinds().values())))
    schema: Schema = json.loads(_load(kind))
    return schema


def combined_schema() -> Schema:
    """One schema for any document: picks the kind's schema by `kind` (if/then).

    Shared definitions are hoisted to the top and each kind's body becomes
    `$defs/<Kind>`, so plain `#/$defs/...` references work in every tool
    (editors, check-jsonschema) without resolving embedded `$id`s."""
    defs: dict[str, Schema] = {}
    branches = []
    for kind in KINDS:
        schema = kind_schema(kind)
        defs.update(schema.pop("$defs", {}))
        for key in ("$schema", "$id", "examples"):
            schema.pop(key, None)
        defs[kind] = schema
        branches.append(
            {
                "if": {"properties": {"kind": {"const": kind}}, "required": ["kind"]},
                "then": {"$ref": f"#/$defs/{kind}"},
            }
        )
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": COMBINED_ID,
        "title": "escalada policy document",
        "description": "Any escalada policy document; the schema is chosen by `kind`.",
        "type": "object",
        "required": ["apiVersion", "kind", "metadata"],
        "properties": {
            "apiVersion": {"const": API_VERSION, "description": f"Always `{API_VERSION}`."},
            "kind": {"enum": list(KINDS), "description": "The document's kind."},
        },
        "allOf": branches,
        "$defs": dict(sorted(defs.items())),
    }
