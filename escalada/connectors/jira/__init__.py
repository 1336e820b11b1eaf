"""Jira Cloud / Jira Service Management: the connector (`connector`) and its role-named parts.

Importing this package imports no desk client library (`options` and the schema
read it without loading one; `connector` does): keep it that way, so
`escalada validate` never loads jira."""

from __future__ import annotations

from escalada.connectors.jira import options
from escalada.connectors.kind import DeskKind

DESK = DeskKind(
    type="jira",
    title="Jira Service Management",
    connector="escalada.connectors.jira.connector:JiraConnector",
    options=options.OPTIONS,
    listed_as="jira (Jira Service Management)",
    option_problems=options.option_problems,
    concurrent_writes=True,  # see the connector's Concurrency notes
)
