"""Reading a desk value back to a policy name, one way for every desk.

A Desk maps policy names onto desk values (`priorities`, `teams`, `impact` and
`urgency` values). A ticket read from the desk carries the desk value; this
module finds the policy name again: an exact match first, then a
case-insensitive one (desks differ in how they echo a value's case: Jira
returns a priority's name as configured, a person types a group name). Where
several names share one desk value the first written wins; `escalada validate`
rejects priorities and teams that do not read back one way
(`policy/check/desks.py`, `ambiguous-mapping`), so for those the order never
decides."""

from __future__ import annotations

from collections.abc import Mapping


class ReadBack:
    """Desk value -> policy name for one mapping, built once per desk or ticket read."""

    __slots__ = ("_exact", "_folded")

    def __init__(self, mapping: Mapping[str, str]) -> None:
        self._exact: dict[str, tuple[int, str]] = {}
        self._folded: dict[str, tuple[int, str]] = {}
        for index, (name, desk_value) in enumerate(mapping.items()):
            value = str(desk_value)
            self._exact.setdefault(value, (index, name))
            self._folded.setdefault(value.casefold(), (index, name))

    def __call__(self, *values: object) -> str | None:
        """The policy name of the first-written entry whose desk value is one of
        `values` (a desk may name one value several ways, e.g. a priority's name
        and id); None when no entry matches. None and "" never match."""
        wanted = [str(v) for v in values if v is not None and v != ""]
        found = [self._exact[w] for w in wanted if w in self._exact]
        if not found:
            found = [self._folded[f] for w in wanted if (f := w.casefold()) in self._folded]
        return min(found)[1] if found else None


def read_back(mapping: Mapping[str, str], *values: object) -> str | None:
    """The policy name `mapping` gives one of `values` (see ReadBack)."""
    return ReadBack(mapping)(*values)
