"""What every semantic check shares: the policy, its documents by kind and name,
the findings list, and helpers for positions and "did you mean"."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from typing import Any

from escalada.policy.check.messages import closest
from escalada.policy.load.documents import Document
from escalada.policy.load.documents import Finding
from escalada.policy.load.documents import Path
from escalada.policy.load.documents import get
from escalada.policy.model import Policy
from escalada.policy.model import Where


@dataclass
class Context:
    """One run of the checks: the policy, its documents, and the findings so far."""

    policy: Policy
    documents: Sequence[Document]
    findings: list[Finding] = field(default_factory=list)

    def of_kind(self, kind: str) -> Iterator[Document]:
        """Every named document of a kind, in the order loaded (duplicates included)."""
        return (d for d in self.documents if d.kind == kind and d.name is not None)

    def error(self, code: str, where: Where, message: str, hint: str | None = None) -> None:
        self.findings.append(Finding("error", code, where, message, hint))

    def warning(self, code: str, where: Where, message: str, hint: str | None = None) -> None:
        self.findings.append(Finding("warning", code, where, message, hint))

    def unknown(
        self,
        code: str,
        what: str,
        name: Any,
        known: Iterable[str],
        where: Where,
        context: str,
        define: str | None = None,
    ) -> None:
        """A reference that resolves to nothing: name the closest match or the choices."""
        choices = sorted(set(known))
        self.error(
            code, where, f"{context}: no {what} named {name!r}", suggest(str(name), choices, define)
        )


def suggest(name: str, choices: Sequence[str], define: str | None = None) -> str:
    """`did you mean 'x'?`, else the known names, else how to define one."""
    close = closest(name, choices)
    if close is not None:
        return f"did you mean {close!r}?"
    if choices and len(choices) <= 20:
        shown = ", ".join(choices[:8]) + (", ..." if len(choices) > 8 else "")
        return f"known: {shown}" + (f"; or {define}" if define else "")
    return define or "none is defined"


def field_conditions(data: Any, path: Path) -> Iterator[tuple[dict[str, Any], Path]]:
    """Every `{field: ..., <op>: ...}` under a condition, with its path."""
    if not isinstance(data, dict):
        return
    if "field" in data:
        yield data, path
        return
    for combinator in ("all", "any"):
        for i, item in enumerate(data.get(combinator) or ()):
            yield from field_conditions(item, (*path, combinator, i))
    if "not" in data:
        yield from field_conditions(data["not"], (*path, "not"))


def conditions(ctx: Context) -> Iterator[tuple[Document, dict[str, Any], Path]]:
    """Every field condition of every path's `match` and triggers' `if`, and of the
    matrix's service levels' `match`."""
    for doc in ctx.of_kind("PriorityMatrix"):
        for i, level in enumerate(get(doc.data, ("spec", "service_levels")) or ()):
            if isinstance(level, dict):
                match: Path = ("spec", "service_levels", i, "match")
                for cond, where in field_conditions(level.get("match"), match):
                    yield doc, cond, where
    for doc in ctx.of_kind("EscalationPath"):
        spec = doc.data.get("spec") or {}
        for cond, at in field_conditions(spec.get("match"), ("spec", "match")):
            yield doc, cond, at
        for i, trigger in enumerate(spec.get("triggers") or ()):
            if isinstance(trigger, dict):
                for cond, at in field_conditions(trigger.get("if"), ("spec", "triggers", i, "if")):
                    yield doc, cond, at


def condition_values(cond: dict[str, Any], at: Path) -> Iterator[tuple[Any, Path]]:
    """The values an `equals`/`in`/`gte`/`lte` condition names, each with its path."""
    for op in ("equals", "gte", "lte"):
        if op in cond:
            yield cond[op], (*at, op)
    if isinstance(cond.get("in"), list):
        for i, value in enumerate(cond["in"]):
            yield value, (*at, "in", i)


def owner(doc: Document) -> str:
    """How a finding names the document a condition is in: `path 'x'`, `matrix 'default'`."""
    return f"matrix {doc.name!r}" if doc.kind == "PriorityMatrix" else f"path {doc.name!r}"


def name_where(doc: Document) -> Where:
    """Where a document's metadata.name is written."""
    return doc.where("metadata", "name")
