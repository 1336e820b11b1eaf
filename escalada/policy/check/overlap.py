"""Can two conditions hold for the same ticket? Decided conservatively: "no" only
when it is provable from the conditions alone, "maybe" otherwise.

A condition is reduced to a conjunction of atoms that every matching ticket
satisfies. Two conditions exclude each other when the conjunction of both has
a single-valued field whose allowed values (equals/in, minus those a `not`
rules out) are empty, or holds an atom and its negation."""

from __future__ import annotations

from collections.abc import Hashable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from escalada.policy.model import AllOf
from escalada.policy.model import AnyOf
from escalada.policy.model import Condition
from escalada.policy.model import FieldCondition
from escalada.policy.model import NotOf
from escalada.policy.model import Policy

# Fields that hold several values at once: `in` on them is not a set of
# alternatives for one value. `fields.<name>` may be a multi-select, so it counts.
MULTI_VALUED = ("tags",)
ONE_OF = "one of"  # not a condition operator, so never confused with one

EXCLUSION_RULE = (
    "paths of equal precedence must provably match different tickets: the same "
    "single-valued field (priority, impact, urgency, status, team, ...) with disjoint "
    "equals/in values, or a condition and its `not`. Give one path a higher precedence, "
    "or make the matches exclusive"
)


@dataclass(frozen=True, slots=True)
class Atom:
    """One fact every matching ticket satisfies (or, negated, never does)."""

    negated: bool
    field: str
    op: str  # ONE_OF for equals/in/gte/lte that pin a single-valued field to a set
    value: Hashable


def _single_valued(field: str) -> bool:
    return field not in MULTI_VALUED and not field.startswith("fields.")


def _freeze(value: Any) -> Hashable:
    if isinstance(value, str):
        return value.casefold()  # treat case variants as the same value: conservative
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((str(k), _freeze(v)) for k, v in value.items()))
    return value  # type: ignore[no-any-return]


Scales = Mapping[str, Sequence[str]]  # priority/impact/urgency values, highest first


def _atom(cond: FieldCondition, negated: bool, scales: Scales) -> Atom:
    plain = not isinstance(cond.value, list | tuple | dict) or cond.op == "in"
    if cond.op in ("equals", "in") and _single_valued(cond.field) and plain:
        values = cond.value if cond.op == "in" else (cond.value,)
        return Atom(negated, cond.field, ONE_OF, frozenset(_freeze(v) for v in values))
    scale = list(scales.get(cond.field, ()))
    if cond.op in ("gte", "lte") and cond.value in scale:  # gte P2: P2 or higher
        index = scale.index(cond.value)
        values = scale[: index + 1] if cond.op == "gte" else scale[index:]
        return Atom(negated, cond.field, ONE_OF, frozenset(_freeze(v) for v in values))
    if cond.op == "exists" and cond.value is False:
        return Atom(not negated, cond.field, "exists", True)
    return Atom(negated, cond.field, cond.op, _freeze(cond.value))


def atoms(cond: Condition | None, scales: Scales, negated: bool = False) -> list[Atom]:
    """Atoms every ticket matching `cond` satisfies (an empty list proves nothing)."""
    if cond is None:
        return []
    if isinstance(cond, FieldCondition):
        return [_atom(cond, negated, scales)]
    if isinstance(cond, NotOf):
        return atoms(cond.item, scales, not negated)
    if isinstance(cond, AllOf if not negated else AnyOf):
        return [atom for item in cond.items for atom in atoms(item, scales, negated)]
    # any (or not all): only a union of `in` on one field says something
    alternatives = [atoms(item, scales, negated) for item in cond.items]
    if len(alternatives) == 1:
        return alternatives[0]
    if alternatives and all(
        len(a) == 1 and a[0].op == ONE_OF and not a[0].negated for a in alternatives
    ):
        fields = {a[0].field for a in alternatives}
        if len(fields) == 1:
            union: frozenset[Hashable] = frozenset().union(*(a[0].value for a in alternatives))  # type: ignore[arg-type]
            return [Atom(False, fields.pop(), ONE_OF, union)]
    return []


def allowed_values(found: list[Atom], field: str) -> frozenset[Hashable] | None:
    """The values `field` may take under these atoms; None when unconstrained."""
    allowed: frozenset[Hashable] | None = None
    for atom in found:
        if atom.field == field and atom.op == ONE_OF and not atom.negated:
            values: frozenset[Hashable] = atom.value  # type: ignore[assignment]
            allowed = values if allowed is None else allowed & values
    if allowed is None:
        return None
    for atom in found:
        if atom.field == field and atom.op == ONE_OF and atom.negated:
            allowed = allowed - atom.value  # type: ignore[operator]
    return allowed


def exclusive(first: Condition | None, second: Condition | None, scales: Scales) -> bool:
    """True only when no ticket can match both conditions."""
    return exclusive_atoms(atoms(first, scales), atoms(second, scales))


def exclusive_atoms(first: list[Atom], second: list[Atom]) -> bool:
    """`exclusive` over atoms computed once per condition."""
    found = first + second
    for atom in found:
        if atom.op == ONE_OF and allowed_values(found, atom.field) == frozenset():
            return True
        if Atom(not atom.negated, atom.field, atom.op, atom.value) in found:
            return True
    return False


def scales_of(policy: Policy) -> dict[str, Sequence[str]]:
    """The ordered value lists `gte`/`lte` compare along."""
    if policy.matrix is None:
        return {}
    matrix = policy.matrix
    return {"priority": list(matrix.priorities), "impact": matrix.impact, "urgency": matrix.urgency}
