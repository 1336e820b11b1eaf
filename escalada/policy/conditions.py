"""Conditions are data: `{field: F, op: V}` combined with `all`, `any`, `not`.

A condition is compiled once per policy into a predicate over a ticket and its
effective priority (the one the engine settled on, which may differ from the
priority written on the ticket when the matrix manages it).

Semantics per operator (documented for policy authors in the engine README part):

- `equals V`: the value is V. On `tags` (a set), V is a tag list: the same tags.
- `in [..]`: the value is one of the list. On `tags` and list-valued custom
  fields: any element is in the list.
- `contains V`: `tags` and list fields hold V; strings contain V as a substring
  (case-sensitive; use `matches` with `(?i)` for case-insensitive text).
- `matches RE`: a regular-expression search (not a full match) in the text; on
  `tags`, any tag matches.
- `exists true|false`: the field has a value (not null, not empty).
- `gte V` / `lte V`: on `priority`, `impact` and `urgency`, the policy's order
  (highest first): `gte P2` is "P2 or higher". On other fields, numbers compare
  numerically; anything else never matches.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from typing import Any

from escalada.policy.fields import CONDITION_FIELDS
from escalada.policy.fields import CUSTOM_PREFIX
from escalada.policy.fields import field_is_known
from escalada.policy.model import AllOf
from escalada.policy.model import AnyOf
from escalada.policy.model import Condition
from escalada.policy.model import FieldCondition
from escalada.policy.model import NotOf
from escalada.policy.model import PriorityMatrix
from escalada.policy.regex import Regex
from escalada.policy.regex import compile_regex
from escalada.ticket import Ticket

Getter = Callable[[Ticket, "str | None"], Any]
Predicate = Callable[[Ticket, "str | None"], bool]

SCALE_FIELDS = ("priority", "impact", "urgency")

_GETTERS: dict[str, Getter] = {
    "priority": lambda t, p: p,
    "impact": lambda t, p: t.impact,
    "urgency": lambda t, p: t.urgency,
    "status": lambda t, p: t.status,
    "team": lambda t, p: t.team,
    "tags": lambda t, p: t.tags,
    "title": lambda t, p: t.title,
    "description": lambda t, p: t.description,
    "text": lambda t, p: f"{t.title}\n{t.description}",
    "requester.organization": lambda t, p: t.requester.organization,
    "requester.vip": lambda t, p: t.requester.vip,
}


def getter(name: str) -> Getter:
    """The function that reads a condition field from a ticket."""
    found = _GETTERS.get(name)
    if found is not None:
        return found
    if name.startswith(CUSTOM_PREFIX) and field_is_known(name):
        key = name[len(CUSTOM_PREFIX) :]
        return lambda t, p: t.fields.get(key)
    raise ValueError(
        f"unknown condition field {name!r}: "
        f"use one of {', '.join(CONDITION_FIELDS)} or fields.<name>"
    )


def field_value(ticket: Ticket, name: str, priority: str | None = None) -> Any:
    """The value a condition on `name` sees (for explanations)."""
    return getter(name)(ticket, priority if name == "priority" else ticket.priority)


def scales(matrix: PriorityMatrix | None) -> dict[str, dict[str, int]]:
    """Rank (0 = highest) of each value of the ordered fields, from the matrix."""
    if matrix is None:
        return {}
    return {
        "priority": {name: rank for rank, name in enumerate(matrix.priorities)},
        "impact": {name: rank for rank, name in enumerate(matrix.impact)},
        "urgency": {name: rank for rank, name in enumerate(matrix.urgency)},
    }


def _is_collection(value: Any) -> bool:
    return isinstance(value, (frozenset, set, list, tuple))


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _present(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, (str, frozenset, set, list, tuple, dict)):
        return len(value) > 0
    return True


# Fields whose value is always a string or None: their common operators get
# direct predicates (the runner evaluates every path's match on every ticket).
STRING_FIELDS = frozenset(
    {
        "priority",
        "impact",
        "urgency",
        "status",
        "team",
        "title",
        "description",
        "text",
        "requester.organization",
    }
)


def _fast(cond: FieldCondition, get: Getter) -> Predicate | None:
    """A specialised predicate with the same meaning as the general one, or None."""
    op, want, name = cond.op, cond.value, cond.field
    strings = _is_collection(want) and all(isinstance(w, str) for w in want)
    if name == "tags":
        if op == "contains" and isinstance(want, str):
            return lambda t, p: want in t.tags
        if op == "in" and strings:
            options = frozenset(want)
            return lambda t, p: not options.isdisjoint(t.tags)
        return None
    if name == "requester.vip" and op == "equals" and isinstance(want, bool):
        return lambda t, p: t.requester.vip is want
    if name not in STRING_FIELDS:
        return None
    if name == "priority":  # the effective priority is the predicate's argument
        if op == "equals" and isinstance(want, str):
            return lambda t, p: p == want
        if op == "in" and strings:
            choices = frozenset(want)
            return lambda t, p: p in choices
    if op == "equals" and isinstance(want, str):
        return lambda t, p: get(t, p) == want
    if op == "in" and strings:
        options = frozenset(want)
        return lambda t, p: get(t, p) in options
    if op == "contains" and isinstance(want, str):
        return lambda t, p: (value := get(t, p)) is not None and want in value
    if op == "matches":
        regex = cond.pattern or compile_regex(str(want))
        return _keywords(regex, get) or (
            lambda t, p: (value := get(t, p)) is not None and regex.search(value)
        )
    return None


# Words and phrases joined by `|`, the common shape of a keyword trigger
# (`(?i)gdpr|personal data|data breach`): no character in them means anything
# to the regex engine, so a search is a substring test.
_WORDS = re.compile(r"[A-Za-z0-9 _-]+(?:\|[A-Za-z0-9 _-]+)*")


def _keywords(regex: Regex, get: Getter) -> Predicate | None:
    """A substring test with the meaning of `regex.search` when the pattern is
    plain words, or None.

    Case-insensitive: on ASCII text, Python's ignore-case matching of ASCII
    words is equality of `str.lower()`; any other text goes to the regex
    (Unicode case folding has its own rules, e.g. the long s matches `s`)."""
    text = regex.pattern
    flags = regex.flags
    if text.startswith("(?i)"):
        text = text[4:]
    if flags not in (0, re.IGNORECASE) or not _WORDS.fullmatch(text):
        return None
    search = regex.search
    if flags == 0:
        exact = tuple(text.split("|"))

        def contains(t: Ticket, p: str | None) -> bool:
            value = get(t, p)
            if value is None:
                return False
            for word in exact:
                if word in value:
                    return True
            return False

        return contains
    lowered = tuple(text.lower().split("|"))

    def contains_ignoring_case(t: Ticket, p: str | None) -> bool:
        value = get(t, p)
        if value is None:
            return False
        if not value.isascii():
            return search(value)
        value = value.lower()
        for word in lowered:
            if word in value:
                return True
        return False

    return contains_ignoring_case


def _compile_field(cond: FieldCondition, ranks: Mapping[str, Mapping[str, int]]) -> Predicate:
    get = getter(cond.field)
    return _fast(cond, get) or _general(cond, get, ranks)


def _general(
    cond: FieldCondition, get: Getter, ranks: Mapping[str, Mapping[str, int]]
) -> Predicate:
    op, want = cond.op, cond.value
    if op == "equals":
        if cond.field == "tags" or _is_collection(want):
            wanted = frozenset(want) if _is_collection(want) else frozenset([want])
            return lambda t, p: _as_set(get(t, p)) == wanted
        return lambda t, p: _equal(get(t, p), want)
    if op == "in":
        options = tuple(want) if _is_collection(want) else (want,)
        hashable = frozenset(o for o in options if isinstance(o, (str, int, float, bool)))
        return lambda t, p: _any_in(get(t, p), options, hashable)
    if op == "contains":
        return lambda t, p: _contains(get(t, p), want)
    if op == "matches":
        pattern = cond.pattern or compile_regex(str(want))
        return lambda t, p: _matches(get(t, p), pattern)
    if op == "exists":
        expected = bool(want)
        return lambda t, p: _present(get(t, p)) is expected
    if op in ("gte", "lte"):
        scale = ranks.get(cond.field) if cond.field in SCALE_FIELDS else None
        higher = op == "gte"
        if scale is not None:
            limit = scale.get(str(want))
            if limit is None:
                return lambda t, p: False
            if higher:
                return lambda t, p: scale.get(get(t, p), len(scale)) <= limit
            return lambda t, p: limit <= scale.get(get(t, p), -1)
        if higher:
            return lambda t, p: _number_cmp(get(t, p), want) >= 0
        return lambda t, p: 0 >= _number_cmp(get(t, p), want) > -2
    raise ValueError(f"unknown condition operator {op!r}")


def _as_set(value: Any) -> frozenset[Any]:
    if _is_collection(value):
        return frozenset(value)
    return frozenset() if value is None else frozenset([value])


def _equal(value: Any, want: Any) -> bool:
    if isinstance(value, bool) or isinstance(want, bool):
        return isinstance(value, bool) and isinstance(want, bool) and value is want
    return bool(value == want)


def _any_in(value: Any, options: Sequence[Any], hashable: frozenset[Any]) -> bool:
    if _is_collection(value):
        return any(_any_in(item, options, hashable) for item in value)
    if isinstance(value, (str, int, float)) and not isinstance(value, bool):
        if value in hashable:
            return True
    return any(_equal(value, option) for option in options)


def _contains(value: Any, want: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str):
        return isinstance(want, str) and want in value
    if _is_collection(value):
        return want in value
    return False


def _matches(value: Any, pattern: Regex) -> bool:
    if value is None:
        return False
    if _is_collection(value):
        return any(isinstance(item, str) and pattern.search(item) for item in value)
    return pattern.search(value if isinstance(value, str) else str(value))


def _number_cmp(value: Any, want: Any) -> int:
    """-1/0/1 for numbers, -2 when either side is not a number."""
    if not (_is_number(value) and _is_number(want)):
        return -2
    return int(value > want) - int(value < want)


def compile_condition(
    condition: Condition | None, ranks: Mapping[str, Mapping[str, int]] | None = None
) -> Predicate:
    """A fast predicate for a condition; None (no condition) matches every ticket."""
    ranks = ranks or {}
    if condition is None:
        return lambda t, p: True
    if isinstance(condition, FieldCondition):
        return _compile_field(condition, ranks)
    if isinstance(condition, AllOf):
        items = tuple(compile_condition(c, ranks) for c in condition.items)
        if len(items) == 1:
            return items[0]
        if len(items) == 2:
            first, second = items
            return lambda t, p: first(t, p) and second(t, p)
        return lambda t, p: all(item(t, p) for item in items)
    if isinstance(condition, AnyOf):
        items = tuple(compile_condition(c, ranks) for c in condition.items)
        return lambda t, p: any(item(t, p) for item in items)
    if isinstance(condition, NotOf):
        inner = compile_condition(condition.item, ranks)
        return lambda t, p: not inner(t, p)
    raise TypeError(f"not a condition: {condition!r}")


def matches(
    condition: Condition | None,
    ticket: Ticket,
    priority: str | None = None,
    matrix: PriorityMatrix | None = None,
) -> bool:
    """Evaluate a condition once (the engine compiles conditions instead)."""
    return compile_condition(condition, scales(matrix))(ticket, priority or ticket.priority)


def describe(condition: Condition | None) -> str:
    """A short human rendering: `priority in [P1, P2] and tags contains outage`."""
    if condition is None:
        return "every ticket"
    if isinstance(condition, FieldCondition):
        value = condition.value
        if _is_collection(value):
            shown = "[" + ", ".join(str(v) for v in value) + "]"
        elif isinstance(value, bool):
            shown = "true" if value else "false"
        elif condition.op == "matches":
            shown = f"/{value}/"
        else:
            shown = str(value)
        return f"{condition.field} {condition.op} {shown}"
    if isinstance(condition, AllOf):
        return " and ".join(_grouped(c) for c in condition.items)
    if isinstance(condition, AnyOf):
        return " or ".join(_grouped(c) for c in condition.items)
    return f"not {_grouped(condition.item)}"


def _grouped(condition: Condition) -> str:
    text = describe(condition)
    return (
        f"({text})" if isinstance(condition, (AllOf, AnyOf)) and len(condition.items) > 1 else text
    )
