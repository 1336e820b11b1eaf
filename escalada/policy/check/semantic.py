"""The semantic checks: what JSON Schema cannot see. Each finding has a stable
kebab-case code (listed in docs/policy-language.md), the position
of the offending node, and a hint.

The checks live in checks_*.py by topic; this module runs them in order."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence

from escalada.policy.check.base import Context
from escalada.policy.check.desks import check_desks
from escalada.policy.check.matrix import check_matrix
from escalada.policy.check.matrix import check_matrix_count
from escalada.policy.check.matrix import check_names
from escalada.policy.check.paths import check_governing
from escalada.policy.check.paths import check_levels
from escalada.policy.check.paths import check_sla_shares
from escalada.policy.check.paths import check_templates
from escalada.policy.check.refs import check_calendars
from escalada.policy.check.refs import check_references
from escalada.policy.check.refs import check_rotations
from escalada.policy.check.refs import check_unused
from escalada.policy.check.renames import check_moved_from
from escalada.policy.load.documents import Document
from escalada.policy.load.documents import Finding
from escalada.policy.model import Policy

CHECKS: tuple[Callable[[Context], None], ...] = (
    check_names,
    check_matrix_count,
    check_matrix,
    check_calendars,
    check_references,
    check_rotations,
    check_levels,
    check_sla_shares,
    check_templates,
    check_governing,
    check_moved_from,
    check_desks,
    check_unused,
)


def check_policy(policy: Policy, documents: Sequence[Document]) -> list[Finding]:
    """Every semantic finding for a built policy, in file and line order."""
    ctx = Context(policy, documents)
    for check in CHECKS:
        check(ctx)
    return sorted(ctx.findings, key=lambda f: (f.where.file, f.where.line, f.where.column))
