"""`escalada schema`: print the JSON Schema of one kind, or the combined one."""

from __future__ import annotations

import json

import click


def main(kind: str | None) -> int:
    from escalada.schemas import combined_schema
    from escalada.schemas import kind_schema

    schema = kind_schema(kind) if kind else combined_schema()
    click.echo(json.dumps(schema, indent=2, ensure_ascii=False))
    return 0
