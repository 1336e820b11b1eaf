"""Renderings of a Plan: text (Terraform-like), markdown (a pull-request comment), json."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from escalada.reconcile import Change
from escalada.reconcile import Plan

SYMBOL = {"create": "+", "update": "~", "delete": "-", "conflict": "!"}


def _value(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _change_lines(change: Change) -> list[str]:
    head = f"{SYMBOL[change.op]} {change.key}"
    if change.op == "conflict":
        return [
            f"{head}: an object with this name exists but escalada does not manage it; "
            f"adopt it with --adopt {change.obj.name!r}, or rename it in the desk"
        ]
    if change.adopt:
        head += "  (adopted: escalada will manage it from now on)"
    lines = [head]
    if change.op == "create":
        lines += [
            f"    {name}: {_value(value)}" for name, value in sorted(change.obj.attrs.items())
        ]
    elif change.op == "update":
        lines += [f"    {d.field}: {_value(d.before)} -> {_value(d.after)}" for d in change.diffs]
    return lines


def _summary(plan: Plan) -> str:
    if not plan.has_changes:
        return "No changes: every desk matches the policy."
    return (
        f"Plan: {plan.count('create')} to create, {plan.count('update')} to update, "
        f"{plan.count('delete')} to delete, {plan.count('conflict')} conflict(s)."
    )


def plan_text(plan: Plan) -> str:
    lines: list[str] = []
    for desk in plan.desks:
        lines.append(f"desk {desk.desk} ({desk.type})")
        if not desk.changes and not desk.problems:
            lines.append("  no changes")
        for change in desk.changes:
            lines += ["  " + line for line in _change_lines(change)]
        lines += [f"  ? {problem}" for problem in desk.problems]
        lines += [f"  # {note}" for note in desk.notes]
    lines.append(_summary(plan))
    return "\n".join(lines)


def plan_markdown(plan: Plan) -> str:
    lines = ["## escalada plan", "", _summary(plan), ""]
    for desk in plan.desks:
        lines.append(f"### `{desk.desk}` ({desk.type})")
        lines.append("")
        if desk.changes or desk.problems:
            lines.append("```diff")
            for change in desk.changes:
                lines += _change_lines(change)
            lines += [f"! {problem}" for problem in desk.problems]
            lines += ["```", ""]
        else:
            lines += ["No changes.", ""]
        lines += [f"- {note}" for note in desk.notes]
        if desk.notes:
            lines.append("")
    lines.append(f"<sub>plan digest `{plan.digest()}`</sub>")
    return "\n".join(lines)


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
                        "fields": {d.field: {"from": d.before, "to": d.after} for d in change.diffs}
                        if change.op != "create"
                        else {k: {"from": None, "to": v} for k, v in change.obj.attrs.items()},
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


RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": plan_text,
    "markdown": plan_markdown,
    "json": lambda plan: json.dumps(plan_json(plan), indent=2, ensure_ascii=False),
}
