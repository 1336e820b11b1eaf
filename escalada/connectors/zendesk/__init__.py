"""Zendesk Support: the connector (`connector`) and its role-named parts.

Importing this package imports no desk client library (`options` and the schema
read it without loading one; `connector` does): keep it that way, so
`escalada validate` never loads zenpy."""

from __future__ import annotations

from escalada.connectors.kind import DeskKind
from escalada.connectors.zendesk import options

DESK = DeskKind(
    type="zendesk",
    title="Zendesk",
    connector="escalada.connectors.zendesk.connector:ZendeskConnector",
    options=options.OPTIONS,
    fixed_values=options.fixed_values,
    url_problem=options.url_problem,
)
