"""`escalada apply`: show the plan, check its digest, ask, write, and say what was done."""

from __future__ import annotations

from collections.abc import Sequence

import click

from escalada.commands.plan import close_all
from escalada.commands.plan import plan_policy
from escalada.commands.plan import say_problems
from escalada.commands.plan import warn_unused_adoptions
from escalada.connectors.base import Connector
from escalada.errors import EscaladaError
from escalada.reconcile.plan import Plan


def main(
    policy_paths: Sequence[str],
    desks: Sequence[str],
    *,
    auto_approve: bool,
    adopt: Sequence[str],
    plan_digest: str | None,
) -> int:
    """Apply the plan after confirmation; 1 on a refusal, a failed write or problems."""
    the_plan, connectors = plan_policy(policy_paths, desks, adopt=adopt)
    try:
        return _apply(
            the_plan, connectors, auto_approve=auto_approve, adopt=adopt, plan_digest=plan_digest
        )
    finally:
        close_all(connectors)


def _apply(
    the_plan: Plan,
    connectors: Sequence[Connector],
    *,
    auto_approve: bool,
    adopt: Sequence[str],
    plan_digest: str | None,
) -> int:
    from escalada.reconcile.apply import apply as apply_plan
    from escalada.reconcile.render import RENDERERS

    click.echo(RENDERERS["text"](the_plan))
    warn_unused_adoptions(the_plan, adopt)
    if plan_digest and plan_digest != the_plan.digest():
        raise EscaladaError(
            f"the plan changed since it was reviewed (digest {the_plan.digest()}, expected "
            f"{plan_digest}); nothing was applied",
            hint="review the plan above, then apply it with its digest",
        )
    if not the_plan.writes:
        click.echo("Nothing to apply.")
        return _problems(the_plan)
    if not auto_approve and not click.confirm(
        f"Apply these {the_plan.writes} change(s)?", default=False
    ):
        click.echo("Nothing applied.")
        return 1
    report = apply_plan(
        the_plan, connectors, on_change=lambda desk, c: click.echo(f"{desk}: {c.op} {c.key}: done")
    )
    click.echo(f"Applied {len(report.done)} of {the_plan.writes} change(s).")
    if report.skipped_conflicts:
        click.echo(f"{report.skipped_conflicts} conflict(s) left alone (see --adopt).")
    if report.failed:
        desk, change, error = report.failed
        click.echo(f"{desk}: {change.op} {change.key} failed: {error}", err=True)
        click.echo(
            "Stopped there: the changes above it are done, the rest are not. Fix the cause "
            "and run apply again; it plans from the desk as it is now.",
            err=True,
        )
        return 1
    return _problems(the_plan)


def _problems(the_plan: Plan) -> int:
    if the_plan.has_problems:
        say_problems(the_plan)
        return 1
    return 0
