"""Escalation paths: levels, thresholds, triggers, and which path governs a ticket.

too-few-levels, first-level-threshold, thresholds-not-increasing, unreachable-level,
goto-out-of-range, sla-share-without-target, ambiguous-paths, trigger-cycle,
unknown-placeholder, and `unused` for paths no ticket can reach."""

from __future__ import annotations

import re
from typing import Any

from escalada.policy.check.base import Context
from escalada.policy.check.base import name_where
from escalada.policy.check.base import suggest
from escalada.policy.check.overlap import EXCLUSION_RULE
from escalada.policy.check.overlap import allowed_values
from escalada.policy.check.overlap import atoms
from escalada.policy.check.overlap import exclusive_atoms
from escalada.policy.check.overlap import scales_of
from escalada.policy.durations import format_duration
from escalada.policy.model import EscalationPath
from escalada.policy.templates import PLACEHOLDERS
from escalada.policy.templates import unknown_placeholders

_IDENTIFIER = re.compile(r"^[_a-zA-Z][_a-zA-Z0-9]*$")
_PLACEHOLDER_LIST = (
    "placeholders are " + ", ".join(f"${name}" for name in PLACEHOLDERS) + "; $$ is a literal $"
)


def check_levels(ctx: Context) -> None:
    """Level count, level 0, thresholds in order, goto targets, unreachable levels."""
    for doc in ctx.of_kind("EscalationPath"):
        path = ctx.policy.paths.get(doc.name or "")
        if path is None or path.where != doc.start:
            continue  # a duplicate: reported as such
        spec = doc.data.get("spec") or {}
        levels: list[Any] = spec.get("levels") or []
        if len(levels) < 2:
            ctx.error(
                "too-few-levels",
                doc.where_key("spec", "levels"),
                f"path {path.name!r} has {len(levels)} level(s); it needs at least two",
                "level 0 is where tickets start; add the level they escalate to",
            )
        first = levels[0] if levels and isinstance(levels[0], dict) else {}
        for key in ("after", "at"):
            if key in first:
                ctx.error(
                    "first-level-threshold",
                    doc.where_key("spec", "levels", 0, key),
                    f"path {path.name!r}: level 0 has `{key}:`, but level 0 is where "
                    "tickets start and is never escalated to",
                    "move the threshold to level 1, or insert the starting level first",
                )
        _check_thresholds(ctx, doc, path)
        _check_goto(ctx, doc, path, levels)


def _check_thresholds(ctx: Context, doc: Any, path: EscalationPath) -> None:
    last_after: tuple[int, Any] | None = None
    last_share: dict[str, tuple[int, float]] = {}
    for level in path.levels[1:]:
        i = level.index
        if level.after is not None:
            if last_after is not None and level.after <= last_after[1]:
                ctx.error(
                    "thresholds-not-increasing",
                    doc.where("spec", "levels", i, "after"),
                    f"path {path.name!r}: level {i} after {format_duration(level.after)} "
                    f"is not later than level {last_after[0]}'s after "
                    f"{format_duration(last_after[1])}",
                    "`after:` counts from when the ticket was opened, so each level's "
                    "must be longer than the one before",
                )
            last_after = (i, level.after)
        if level.at is not None:
            before = last_share.get(level.at.target)
            if before is not None and level.at.percent <= before[1]:
                ctx.error(
                    "thresholds-not-increasing",
                    doc.where("spec", "levels", i, "at"),
                    f"path {path.name!r}: level {i} at {level.at.percent:g}% "
                    f"{level.at.target} is not later than level {before[0]}'s "
                    f"{before[1]:g}% {level.at.target}",
                    "shares of the same SLA target must grow from level to level",
                )
            last_share[level.at.target] = (i, level.at.percent)


def _check_goto(ctx: Context, doc: Any, path: EscalationPath, levels: list[Any]) -> None:
    reached = {t.goto for t in path.triggers if isinstance(t.goto, int)}
    has_next = any(t.goto == "next" for t in path.triggers)
    for trigger_index, trigger in enumerate(path.triggers):
        if isinstance(trigger.goto, int) and not 1 <= trigger.goto < len(path.levels):
            ctx.error(
                "goto-out-of-range",
                doc.where("spec", "triggers", trigger_index, "goto"),
                f"trigger {trigger.name!r} goes to level {trigger.goto}, but path "
                f"{path.name!r} has levels 0 to {len(path.levels) - 1}",
                f"use {_levels(len(path.levels))}, or `goto: next`",
            )
    for i, level in enumerate(levels[1:], start=1):
        if not isinstance(level, dict) or "after" in level or "at" in level:
            continue
        if i in reached or has_next:
            continue
        ctx.warning(
            "unreachable-level",
            doc.where("spec", "levels", i),
            f"path {path.name!r}: level {i} has neither `after:` nor `at:`, and no "
            "trigger goes to it, so no ticket ever reaches it",
            f"give it a threshold (after: 4h, at: 75% resolve) or add a trigger with goto: {i}",
        )


def check_sla_shares(ctx: Context) -> None:
    """sla-share-without-target: `at: 75% resolve` where a priority has no such target."""
    matrix = ctx.policy.matrix
    if matrix is None:
        return
    targets = {t.path for p in ctx.policy.paths.values() for t in p.triggers if t.path}
    for doc in ctx.of_kind("EscalationPath"):
        path = ctx.policy.paths.get(doc.name or "")
        if path is None or path.where != doc.start:
            continue
        names = list(matrix.priorities)
        allowed = (
            None
            if path.name in targets
            else allowed_values(atoms(path.match, scales_of(ctx.policy)), "priority")
        )
        if allowed is not None:
            names = [n for n in names if n.casefold() in allowed]
        for level in path.levels:
            if level.at is None:
                continue
            lacking = [
                n
                for n in names
                if getattr(matrix.priorities[n], f"{level.at.target}_within") is None
            ]
            if lacking:
                ctx.error(
                    "sla-share-without-target",
                    doc.where("spec", "levels", level.index, "at"),
                    f"path {path.name!r} level {level.index} is at {level.at.percent:g}% "
                    f"{level.at.target}, but {', '.join(lacking)} can reach this path and "
                    f"has no {level.at.target}_within",
                    f"give those priorities a {level.at.target}_within, narrow the path's "
                    "match to priorities that have one, or use `after:`",
                )


def check_governing(ctx: Context) -> None:
    """ambiguous-paths; `unused` paths shadowed by a catch-all; trigger-cycle."""
    paths = list(ctx.policy.paths.values())
    scales = scales_of(ctx.policy)
    docs = {
        d.name: d
        for d in ctx.of_kind("EscalationPath")
        if d.name is not None and ctx.policy.paths[d.name].where == d.start
    }
    found = {path.name: atoms(path.match, scales) for path in paths}
    by_precedence: dict[int, list[EscalationPath]] = {}
    for second in paths:
        earlier = by_precedence.setdefault(second.precedence, [])
        overlapping = [
            first.name
            for first in earlier
            if not exclusive_atoms(found[first.name], found[second.name])
        ]
        earlier.append(second)
        if overlapping:
            doc = docs[second.name]
            others = f" (and {len(overlapping) - 1} more)" if len(overlapping) > 1 else ""
            ctx.error(
                "ambiguous-paths",
                doc.where_key("spec", "precedence")
                if "precedence" in doc.data["spec"]
                else doc.where_key("spec"),
                f"paths {overlapping[0]!r} (at {name_where(docs[overlapping[0]])}){others} "
                f"and {second.name!r} have precedence {second.precedence} and can match the "
                "same ticket",
                EXCLUSION_RULE,
            )
    targets = {t.path for p in paths for t in p.triggers if t.path}
    catch_alls = sorted((p for p in paths if p.match is None), key=lambda p: -p.precedence)
    for path in paths:
        shadow = catch_alls[0] if catch_alls else None
        if shadow is None or shadow.precedence <= path.precedence or path.name in targets:
            continue
        ctx.warning(
            "unused",
            name_where(docs[path.name]),
            f"EscalationPath {path.name!r} is unused: {shadow.name!r} has a higher "
            "precedence and matches every ticket, and no trigger leads here",
            "raise its precedence, give the catch-all a match, or reach it with a "
            f"trigger `path: {path.name}`",
        )
    _check_trigger_cycles(ctx, docs)


def _check_trigger_cycles(ctx: Context, docs: dict[Any, Any]) -> None:
    """A trigger is on a cycle when its target path leads back to its own path."""
    edges = {
        name: sorted(
            {t.path for t in p.triggers if t.path is not None and t.path in ctx.policy.paths}
        )
        for name, p in ctx.policy.paths.items()
    }
    component = _components(edges)
    for name, path in ctx.policy.paths.items():
        for i, trigger in enumerate(path.triggers):
            if trigger.path is None or trigger.path not in edges:
                continue
            if component[trigger.path] != component[name]:
                continue
            where = docs[name].where("spec", "triggers", i, "path")
            if trigger.path == name:
                ctx.warning(
                    "trigger-cycle",
                    where,
                    f"trigger {trigger.name!r} hands tickets on {name!r} to {name!r} itself",
                    "a path cannot escalate into itself: use `goto: next` or a level number",
                )
                continue
            ctx.warning(
                "trigger-cycle",
                where,
                f"trigger {trigger.name!r} sends tickets from {name!r} to "
                f"{trigger.path!r}, and triggers lead from there back to "
                f"{name!r}: a ticket matching both can bounce between them",
                "make the conditions exclusive, or let only one path hand tickets over",
            )


def _components(edges: dict[str, list[str]]) -> dict[str, int]:
    """Strongly connected components (Tarjan's, without recursion): node -> component."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    component: dict[str, int] = {}
    for root in edges:
        if root in index:
            continue
        work = [(root, 0)]
        while work:
            node, child = work.pop()
            if child == 0:
                index[node] = low[node] = len(index)
                stack.append(node)
                on_stack.add(node)
            successors = edges[node]
            if child < len(successors):
                work.append((node, child + 1))
                nxt = successors[child]
                if nxt not in index:
                    work.append((nxt, 0))
                elif nxt in on_stack:
                    low[node] = min(low[node], index[nxt])
                continue
            if low[node] == index[node]:
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component[member] = index[node]
                    if member == node:
                        break
            if work:
                parent = work[-1][0]
                low[parent] = min(low[parent], low[node])
    return component


def _levels(count: int) -> str:
    return "level 1" if count <= 2 else f"a level from 1 to {count - 1}"


def check_templates(ctx: Context) -> None:
    """unknown-placeholder: a `$name` in a level message or trigger reason that no
    escalation provides (it would be written to the ticket as typed)."""
    for doc in ctx.of_kind("EscalationPath"):
        spec = doc.data.get("spec") or {}
        texts = [
            (("spec", "levels", i, "message"), level.get("message"))
            for i, level in enumerate(spec.get("levels") or ())
            if isinstance(level, dict)
        ] + [
            (("spec", "triggers", i, "reason"), trigger.get("reason"))
            for i, trigger in enumerate(spec.get("triggers") or ())
            if isinstance(trigger, dict)
        ]
        for at, text in texts:
            if not isinstance(text, str):
                continue
            for name in unknown_placeholders(text):
                if not _IDENTIFIER.match(name):
                    continue  # `$5` is a price, not a placeholder
                ctx.error(
                    "unknown-placeholder",
                    doc.where(*at),
                    f"path {doc.name!r}: ${name} is not a placeholder",
                    suggest(name, list(PLACEHOLDERS), _PLACEHOLDER_LIST),
                )
