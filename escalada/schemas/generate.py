"""Write the JSON Schema files from `defs` and `kinds`: `python -m escalada.schemas.generate`.

The JSON files are what ships and what validation reads; a test fails when
they differ from what this module generates."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from escalada.policy.model import API_VERSION
from escalada.policy.model import BUILTIN_CALENDAR
from escalada.policy.model import KINDS
from escalada.schemas.defs import DEFS
from escalada.schemas.defs import Schema
from escalada.schemas.defs import ref
from escalada.schemas.examples import EXAMPLES
from escalada.schemas.kinds import SPECS

DIALECT = "https://json-schema.org/draft/2020-12/schema"
BASE_ID = "https://escalada.dev/schemas/v1/"
HERE = Path(__file__).parent


def kind_schema(kind: str, spec_and_defs: tuple[Schema, dict[str, Schema]] | None = None) -> Schema:
    """The complete, standalone schema of one kind (only the `$defs` it uses);
    `spec_and_defs` replaces the kind's shipped spec (the Desk kind with
    third-party desks installed)."""
    spec, own_defs = spec_and_defs or SPECS[kind]
    metadata = ref("metadata", f"The {kind}'s name and optional notes.")
    if kind == "Calendar":
        metadata["properties"] = {
            "name": {
                "not": {"const": BUILTIN_CALENDAR},
                "description": f"The calendar's name; `{BUILTIN_CALENDAR}` is built in "
                "(always open) and cannot be redefined.",
            }
        }
    body: Schema = {
        "$schema": DIALECT,
        "$id": f"{BASE_ID}{kind}.json",
        "title": f"escalada {kind}",
        "description": f"{spec['description']} One `kind: {kind}` document of an escalada policy.",
        "type": "object",
        # `spec` may be left out when nothing in it is required (a Team with no notes).
        "required": ["apiVersion", "kind", "metadata"] + (["spec"] if "required" in spec else []),
        "additionalProperties": False,
        "properties": {
            "apiVersion": {"const": API_VERSION, "description": f"Always `{API_VERSION}`."},
            "kind": {"const": kind, "description": f"Always `{kind}` for this schema."},
            "metadata": metadata,
            "spec": spec,
        },
        "examples": [EXAMPLES[kind]],
    }
    available = {**DEFS, **own_defs}
    used: dict[str, Schema] = {}
    pending = list(_refs(body))
    while pending:
        name = pending.pop()
        if name not in used:
            used[name] = available[name]
            pending.extend(_refs(available[name]))
    body["$defs"] = {name: used[name] for name in sorted(used)}
    return body


def _refs(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        target = node.get("$ref")
        if isinstance(target, str) and target.startswith("#/$defs/"):
            yield target[len("#/$defs/") :]
        for value in node.values():
            yield from _refs(value)
    elif isinstance(node, list):
        for item in node:
            yield from _refs(item)


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"


def main() -> None:
    for kind in KINDS:
        (HERE / f"{kind}.json").write_text(render(kind_schema(kind)), encoding="utf-8")
        print(f"wrote {HERE / f'{kind}.json'}")


if __name__ == "__main__":
    main()
