"""Desk connectors: one package per desk type, registered in `registry`, each
connector imported only when a desk is used, so `escalada validate` never
imports jira, zenpy or pysnc."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from escalada.connectors.base import Connector
    from escalada.connectors.base import Wiring
    from escalada.engine.readneeds import ReadNeeds
    from escalada.policy.model import Desk


def connect(
    desk: Desk,
    *,
    needs: ReadNeeds | None = None,
    wiring: Wiring | None = None,
    **options: Any,
) -> Connector:
    """Build the connector for a Desk: `needs` says what its reads must fetch
    (`escalada.engine.readneeds.read_needs(policy)`; None: no policy known),
    `wiring` injects sleep, jitter, clock and environment (None: the real ones);
    other options go to the connector (e.g. a page size)."""
    from escalada.connectors.base import REAL
    from escalada.connectors.registry import desk_kind
    from escalada.engine.readneeds import NO_POLICY

    module_name, _, class_name = desk_kind(desk.type).connector.partition(":")
    connector_class = getattr(importlib.import_module(module_name), class_name)
    connector: Connector = connector_class(
        desk, needs=needs or NO_POLICY, wiring=wiring or REAL, **options
    )
    return connector
