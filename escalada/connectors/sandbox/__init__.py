"""The sandbox desk (SQLite): the connector (`connector`) and its role-named parts.

Importing this package imports no desk client library (`options` and the schema
read it without loading one; `connector` does)."""

from __future__ import annotations

from escalada.connectors.kind import DeskKind
from escalada.connectors.sandbox import options

DESK = DeskKind(
    type="sandbox",
    title="sandbox (demo)",
    connector="escalada.connectors.sandbox.connector:SandboxConnector",
    options=options.OPTIONS,
    listed_as="sandbox (the embedded demo desk)",
    needs_url=False,
    reads_unmapped_as_is=True,
    embedded=True,
)
