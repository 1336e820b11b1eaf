"""The subset of ServiceNow encoded queries the fake understands.

Real ServiceNow silently drops a query term it cannot parse (or one naming an
unknown field) and runs the rest, which matches more rows than intended. The
fake refuses instead, so a connector that builds a wrong query fails its test.

Supported: `field=v`, `field!=v`, `fieldINa,b`, `fieldNOT INa,b`,
`fieldSTARTSWITHv`, `fieldISEMPTY`, `fieldISNOTEMPTY`, `field>=v`, `field<=v`,
`field>v`, `field<v` (compared as text: the Table API's `YYYY-MM-DD HH:MM:SS`
times sort in time order; r_OpAvailableFiltersQueries.md: "at or after" is `>=`),
`^` (AND), `^OR` (OR with the previous term), `ORDERBYfield`, `ORDERBYDESCfield`, dot-walked fields
(`caller_id.vip=true`)."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

_TERM = re.compile(
    r"^(?P<field>[a-z_][a-z0-9_.]*)"
    r"(?P<op>NOT IN|ISNOTEMPTY|ISEMPTY|STARTSWITH|>=|<=|!=|>|<|=|IN)"
    r"(?P<value>.*)$",
    re.DOTALL,
)
_REFUSED_PREFIXES = ("NQ", "RLQUERY", "ENDRLQUERY", "JOIN", "EQ", "GROUPBY", "SUBQUERY")


class QueryError(ValueError):
    """A query the fake does not support (real ServiceNow would drop the term silently)."""


@dataclass(frozen=True)
class Term:
    field: str
    op: str
    value: str

    def matches(self, actual: str) -> bool:
        if self.op == "=":
            return actual == self.value
        if self.op == "!=":
            return actual != self.value
        if self.op == "IN":
            return actual in self.value.split(",")
        if self.op == "NOT IN":
            return actual not in self.value.split(",")
        if self.op == "STARTSWITH":
            return actual.startswith(self.value)
        if self.op in (">=", "<=", ">", "<"):
            if not actual:
                return False
            return {
                ">=": actual >= self.value,
                "<=": actual <= self.value,
                ">": actual > self.value,
                "<": actual < self.value,
            }[self.op]
        if self.op == "ISEMPTY":
            return actual == ""
        return actual != ""  # ISNOTEMPTY


@dataclass
class EncodedQuery:
    groups: list[list[Term]] = field(default_factory=list)  # AND of ORs
    order: list[tuple[str, bool]] = field(default_factory=list)  # (field, descending)

    @property
    def fields(self) -> set[str]:
        return {t.field for g in self.groups for t in g} | {f for f, _ in self.order}

    def matches(self, value_of: Callable[[str], str]) -> bool:
        return all(any(t.matches(value_of(t.field)) for t in group) for group in self.groups)

    def sort(
        self, rows: Sequence[Mapping[str, str]], value_of: Callable[[Mapping[str, str], str], str]
    ) -> list[Mapping[str, str]]:
        ordered = list(rows)
        for name, descending in reversed(self.order):
            ordered.sort(key=lambda row: value_of(row, name), reverse=descending)
        return ordered


def parse(text: str) -> EncodedQuery:
    query = EncodedQuery()
    if not text:
        return query
    if "^^" in text:
        raise QueryError(f"escaped caret in {text!r} is not supported by the fake")
    for part in text.split("^"):
        if part.startswith("ORDERBYDESC"):
            query.order.append((_name(part[len("ORDERBYDESC") :], text), True))
        elif part.startswith("ORDERBY"):
            query.order.append((_name(part[len("ORDERBY") :], text), False))
        elif part.startswith(_REFUSED_PREFIXES):
            raise QueryError(f"{part!r} in {text!r} is not supported by the fake")
        elif part.startswith("OR"):
            if not query.groups:
                raise QueryError(f"{part!r} has no term before it in {text!r}")
            query.groups[-1].append(_term(part[2:], text))
        else:
            query.groups.append([_term(part, text)])
    return query


def _name(name: str, text: str) -> str:
    if not re.fullmatch(r"[a-z_][a-z0-9_.]*", name):
        raise QueryError(f"bad ORDERBY field {name!r} in {text!r}")
    return name


def _term(part: str, text: str) -> Term:
    match = _TERM.match(part)
    if match is None:
        raise QueryError(f"unsupported term {part!r} in {text!r}")
    term = Term(match["field"], match["op"], match["value"])
    if term.op in ("ISEMPTY", "ISNOTEMPTY") and term.value:
        raise QueryError(f"{term.op} takes no value in {part!r}")
    return term
