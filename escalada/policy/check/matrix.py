"""Names and the priority matrix: duplicate-name, no-matrix, multiple-matrices,
matrix-incomplete, matrix-unknown-value, duplicate-value, sla-inverted."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from escalada.policy.check.base import Context
from escalada.policy.check.base import name_where
from escalada.policy.check.base import suggest
from escalada.policy.durations import format_duration
from escalada.policy.load.documents import Document
from escalada.policy.load.documents import Path
from escalada.policy.load.documents import get
from escalada.policy.model import BUILTIN_CALENDAR
from escalada.policy.model import KINDS
from escalada.policy.model import Priority


def check_names(ctx: Context) -> None:
    """duplicate-name: the same kind and name twice (the first wins)."""
    for kind in KINDS:
        if kind == "PriorityMatrix":
            continue
        first: dict[str, Any] = {}
        for doc in ctx.of_kind(kind):
            assert doc.name is not None
            if kind == "Calendar" and doc.name == BUILTIN_CALENDAR:
                ctx.error(
                    "duplicate-name",
                    name_where(doc),
                    f"Calendar {doc.name!r} is built in (always open, UTC)",
                    "give your calendar another name, e.g. always-open-se",
                )
            elif doc.name in first:
                ctx.error(
                    "duplicate-name",
                    name_where(doc),
                    f"{kind} {doc.name!r} is defined twice; the first is at "
                    f"{name_where(first[doc.name])}",
                    "names are unique per kind: rename or remove one",
                )
            else:
                first[doc.name] = doc
    for doc in ctx.of_kind("PriorityMatrix"):
        _unique_within(
            ctx,
            doc,
            "service_levels",
            "two service levels are named",
            "service level names appear in reasons and desk SLAs: make them unique",
        )
    for doc in ctx.of_kind("EscalationPath"):
        _unique_within(
            ctx,
            doc,
            "triggers",
            f"path {doc.name!r} has two triggers named",
            "trigger names appear in reasons and history: make them unique",
        )


def _unique_within(ctx: Context, doc: Document, key: str, problem: str, hint: str) -> None:
    """duplicate-name for two entries of the list `spec.<key>` with the same `name`."""
    seen: dict[str, int] = {}
    for i, entry in enumerate(get(doc.data, ("spec", key)) or ()):
        name = entry.get("name") if isinstance(entry, dict) else None
        if name in seen:
            ctx.error(
                "duplicate-name",
                doc.where("spec", key, i, "name"),
                f"{problem} {name!r}; the first is at {doc.where('spec', key, seen[name], 'name')}",
                hint,
            )
        elif isinstance(name, str):
            seen[name] = i


def check_matrix_count(ctx: Context) -> None:
    """no-matrix / multiple-matrices: exactly one matrix when anything needs priorities."""
    matrices = list(ctx.of_kind("PriorityMatrix"))
    for doc in matrices[1:]:
        ctx.error(
            "multiple-matrices",
            doc.where("kind"),
            f"a second PriorityMatrix {doc.name!r}; the first is "
            f"{matrices[0].name!r} at {matrices[0].where('kind')}",
            "a policy has exactly one priority matrix: merge them into one",
        )
    if matrices:
        return
    need = _needs_priorities(ctx)
    if need is not None:
        where, why = need
        ctx.error(
            "no-matrix",
            where,
            f"{why}, but the policy has no PriorityMatrix",
            "add a PriorityMatrix document (impact, urgency, matrix, priorities)",
        )


def _needs_priorities(ctx: Context) -> tuple[Any, str] | None:
    for doc in ctx.of_kind("EscalationPath"):
        spec = doc.data.get("spec") or {}
        for i, level in enumerate(spec.get("levels") or ()):
            if not isinstance(level, dict):
                continue
            if "at" in level:
                return doc.where(
                    "spec", "levels", i, "at"
                ), f"level {i} of path {doc.name!r} is timed by an SLA share"
            if "after" in level and not spec.get("calendar"):
                return doc.where("spec", "levels", i, "after"), (
                    f"level {i} of path {doc.name!r} counts business time on the priority's "
                    "calendar (the path sets no calendar)"
                )
    for doc in ctx.of_kind("Desk"):
        for key in ("priorities", "impact", "urgency"):
            if get(doc.data, ("spec", key)):
                return doc.where_key("spec", key), f"desk {doc.name!r} maps {key}"
    return None


def check_matrix(ctx: Context) -> None:
    """The shape of each matrix: rows, cells, values and SLA targets."""
    for doc in ctx.of_kind("PriorityMatrix"):
        spec = doc.data.get("spec") or {}
        impact = [str(v) for v in spec.get("impact") or ()]
        urgency = [str(v) for v in spec.get("urgency") or ()]
        for key, values in (("impact", impact), ("urgency", urgency)):
            for i, value in enumerate(values):
                if value in values[:i]:
                    ctx.error(
                        "duplicate-value",
                        doc.where("spec", key, i),
                        f"{key} lists {value!r} twice",
                        "list each value once",
                    )
        rows = spec.get("matrix") or {}
        priorities = list((spec.get("priorities") or {}).keys())
        missing = [value for value in impact if value not in rows]
        if missing:
            ctx.error(
                "matrix-incomplete",
                doc.where_key("spec", "matrix"),
                f"the matrix has no row for impact {', '.join(map(repr, missing))}",
                f"write one row per impact value ({', '.join(impact)}), "
                f"each with one cell per urgency value ({', '.join(urgency)})",
            )
        for row, cells in rows.items():
            if str(row) not in impact:
                ctx.error(
                    "matrix-unknown-value",
                    doc.where_key("spec", "matrix", row),
                    f"matrix row {row!r} is not an impact value",
                    suggest(str(row), impact),
                )
            if not isinstance(cells, list):
                continue
            if len(cells) != len(urgency):
                ctx.error(
                    "matrix-incomplete",
                    doc.where("spec", "matrix", row),
                    f"row {row!r} has {len(cells)} cells; urgency has {len(urgency)} "
                    f"values ({', '.join(urgency)})",
                    "write one cell per urgency value, highest urgency first",
                )
            for j, cell in enumerate(cells):
                if str(cell) not in priorities:
                    ctx.error(
                        "matrix-unknown-value",
                        doc.where("spec", "matrix", row, j),
                        f"cell {cell!r} in row {row!r} names no priority",
                        suggest(str(cell), priorities, "add it under spec.priorities"),
                    )
        _check_targets(ctx, doc, spec)


def _check_targets(ctx: Context, doc: Any, spec: dict[str, Any]) -> None:
    """sla-inverted: a respond target later than the resolve target, per service level too."""
    matrix = ctx.policy.matrix
    if matrix is None or matrix.name != doc.name:
        return
    scopes: list[tuple[Path, str, Mapping[str, Priority], frozenset[str]]] = [
        (("spec", "priorities"), "", matrix.priorities, frozenset(matrix.priorities))
    ]
    for i, level in enumerate(matrix.service_levels):
        at: Path = ("spec", "service_levels", i, "priorities")
        scopes.append((at, f" under service level {level.name!r}", level.priorities, level.written))
    for at, under, priorities, written in scopes:
        for name in written:
            priority = priorities[name]
            respond, resolve = priority.respond_within, priority.resolve_within
            if respond is None or resolve is None or respond <= resolve:
                continue
            own = get(doc.data, (*at, name)) or {}
            key = "respond_within" if "respond_within" in own else "resolve_within"
            ctx.error(
                "sla-inverted",
                doc.where(*at, name, key),
                f"priority {name!r}{under} must be responded to within "
                f"{format_duration(respond)} but resolved within {format_duration(resolve)}",
                "respond_within is the first response; it cannot be later than resolve_within",
            )
