"""The sandbox desk's scope: its "desk-native filter", translated to SQL.

Scope grammar (the sandbox's "desk-native filter"): terms separated by spaces,
all of which must hold; an empty scope takes every ticket. A term is
`NAME:VALUE`, or `-NAME:VALUE` for its negation, with NAME one of `tag`,
`team`, `priority`, `org` (the requester's organisation) or `vip`
(`true`/`false`). Values are the desk's own (after mapping); quote a value with
spaces: `team:"Network L2"`. The filter runs in SQL, like JQL on Jira.
"""

from __future__ import annotations

import shlex
from typing import Any

from escalada.errors import EscaladaError
from escalada.policy.model import Desk

_SCOPE_TERMS = {
    "tag": "EXISTS (SELECT 1 FROM json_each(t.tags) WHERE json_each.value = ?)",
    "team": "t.team IS ?",
    "priority": "t.priority IS ?",
    "org": "t.requester_org IS ?",
    "vip": "t.vip = ?",
}
SCOPE_HINT = (
    "write space-separated terms that must all hold, e.g. `tag:outage -tag:spam "
    'team:"Network L2" priority:P1 org:Acme vip:true`; leave scope empty for every ticket'
)


def parse_scope(desk: Desk) -> tuple[list[str], list[Any]]:
    """SQL conditions and parameters for a sandbox Desk's scope."""
    clauses: list[str] = []
    params: list[Any] = []
    try:
        terms = shlex.split(desk.scope or "")
    except ValueError as error:
        raise EscaladaError(
            f"desk {desk.name!r}: scope {desk.scope!r}: {error}",
            where=_where(desk),
            hint=SCOPE_HINT,
        ) from None
    for term in terms:
        negate = term.startswith("-")
        name, sep, value = term.lstrip("-").partition(":")
        sql = _SCOPE_TERMS.get(name)
        if not sep or sql is None or not value:
            raise EscaladaError(
                f"desk {desk.name!r}: scope term {term!r} is not NAME:VALUE with NAME one of "
                f"{', '.join(_SCOPE_TERMS)}",
                where=_where(desk),
                hint=SCOPE_HINT,
            )
        if name == "vip":
            if value not in ("true", "false"):
                raise EscaladaError(
                    f"desk {desk.name!r}: scope term {term!r}: vip takes true or false",
                    where=_where(desk),
                    hint=SCOPE_HINT,
                )
            params.append(int(value == "true"))
        else:
            params.append(value)
        clauses.append(f"NOT ({sql})" if negate else sql)
    return clauses, params


def _where(desk: Desk) -> str | None:
    return str(desk.where) if desk.where.line else None
