"""Renderings of a Plan: text (Terraform-like), markdown (a pull-request comment), json."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from escalada.reconcile.plan import Change
from escalada.reconcile.plan import Plan
from escalada.reconcile.plan import plan_json

SYMBOL = {"create": "+", "update": "~", "delete": "-", "conflict": "!"}


_ABSENT = object()  # a key one side of a dict does not have


def _value(value: Any) -> str:
    if value is _ABSENT:
        return "(absent)"
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def field_lines(name: str, before: Any, after: Any) -> list[str]:
    """`name: before -> after`, descending into dicts and lists so a changed
    holiday or SLA target reads as itself, not as two long lists."""
    if isinstance(before, dict) and isinstance(after, dict):
        lines: list[str] = []
        for key in sorted(set(before) | set(after), key=str):
            old, new = before.get(key, _ABSENT), after.get(key, _ABSENT)
            if old is _ABSENT or new is _ABSENT or old != new:
                lines += field_lines(f"{name}.{key}", old, new)
        return lines
    if isinstance(before, list) and isinstance(after, list):
        removed = [item for item in before if item not in after]
        added = [item for item in after if item not in before]
        moved = [i for i, (b, a) in enumerate(zip(before, after, strict=False)) if b != a]
        if len(before) == len(after) and moved and len(moved) <= len(removed) + len(added):
            return [
                line for i in moved for line in field_lines(f"{name}[{i}]", before[i], after[i])
            ]
        if removed or added:
            return [f"{name}: - {_value(item)}" for item in removed] + [
                f"{name}: + {_value(item)}" for item in added
            ]
    return [f"{name}: {_value(before)} -> {_value(after)}"]


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
        lines += [
            f"    {line}" for d in change.diffs for line in field_lines(d.field, d.before, d.after)
        ]
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


# GitHub refuses comments over 65,536 characters; keep room for the frame.
MARKDOWN_LIMIT = 60_000


def plan_markdown(plan: Plan, *, limit: int = MARKDOWN_LIMIT) -> str:
    """A pull-request comment; a plan too long for one is cut, saying so."""
    lines = ["## escalada plan", "", _summary(plan), ""]
    budget = limit
    left_out = 0
    for desk in plan.desks:
        lines.append(f"### `{desk.desk}` ({desk.type})")
        lines.append("")
        if desk.changes or desk.problems:
            body = [line for change in desk.changes for line in _change_lines(change)]
            body += [f"! {problem}" for problem in desk.problems]
            lines.append("```diff")
            for line in body:
                budget -= len(line) + 1
                if budget < 0:
                    left_out += 1
                else:
                    lines.append(line)
            lines += ["```", ""]
        else:
            lines += ["No changes.", ""]
        lines += [f"- {note}" for note in desk.notes]
        if desk.notes:
            lines.append("")
    if left_out:
        lines += [
            f"*{left_out} line(s) left out to fit a comment: the job log, or "
            "`escalada plan` run locally, shows the whole plan.*",
            "",
        ]
    lines.append(f"<sub>plan digest `{plan.digest()}`</sub>")
    return "\n".join(lines)


RENDERERS: dict[str, Callable[[Plan], str]] = {
    "text": plan_text,
    "markdown": plan_markdown,
    "json": lambda plan: json.dumps(plan_json(plan), indent=2, ensure_ascii=False),
}
