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
    from escalada.connectors.base import Shard
    from escalada.connectors.base import Wiring
    from escalada.connectors.kind import DeskKind
    from escalada.engine.readneeds import ReadNeeds
    from escalada.pacing import RateBudget
    from escalada.policy.model import Desk


def connect(
    desk: Desk,
    *,
    needs: ReadNeeds | None = None,
    wiring: Wiring | None = None,
    shard: Shard | None = None,
    **options: Any,
) -> Connector:
    """Build the connector for a Desk: `needs` says what its reads must fetch
    (`escalada.engine.readneeds.read_needs(policy)`; None: no policy known),
    `wiring` injects sleep, jitter, clock and environment (None: the real ones),
    `shard` (`--shard I/N`) takes 1/N of the desk account's rate budget; other
    options go to the connector (e.g. a page size)."""
    from escalada.connectors.base import REAL
    from escalada.connectors.registry import desk_kind
    from escalada.engine.readneeds import NO_POLICY

    kind = desk_kind(desk.type)
    module_name, _, class_name = kind.connector.partition(":")
    connector_class = getattr(importlib.import_module(module_name), class_name)
    wired = desk_wiring(desk, kind, wiring or REAL, shard)
    connector: Connector = connector_class(desk, needs=needs or NO_POLICY, wiring=wired, **options)
    return connector


def desk_wiring(desk: Desk, kind: DeskKind, wiring: Wiring, shard: Shard | None) -> Wiring:
    """The wiring with the desk account's rate budget (`desk_budget`), unless it
    has one already (tests, the bench) or the desk is embedded (no network)."""
    if wiring.budget is not None or kind.embedded:
        return wiring
    return replace(wiring, budget=desk_budget(desk, kind.rate_limit, wiring, shard))


def desk_budget(
    desk: Desk, default: str | None, wiring: Wiring, shard: Shard | None = None
) -> RateBudget:
    """The rate budget of the desk's account in this process: spec.rate_limit, else
    the desk type's documented default, else none of its own (only the desk's
    Retry-After and rate headers pace it); a shard of N takes 1/N. Connectors of
    one account (its URL) on one clock and sleep share it, across cycles."""
    from escalada.errors import EscaladaError
    from escalada.pacing import BUDGETS
    from escalada.pacing import RateError
    from escalada.pacing import parse_rate

    text = desk.rate_limit if desk.rate_limit is not None else default
    try:
        rate = parse_rate(text) if text is not None else None
    except RateError as error:
        raise EscaladaError(
            f"desk {desk.name!r}: spec.rate_limit {error}",
            where=str(desk.where) if desk.where.line else None,
        ) from None
    clock = wiring.clock
    return BUDGETS.get(
        (desk.type, (desk.url or desk.name).rstrip("/").lower()),
        rate,
        share=shard.count if shard is not None else 1,
        clock=lambda: clock().timestamp(),
        sleep=wiring.sleep,
        key=(wiring.clock, wiring.sleep),
    )
