"""ServiceNow: the connector (`connector`) and its role-named parts.

Importing this package imports no desk client library (`options` and the schema
read it without loading one; `connector` does): keep it that way, so
`escalada validate` never loads pysnc."""

from __future__ import annotations

from escalada.connectors.kind import DeskKind
from escalada.connectors.servicenow import options

DESK = DeskKind(
    type="servicenow",
    title="ServiceNow",
    connector="escalada.connectors.servicenow.connector:ServiceNowConnector",
    options=options.OPTIONS,
    fixed_values=options.fixed_values,
    concurrent_writes=True,  # see the connector's Concurrency notes
)
