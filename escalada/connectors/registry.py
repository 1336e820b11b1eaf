"""The one registry of desk types: the built-in desks, then those installed
packages register under the entry-point group `escalada.desks`.

Everything that depends on the desk types reads it: the Desk schema's types
and options (`schemas/deskkind.py`), the semantic checks (`policy/check/desks.py`,
through the flags), `connect()`, the demo and the test rigs. A third-party
desk is a package with a `DeskKind` and one entry point:

    [project.entry-points."escalada.desks"]
    freshservice = "escalada_freshservice:DESK"

See docs/desks/writing-a-desk.md."""

from __future__ import annotations

import logging
from functools import cache
from importlib import metadata
from types import MappingProxyType

from escalada.connectors import jira
from escalada.connectors import sandbox
from escalada.connectors import servicenow
from escalada.connectors import zendesk
from escalada.connectors.kind import DeskKind
from escalada.errors import EscaladaError

ENTRY_POINT_GROUP = "escalada.desks"
BUILTIN: tuple[DeskKind, ...] = (jira.DESK, zendesk.DESK, servicenow.DESK, sandbox.DESK)

log = logging.getLogger(__name__)


@cache
def desk_kinds() -> MappingProxyType[str, DeskKind]:
    """Every desk type by its `spec.type` word: the built-ins first, then the
    installed ones in entry-point name order (read once per process)."""
    kinds = {kind.type: kind for kind in BUILTIN}
    for entry in sorted(metadata.entry_points(group=ENTRY_POINT_GROUP), key=lambda e: e.name):
        try:
            kind = entry.load()
        except Exception as error:  # noqa: BLE001 - a broken plug-in must not stop the built-ins
            log.warning("desk plug-in %s (%s) failed to load: %s", entry.name, entry.value, error)
            continue
        if not isinstance(kind, DeskKind):
            log.warning("desk plug-in %s (%s) is not a DeskKind", entry.name, entry.value)
            continue
        if kind.type in kinds:
            log.warning("desk plug-in %s: desk type %r is taken", entry.name, kind.type)
            continue
        kinds[kind.type] = kind
    return MappingProxyType(kinds)


def installed() -> tuple[DeskKind, ...]:
    """The desk types that come from installed packages, not with escalada."""
    return tuple(kind for kind in desk_kinds().values() if kind not in BUILTIN)


def desk_kind(desk_type: str) -> DeskKind:
    """The registry entry of a desk type; an unknown type is a user error."""
    kind = desk_kinds().get(desk_type)
    if kind is None:
        raise EscaladaError(
            f"no desk type {desk_type!r}",
            hint=f"spec.type is one of: {', '.join(desk_kinds())} (a desk package registers "
            f"more under the entry-point group {ENTRY_POINT_GROUP})",
        )
    return kind
