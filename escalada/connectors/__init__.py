"""Desk connectors: one package per desk type, registered in `registry`, each
connector imported only when a desk is used, so `escalada validate` never
imports jira, zenpy or pysnc."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from escalada.connectors.base import Connector
    from escalada.policy.model import Desk


def connect(desk: Desk, **options: Any) -> Connector:
    """Build the connector for a Desk (options: e.g. an injected `sleep`/`clock`)."""
    from escalada.connectors.registry import desk_kind

    module_name, _, class_name = desk_kind(desk.type).connector.partition(":")
    connector_class = getattr(importlib.import_module(module_name), class_name)
    connector: Connector = connector_class(desk, **options)
    return connector
