"""The plan: what apply would change in each desk (the value types), how it is
computed from the desired and current configuration (a pure diff), and its JSON
view, which both the json rendering and the plan's digest read.

Ownership: escalada updates or deletes only objects that carry its marker
(each connector says which marker: a description suffix, a flag). An unmarked
object whose name collides with a desired one is a conflict, resolved only by
adopting it by name. Objects marked `verify_only` (teams/groups, and settings a
desk has no API for) are checked, never written."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from typing import Any
from typing import Literal

from escalada.connectors.base import ConfigObject
from escalada.connectors.base import Connector
from escalada.errors import EscaladaError
from escalada.policy.model import Desk
from escalada.policy.model import Policy

Op = Literal["create", "update", "delete", "conflict"]
WRITES = ("create", "update", "delete")


@dataclass(frozen=True, slots=True)
class FieldDiff:
    field: str
    before: Any
    after: Any


@dataclass(frozen=True, slots=True)
class Change:
    op: Op
    obj: ConfigObject  # desired (create/update/conflict) or current (delete)
    current: ConfigObject | None = None
    diffs: tuple[FieldDiff, ...] = ()
    adopt: bool = False  # an unmanaged object taken over by --adopt

    @property
    def key(self) -> str:
        return self.obj.key


@dataclass(frozen=True, slots=True)
class DeskPlan:
    desk: str
    type: str
    changes: tuple[Change, ...] = ()
    notes: tuple[str, ...] = ()  # e.g. "sla/P1: enforced by the runner"
    problems: tuple[str, ...] = ()  # e.g. a verified group that does not exist

    def count(self, op: Op) -> int:
        return sum(1 for change in self.changes if change.op == op)


@dataclass(frozen=True, slots=True)
class Plan:
    desks: tuple[DeskPlan, ...]

    @property
    def has_changes(self) -> bool:
        return any(desk.changes for desk in self.desks)

    @property
    def has_problems(self) -> bool:
        return any(desk.problems for desk in self.desks)

    def count(self, op: Op) -> int:
        return sum(desk.count(op) for desk in self.desks)

    @property
    def writes(self) -> int:
        """Changes apply would write (conflicts are never written)."""
        return sum(desk.count(op) for desk in self.desks for op in ("create", "update", "delete"))

    def unused_adoptions(self, adopt: Iterable[str]) -> list[str]:
        """The --adopt names that matched no unmanaged object of the plan."""
        taken = {
            name
            for desk in self.desks
            for change in desk.changes
            if change.adopt
            for name in (change.obj.name, change.key)
        }
        return [name for name in dict.fromkeys(adopt) if name not in taken]

    def digest(self) -> str:
        """A short fingerprint, so an apply can prove it applies the plan a review showed."""
        text = json.dumps(plan_json(self, with_digest=False), sort_keys=True)
        return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def diff_attrs(current: ConfigObject, desired: ConfigObject) -> tuple[FieldDiff, ...]:
    names = sorted(set(current.attrs) | set(desired.attrs))
    return tuple(
        FieldDiff(name, current.attrs.get(name), desired.attrs.get(name))
        for name in names
        if current.attrs.get(name) != desired.attrs.get(name)
    )


def plan_desk(
    desk: Desk,
    desired: Sequence[ConfigObject],
    current: Sequence[ConfigObject],
    *,
    adopt: Iterable[str] = (),
) -> DeskPlan:
    """Compare desired and current objects of one desk (a pure function)."""
    adopted = set(adopt)
    by_key = {obj.key: obj for obj in current}
    desired, notes = _first_of_each(desired)
    wanted = {obj.key for obj in desired}
    changes: list[Change] = []
    problems: list[str] = []
    for obj in _dependency_order(desired):
        existing = by_key.get(obj.key)
        if obj.verify_only:
            if obj.note:
                notes.append(f"{obj.key}: {obj.note}")
            elif existing is None and obj.create_missing:
                changes.append(Change("create", obj))
            elif existing is None:
                problems.append(
                    f"{obj.key}: not found on the desk (escalada verifies these, never creates "
                    "them: create it in the desk, or fix the Desk's mapping)"
                )
            continue
        if existing is None:
            changes.append(Change("create", obj))
            continue
        diffs = diff_attrs(existing, obj)
        if not existing.managed:
            if obj.name in adopted or obj.key in adopted:
                changes.append(
                    Change("update", replace(obj, id=existing.id), existing, diffs, True)
                )
            else:
                changes.append(Change("conflict", obj, existing, diffs))
            continue
        if diffs:
            changes.append(Change("update", replace(obj, id=existing.id), existing, diffs))
    notes += _uses_of_conflicts(changes)
    deletes = [
        Change("delete", obj)
        for obj in sorted(current, key=lambda obj: _DELETE_RANK.get(obj.kind, 0))
        if obj.managed and not obj.verify_only and obj.key not in wanted
    ]
    changes.extend(reversed(_dependency_order([change.obj for change in deletes], deletes)))
    return DeskPlan(desk.name, desk.type, tuple(changes), tuple(notes), tuple(problems))


# Current objects carry no dependencies, so deletes go by kind: the reverse of
# this order, i.e. SLAs before the schedules and priorities they name.
_DELETE_RANK = {"schedule": 0, "priority": 0, "field_options": 0, "lookup": 1, "sla": 2}


def _first_of_each(
    desired: Sequence[ConfigObject],
) -> tuple[list[ConfigObject], list[str]]:
    """One object per key: the first asked for wins (several policy names can map
    onto one desk value, e.g. P3 and P4 both onto Jira's `Low`)."""
    kept: dict[str, ConfigObject] = {}
    notes: list[str] = []
    for obj in desired:
        first = kept.setdefault(obj.key, obj)
        if first is not obj and first != obj and first.attrs != obj.attrs:
            notes.append(
                f"{obj.key}: several policy names map onto it; the first one's settings apply"
            )
    return list(kept.values()), list(dict.fromkeys(notes))


def _uses_of_conflicts(changes: Sequence[Change]) -> list[str]:
    """Objects escalada writes that name one it does not own."""
    conflicts = {change.key for change in changes if change.op == "conflict"}
    return [
        f"{change.key} uses {dependency}, which escalada does not manage: it stays as the desk "
        f"has it until adopted"
        for change in changes
        if change.op in WRITES
        for dependency in change.obj.depends_on
        if dependency in conflicts
    ]


def _dependency_order(
    objects: Sequence[ConfigObject], carry: Sequence[Any] | None = None
) -> list[Any]:
    """Objects (or the `carry` items paired with them) with dependencies first, stable otherwise."""
    items = list(carry) if carry is not None else list(objects)
    index = {obj.key: i for i, obj in enumerate(objects)}
    placed: list[int] = []
    state: dict[int, int] = {}

    def visit(i: int) -> None:
        if state.get(i) == 2:
            return
        if state.get(i) == 1:
            raise EscaladaError(
                f"configuration objects depend on each other in a cycle at {objects[i].key}"
            )
        state[i] = 1
        for dependency in objects[i].depends_on:
            if dependency in index:
                visit(index[dependency])
        state[i] = 2
        placed.append(i)

    for i in range(len(objects)):
        visit(i)
    return [items[i] for i in placed]


def plan(
    policy: Policy,
    connectors: Sequence[Connector],
    *,
    adopt: Iterable[str] = (),
) -> Plan:
    """The plan for every given desk; a desk that cannot be read is a plan with that
    one problem (`failed_desk`), and the others are planned."""
    adopt = tuple(adopt)
    plans = []
    for c in connectors:
        try:
            plans.append(
                plan_desk(c.desk, c.desired_config(policy), c.current_config(), adopt=adopt)
            )
        except EscaladaError as error:
            plans.append(failed_desk(c.desk, error))
    return Plan(tuple(plans))


def failed_desk(desk: Desk, error: EscaladaError) -> DeskPlan:
    """The plan of a desk that could not be connected or read: no changes, one problem."""
    return DeskPlan(desk.name, desk.type, problems=(f"cannot plan this desk: {error}",))


def plan_json(plan: Plan, *, with_digest: bool = True) -> dict[str, Any]:
    out: dict[str, Any] = {
        "changes": plan.has_changes,
        "summary": {op: plan.count(op) for op in ("create", "update", "delete", "conflict")},
        "desks": [
            {
                "desk": desk.desk,
                "type": desk.type,
                "changes": [
                    {
                        "op": change.op,
                        "kind": change.obj.kind,
                        "name": change.obj.name,
                        "adopt": change.adopt,
                        "fields": _json_fields(change),
                    }
                    for change in desk.changes
                ],
                "notes": list(desk.notes),
                "problems": list(desk.problems),
            }
            for desk in plan.desks
        ],
    }
    if with_digest:
        out["digest"] = plan.digest()
    return out


def _json_fields(change: Change) -> dict[str, dict[str, Any]]:
    if change.op == "create":
        return {k: {"from": None, "to": v} for k, v in change.obj.attrs.items()}
    if change.op == "delete":
        return {k: {"from": v, "to": None} for k, v in change.obj.attrs.items()}
    return {d.field: {"from": d.before, "to": d.after} for d in change.diffs}
