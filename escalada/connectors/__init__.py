"""Desk connectors: one package per desk type, registered in `registry`, each
connector imported only when a desk is used, so `escalada validate` never
imports jira, zenpy or pysnc."""

from __future__ import annotations

import importlib
from dataclasses import replace
from typing import TYPE_CHECKING
from typing import Any

if TYPE_CHECKING:
    from escalada.connectors.base import Connector
    from escalada.connectors.base import Wiring
    from escalada.engine.readneeds import ReadNeeds
    from escalada.policy.model import Desk
    from escalada.policy.model import Policy

_WIRES = ("sleep", "jitter", "clock", "environ")


def connect(
    desk: Desk,
    *,
    needs: ReadNeeds | None = None,
    wiring: Wiring | None = None,
    policy: Policy | None = None,
    **options: Any,
) -> Connector:
    """Build the connector for a Desk: `needs` says what its reads must fetch
    (`escalada.engine.readneeds.read_needs(policy)`), `wiring` injects sleep,
    jitter, clock and environment; other options go to the connector (e.g. a
    page size). `policy=` and the separate `sleep`/`jitter`/`clock`/`environ`
    keywords are the older spelling of the same."""
    from escalada.connectors.base import Wiring
    from escalada.connectors.registry import desk_kind
    from escalada.engine.readneeds import read_needs

    wires = {name: options.pop(name) for name in _WIRES if options.get(name) is not None}
    wiring = replace(wiring or Wiring(), **wires)
    if needs is None:
        needs = read_needs(policy)
    module_name, _, class_name = desk_kind(desk.type).connector.partition(":")
    connector_class = getattr(importlib.import_module(module_name), class_name)
    connector: Connector = connector_class(desk, needs=needs, wiring=wiring, **options)
    return connector
