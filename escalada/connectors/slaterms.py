"""What the reconcilers need to write a policy's SLA semantics into a desk's own
SLAs: service-level conditions as conjunctions of simple terms a desk's SLA
filter can hold, and the statuses that pause the clock.

Only two kinds of condition are translated, the ones customer contracts are
written with: the requester's organisation (`equals`, `in`) and a contract tag
(`tags contains`), combined with `all`, `not`, and `any` of organisations.
Anything else is enforced by the runner alone, and the plan says so."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from escalada.policy.model import AllOf
from escalada.policy.model import AnyOf
from escalada.policy.model import Condition
from escalada.policy.model import FieldCondition
from escalada.policy.model import NotOf
from escalada.policy.model import Policy
from escalada.policy.model import Priority
from escalada.policy.model import ServiceLevel

TermField = Literal["organization", "tag"]


@dataclass(frozen=True, slots=True)
class Term:
    """`organization` in `values` (one of them), or `tag` `values[0]` present;
    `negated`: the opposite."""

    field: TermField
    values: tuple[str, ...]
    negated: bool = False

    def negate(self) -> Term:
        return Term(self.field, self.values, not self.negated)


Conjunction = tuple[Term, ...]


def conjunction(condition: Condition) -> Conjunction | None:
    """The condition as an AND of terms, or None when it is not one."""
    if isinstance(condition, FieldCondition):
        term = _term(condition)
        return (term,) if term is not None else None
    if isinstance(condition, AllOf):
        terms: list[Term] = []
        for item in condition.items:
            part = conjunction(item)
            if part is None:
                return None
            terms.extend(part)
        return tuple(terms)
    if isinstance(condition, AnyOf):
        parts = [conjunction(item) for item in condition.items]
        if len(parts) == 1:
            return parts[0]
        # any of organisations: one organisation term
        if all(p is not None and len(p) == 1 for p in parts):
            single = [p[0] for p in parts if p is not None]
            if all(t.field == "organization" and not t.negated for t in single):
                return (Term("organization", tuple(v for t in single for v in t.values)),)
        return None
    inner = condition.item
    if isinstance(inner, NotOf):
        return conjunction(inner.item)
    if isinstance(inner, FieldCondition):
        term = _term(inner)
        return (term.negate(),) if term is not None else None
    if isinstance(inner, AnyOf):  # not (a or b) = not a and not b
        return conjunction(AllOf(tuple(NotOf(item) for item in inner.items)))
    if isinstance(inner, AllOf) and len(inner.items) == 1:
        return conjunction(NotOf(inner.items[0]))
    return None


def _term(condition: FieldCondition) -> Term | None:
    value = condition.value
    if condition.field == "requester.organization":
        if condition.op == "equals" and isinstance(value, str):
            return Term("organization", (value,))
        if condition.op == "in" and all(isinstance(v, str) for v in value):
            return Term("organization", tuple(value))
    if condition.field == "tags" and condition.op == "contains" and isinstance(value, str):
        return Term("tag", (value,))
    return None


@dataclass(frozen=True, slots=True)
class Exclusive:
    """A service level's condition with the earlier levels' excluded (ServiceNow
    attaches every SLA definition that matches; escalada's first match wins).

    `own` is the level's conjunction (None for the matrix's own targets);
    `excluded` the conjunctions of the earlier levels, each to be negated."""

    level: ServiceLevel | None
    own: Conjunction
    excluded: tuple[Conjunction, ...]


def exclusive_levels(
    levels: Sequence[ServiceLevel],
) -> tuple[list[Exclusive], list[ServiceLevel]]:
    """Each expressible service level with the earlier expressible ones excluded, the
    matrix's own targets last (excluding them all); and the levels left to the runner.

    A level that cannot be expressed is left out, and so is its exclusion: the
    desk then measures its tickets on the next level that matches, or the matrix."""
    done: list[Exclusive] = []
    skipped: list[ServiceLevel] = []
    earlier: list[Conjunction] = []
    for level in levels:
        own = conjunction(level.match)
        if own is None or not own:
            skipped.append(level)
            continue
        done.append(Exclusive(level, own, tuple(earlier)))
        earlier.append(own)
    done.append(Exclusive(None, (), tuple(earlier)))
    return done, skipped


def pausing_statuses(policy: Policy, priority: Priority | None = None) -> frozenset[str]:
    """The normalized statuses that stop a priority's SLA clock (the policy's
    `pause`, default pending and on-hold; resolved and closed always do)."""
    if priority is not None:
        return priority.pause
    return policy.pausing(None)
