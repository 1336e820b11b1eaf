"""`escalada plan`: load the policy, connect the chosen desks, plan, render.

`main` is the command; `plan_policy` and `warn_unused_adoptions` are shared with
`escalada apply`."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Sequence

import click

from escalada.connectors.base import Connector
from escalada.errors import EscaladaError
from escalada.reconcile.plan import DeskPlan
from escalada.reconcile.plan import Plan


def plan_policy(
    policy_paths: Sequence[str], desk_names: Sequence[str], *, adopt: Iterable[str] = ()
) -> tuple[Plan, list[Connector]]:
    """The plan for the chosen desks of the policy, and the connectors it was read with
        (apply writes through the same ones; the caller closes them, or they are closed
    here when planning fails)."""
    from escalada.connectors import connect
    from escalada.engine.readneeds import read_needs
    from escalada.policy.validate import load_policy
    from escalada.reconcile.plan import failed_desk
    from escalada.reconcile.plan import plan as make_plan
    from escalada.runner.options import select_desks

    policy = load_policy(policy_paths)
    needs = read_needs(policy)
    desks = select_desks(policy, desk_names)
    connectors: list[Connector] = []
    unreachable: dict[str, DeskPlan] = {}  # every desk is planned; a failing one says why
    try:
        for desk in desks:
            try:
                connectors.append(connect(desk, needs=needs))
            except EscaladaError as error:
                unreachable[desk.name] = failed_desk(desk, error)
        planned = {p.desk: p for p in make_plan(policy, connectors, adopt=adopt).desks}
    except BaseException:
        close_all(connectors)
        raise
    return Plan(tuple(unreachable.get(d.name) or planned[d.name] for d in desks)), connectors


def close_all(connectors: Sequence[Connector]) -> None:
    for connector in connectors:
        connector.close()


def warn_unused_adoptions(the_plan: Plan, adopt: Sequence[str]) -> None:
    for name in the_plan.unused_adoptions(adopt):
        click.echo(
            f"warning: --adopt {name}: no unmanaged object of that name collides with the "
            "policy (already adopted, or misspelt? the plan's ! lines name the conflicts)",
            err=True,
        )


def warn_renames(policy_paths: Sequence[str]) -> None:
    """What `validate` warns about a path renamed without `moved_from` since HEAD:
    the plan has no change for it, but the runner would announce its tickets again."""
    from escalada.policy.validate import default_paths
    from escalada.policy.validate import load_policy
    from escalada.policy.validate import renames_since

    paths = default_paths(policy_paths)
    for finding in renames_since("HEAD", paths, load_policy(paths)):
        where = finding.where
        click.echo(
            f"{where.file}:{where.line}:{where.column}: warning {finding.code} "
            f"{finding.message} (hint: {finding.hint})",
            err=True,
        )


def main(
    policy_paths: Sequence[str],
    desks: Sequence[str],
    *,
    output_format: str,
    detailed_exitcode: bool,
    adopt: Sequence[str],
) -> int:
    """Print the plan; 1 on problems, 2 for pending changes with `detailed_exitcode`."""
    from escalada.reconcile.render import RENDERERS

    the_plan, connectors = plan_policy(policy_paths, desks, adopt=adopt)
    close_all(connectors)
    click.echo(RENDERERS[output_format](the_plan))
    if output_format == "text" and the_plan.has_changes:
        click.echo(
            f"Plan digest: {the_plan.digest()} (apply exactly this plan with "
            f"`escalada apply --plan-digest {the_plan.digest()}`)"
        )
    warn_unused_adoptions(the_plan, adopt)
    warn_renames(policy_paths)
    if the_plan.has_problems:
        say_problems(the_plan)
        return 1
    return 2 if detailed_exitcode and the_plan.has_changes else 0


def say_problems(the_plan: Plan) -> None:
    """Why plan and apply exit 1: one line on stderr naming the desks with problems."""
    desks = [desk for desk in the_plan.desks if desk.problems]
    count = sum(len(desk.problems) for desk in desks)
    names = ", ".join(desk.desk for desk in desks)
    click.echo(
        f"error: {count} problem(s) in the plan of {names} (the `?` lines above): "
        "fix them, then plan again",
        err=True,
    )
