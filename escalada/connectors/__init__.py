"""Desk connectors, registered by desk type and imported only when a desk is used,
so `escalada validate` never imports jira, zenpy or pysnc."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from escalada.connectors.base import Connector
    from escalada.policy.model import Desk

CONNECTOR_BY_TYPE = {
    "jira": "escalada.connectors.jira.connector:JiraConnector",
    "zendesk": "escalada.connectors.zendesk.connector:ZendeskConnector",
    "servicenow": "escalada.connectors.servicenow.connector:ServiceNowConnector",
    "sandbox": "escalada.connectors.sandbox.connector:SandboxConnector",
}


def connect(desk: Desk, **options: Any) -> Connector:
    """Build the connector for a Desk (options: e.g. an injected `sleep`/`clock`)."""
    module_name, class_name = CONNECTOR_BY_TYPE[desk.type].split(":")
    connector_class = getattr(importlib.import_module(module_name), class_name)
    connector: Connector = connector_class(desk, **options)
    return connector
