"""Validation from files to findings: load -> schema -> build -> semantic checks.

`validate_paths` is `escalada validate`'s core; `load_policy` is what every
other command uses to get a Policy (and refuse an invalid one in one line)."""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from escalada.errors import EscaladaError
from escalada.errors import PolicyInvalid
from escalada.policy.build import build_policy
from escalada.policy.check.renames import rename_findings
from escalada.policy.check.schema import check_document
from escalada.policy.check.semantic import check_policy
from escalada.policy.load.documents import Document
from escalada.policy.load.documents import Finding
from escalada.policy.load.files import MAX_FILE_BYTES
from escalada.policy.load.files import load_paths
from escalada.policy.model import Policy
from escalada.revision import git_toplevel
from escalada.revision import relative_to_root
from escalada.revision import resolve_commit
from escalada.revision import unpack_at

DEFAULT_POLICY_PATH = "policy"
# Semantic findings about names: when a document is dropped for schema errors,
# these may only echo its absence ("no path named ...", "team ... is unused").
REFERENCE_CODES = frozenset(
    {
        "unknown-calendar",
        "unknown-channel",
        "unknown-path",
        "unknown-team",
        "unknown-priority",
        "unknown-value",
        "unused",
    }
)
# Findings that only say the matrix is missing, when the matrix was dropped.
MATRIX_CODES = frozenset(
    {"no-matrix", "unknown-priority", "unknown-value", "sla-share-without-target"}
)
_QUOTED = re.compile(r"'([^']+)'|`([^`]+)`")


@dataclass(frozen=True, slots=True)
class ValidationResult:
    """Everything `escalada validate` reports: what was read and what was found."""

    paths: tuple[str, ...]
    files: int
    documents: int
    findings: tuple[Finding, ...]  # sorted by file, line, column
    policy: Policy | None = None
    held_back: int = 0  # follow-on findings of documents dropped for schema errors

    @property
    def errors(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for finding in self.findings if finding.severity == "warning")

    def ok(self, *, strict: bool = False) -> bool:
        """No errors (and, when strict, no warnings either)."""
        return not self.errors and not (strict and self.warnings)


def default_paths(paths: Sequence[str]) -> tuple[str, ...]:
    """The paths given, or ./policy when none were and it exists."""
    if paths:
        return tuple(paths)
    if os.path.isdir(DEFAULT_POLICY_PATH):
        return (DEFAULT_POLICY_PATH,)
    raise EscaladaError(
        "no policy path given and ./policy does not exist",
        hint="pass the policy directory or files, e.g. `escalada validate path/to/policy`",
    )


def validate_paths(
    paths: Sequence[str],
    *,
    max_file_bytes: int = MAX_FILE_BYTES,
    base: str | None = None,
    base_required: bool = False,
) -> ValidationResult:
    """Load, schema-check, build and semantically check the policy under `paths`;
    with `base` (a git revision), also compare it with the policy as it is there
    (`rename_findings`). Without git, or without the policy at `base`, there is
    nothing to compare; `base_required` makes the first an error (a --base given)."""
    paths = default_paths(paths)
    for path in paths:
        if not os.path.exists(path):
            raise EscaladaError(f"{path}: no such file or directory", hint="check the path")
    loaded = load_paths(paths, max_file_bytes=max_file_bytes)
    findings = list(loaded.findings)
    valid: list[Document] = []
    dropped: list[Document] = []
    for document in loaded.documents:
        found = check_document(document)
        findings.extend(found)
        if any(finding.severity == "error" for finding in found):
            dropped.append(document)
        else:
            valid.append(document)
    policy, built = build_policy(valid)
    semantic = built + check_policy(policy, valid)
    shadowed = {text for document in dropped for text in _strings(document.data)}
    no_matrix = any(document.kind == "PriorityMatrix" for document in dropped)
    kept = [
        finding
        for finding in semantic
        if not _follow_on(finding, shadowed) and not (no_matrix and finding.code in MATRIX_CODES)
    ]
    findings.extend(kept)
    if base is not None:
        findings.extend(renames_since(base, paths, policy, valid, required=base_required))
    findings.sort(key=_order)
    return ValidationResult(
        paths=paths,
        files=len(loaded.files),
        documents=len(loaded.documents),
        findings=tuple(findings),
        policy=policy,
        held_back=len(semantic) - len(kept),
    )


def renames_since(
    base: str,
    paths: Sequence[str],
    policy: Policy,
    documents: Sequence[Document] = (),
    *,
    required: bool = False,
) -> list[Finding]:
    """`rename-without-moved-from` warnings for `policy` (read from `paths`) against
    the same paths at the git revision `base`; none outside git unless `required`."""
    root = git_toplevel(paths)
    commit = resolve_commit(root, base) if root is not None else None
    if root is None or commit is None:
        if not required:
            return []
        if root is None:
            raise EscaladaError(
                f"--base {base}: {paths[0]} is not in a git repository, so there is no "
                "committed policy to compare with",
                hint="leave out --base (or pass --no-base) outside git",
            )
        raise EscaladaError(
            f"--base {base}: not a revision of the git repository at {root}",
            hint="give a branch, tag or commit such as origin/main (in CI, check out with "
            "fetch-depth: 0 so the base branch is there)",
        )
    relative = relative_to_root(root, paths)
    if relative is None:
        return []
    with tempfile.TemporaryDirectory(prefix="escalada-base-") as scratch:
        if unpack_at(root, commit, relative, scratch) is not None:
            return []  # the policy is new since base
        try:
            before = validate_paths([os.path.join(scratch, rel) for rel in relative])
        except EscaladaError:
            return []
    if before.errors or before.policy is None:
        return []  # an invalid base is no reference to compare with
    return rename_findings(before.policy, policy, documents, base)


def load_policy(paths: Sequence[str] = ()) -> Policy:
    """The policy under `paths` (default ./policy); raises PolicyInvalid on any error."""
    result = validate_paths(paths)
    if result.errors or result.policy is None:
        raise PolicyInvalid(result.findings, result.paths)
    return result.policy


def _follow_on(finding: Finding, shadowed: set[str]) -> bool:
    """A name finding that mentions something a dropped document defines or names:
    it may be wrong now, and it is re-checked once the schema errors are fixed."""
    if finding.code not in REFERENCE_CODES or not shadowed:
        return False
    return any((a or b) in shadowed for a, b in _QUOTED.findall(finding.message))


def _strings(data: Any) -> Iterator[str]:
    if isinstance(data, str):
        yield data
    elif isinstance(data, dict):
        for key, value in data.items():
            yield key
            yield from _strings(value)
    elif isinstance(data, list):
        for item in data:
            yield from _strings(item)


def _order(finding: Finding) -> tuple[str, int, int, str]:
    where = finding.where
    return (where.file, where.line, where.column, finding.code)
