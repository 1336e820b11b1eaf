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
    # The account limit is the plan's (requests a minute, Support and Help Center APIs):
    # Team 200, Growth and Professional 400, Enterprise 700, Enterprise Plus and the High
    # Volume add-on 2500 (developer.zendesk.com/api-reference/introduction/rate-limits;
    # desk-apis.md 2.10). 400/min unless the Desk says its plan's; a lower X-Rate-Limit
    # in the answers lowers it at once.
    rate_limit="400/min",
    concurrent_writes=True,  # see the connector's Concurrency notes
)
