"""Renamed escalation paths (`spec.moved_from`), in the manner of Terraform's
`moved` blocks: a path names what it was called before, and the engine reads
tickets marked with a former name as this path's.

`check_moved_from` checks that the former names are unambiguous. Spotting a
rename without `moved_from` needs the policy before the change:
`renamed_paths(before, after)` is that comparison, and `rename_findings` the
warnings `validate` prints against its `--base` (the policy as committed)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from escalada.policy.check.base import Context
from escalada.policy.load.documents import Document
from escalada.policy.load.documents import Finding
from escalada.policy.model import NOWHERE
from escalada.policy.model import EscalationPath
from escalada.policy.model import Level
from escalada.policy.model import Policy


def check_moved_from(ctx: Context) -> None:
    """A former name is no current path's name and belongs to one path only."""
    claimed: dict[str, str] = {}
    names = {name.casefold() for name in ctx.policy.paths}
    for doc in ctx.of_kind("EscalationPath"):
        path = ctx.policy.paths.get(doc.name or "")
        if path is None or path.where != doc.start:
            continue
        for i, old in enumerate(path.moved_from):
            where = doc.where_key("spec", "moved_from", i)
            key = old.casefold()
            if key in names:
                ctx.error(
                    "moved-from-taken",
                    where,
                    f"path {path.name!r} says it was called {old!r}, but a path of that "
                    "name exists: its tickets would belong to both",
                    "remove the former name, or rename the other path",
                )
            elif key in claimed and claimed[key] != path.name:
                ctx.error(
                    "moved-from-duplicate",
                    where,
                    f"paths {claimed[key]!r} and {path.name!r} both say they were called {old!r}",
                    "keep the former name on the path that took over its tickets",
                )
            claimed.setdefault(key, path.name)


def renamed_paths(before: Policy, after: Policy) -> list[tuple[str, str]]:
    """(old, new) for each path of `before` missing from `after` while a new
    path of `after` has the same levels and does not list the old name in
    `moved_from`: a rename that would re-announce every ticket on it."""
    gone = [p for name, p in before.paths.items() if name not in after.paths]
    new = [p for name, p in after.paths.items() if name not in before.paths]
    found = []
    for old in gone:
        for path in new:
            if old.name in path.moved_from or _levels(old) != _levels(path):
                continue
            found.append((old.name, path.name))
            break
    return found


def rename_findings(
    before: Policy, after: Policy, documents: Sequence[Document], base: str
) -> list[Finding]:
    """A warning at the new name of each path renamed since `base` without
    `moved_from`."""
    names = {d.name: d for d in documents if d.kind == "EscalationPath"}
    found = []
    for old, new in renamed_paths(before, after):
        doc = names.get(new)
        where = doc.where("metadata", "name") if doc is not None else after.paths[new].where
        found.append(
            Finding(
                "warning",
                "rename-without-moved-from",
                where,
                f"path {new!r} has the levels of {old!r}, which {base} has and this policy "
                f"does not: a rename without `moved_from` announces every escalated ticket "
                f"of {old!r} again",
                f"add `moved_from: [{old}]` to the spec of path {new!r}",
            )
        )
    return found


def _levels(path: EscalationPath) -> tuple[Level, ...]:
    return tuple(replace(level, where=NOWHERE) for level in path.levels)
