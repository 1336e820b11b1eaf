"""`escalada validate`: check policy files and print every finding in the chosen
format (the renderers in `escalada.policy.check.report.REPORTERS`)."""

from __future__ import annotations

from collections.abc import Sequence

import click


def main(
    paths: Sequence[str],
    *,
    output_format: str,
    strict: bool,
    base: str | None = "HEAD",
    base_required: bool = False,
) -> int:
    """0 when clean; 1 on errors, or on warnings too when `strict`. `base`: the git
    revision to look for renames against (None: no comparison)."""
    from escalada.policy.check.report import REPORTERS
    from escalada.policy.validate import validate_paths

    result = validate_paths(paths, base=base, base_required=base_required)
    click.echo(REPORTERS[output_format](result, strict))
    return 0 if result.ok(strict=strict) else 1
