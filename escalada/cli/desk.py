"""Commands that work a desk: run, plan, apply, desks check, sandbox, demo."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    from escalada.connectors.base import Shard

from escalada.cli.group import cli
from escalada.cli.group import debug_enabled
from escalada.cli.options import DurationType
from escalada.cli.options import RegistryChoice
from escalada.cli.options import ShardType
from escalada.cli.options import TimeType
from escalada.cli.options import default_policy_paths
from escalada.cli.options import desk_option
from escalada.cli.options import policy_option

# --- run -------------------------------------------------------------------------


@cli.command()
@policy_option
@click.option("--once", is_flag=True, help="One cycle, then exit (the default; for cron jobs).")
@click.option(
    "--interval",
    type=DurationType(),
    default=None,
    help="Run a cycle every DURATION (e.g. 60s, 5m) until SIGTERM/SIGINT.",
)
@click.option("--dry-run", is_flag=True, help="Print the decisions; write nothing, notify no one.")
@desk_option
@click.option(
    "--shard",
    type=ShardType(),
    default=None,
    help="Take only shard I of N (stable hash of the ticket key). Default: from "
    "JOB_COMPLETION_INDEX and ESCALADA_SHARD_COUNT when both are set.",
)
@click.option(
    "--audit", type=click.Path(dir_okay=False), help="Append one JSON line per action to FILE."
)
@click.option(
    "--metrics",
    type=click.Path(dir_okay=False),
    help="Write Prometheus metrics to FILE after each cycle (node-exporter textfile).",
)
@click.option(
    "--log-format", type=click.Choice(["text", "json"]), default="text", show_default=True
)
@click.option(
    "--concurrency",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Desks processed at once.",
)
@click.pass_context
def run(
    ctx: click.Context,
    policy_paths: tuple[str, ...],
    once: bool,
    interval: float | None,
    dry_run: bool,
    desks: tuple[str, ...],
    shard: Shard | None,
    audit: str | None,
    metrics: str | None,
    log_format: str,
    concurrency: int,
) -> None:
    """Apply the escalation rules to the open tickets of each desk.

    \b
    Examples:
      escalada run --once --policy policy --audit audit.jsonl
      escalada run --interval 60s --log-format json --metrics /var/lib/node_exporter/escalada.prom
      escalada run --dry-run --desk zendesk-prod
      escalada run --once --shard 0/4

    Exit code 1 when any desk failed in the (last) cycle.
    """
    from escalada.commands import run as command

    if once and interval is not None:
        raise click.UsageError("choose one of --once and --interval")
    ctx.exit(
        command.main(
            default_policy_paths(policy_paths),
            interval=interval,
            dry_run=dry_run,
            desks=desks,
            shard=shard,
            audit=audit,
            metrics=metrics,
            log_format=log_format,
            concurrency=concurrency,
            debug=debug_enabled(ctx),
        )
    )


# --- plan / apply ----------------------------------------------------------------

_ADOPT_HELP = (
    "Take over the unmanaged desk object of this NAME (or kind/NAME, e.g. schedule/office) "
    "that collides with one the policy asks for: escalada marks it as its own and manages "
    "it from then on. Repeatable."
)


@cli.command()
@policy_option
@desk_option
@click.option(
    "--format",
    "output_format",
    type=RegistryChoice("escalada.reconcile.render", "RENDERERS"),
    default="text",
    show_default=True,
    help="text for a terminal; markdown for a pull-request comment (ends with the plan "
    "digest); json for scripts (`.digest`, `.summary`, `.desks[].changes[]`).",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when there are changes or conflicts, 0 when there are none, 1 on an "
    "error: for a scheduled drift check.",
)
@click.option("--adopt", multiple=True, metavar="NAME", help=_ADOPT_HELP)
@click.pass_context
def plan(
    ctx: click.Context,
    policy_paths: tuple[str, ...],
    desks: tuple[str, ...],
    output_format: str,
    detailed_exitcode: bool,
    adopt: tuple[str, ...],
) -> None:
    """Show what `apply` would change in each desk's native configuration.

    Reads the policy and each desk's current configuration; writes nothing.
    Lines read like Terraform's: + create, ~ update (field: before -> after),
    - delete, ! conflict (an object escalada does not own has the name),
    ? a verified object (a group) that is missing, and # what a desk cannot
    hold (the runner enforces it).

    \b
    Examples:
      escalada plan --policy policy
      escalada plan --policy policy --desk zendesk-prod --format markdown > plan.md
      escalada plan --policy policy --detailed-exitcode   # 0 in sync, 2 drift, 1 error
    """
    from escalada.commands import plan as command

    ctx.exit(
        command.main(
            default_policy_paths(policy_paths),
            desks,
            output_format=output_format,
            detailed_exitcode=detailed_exitcode,
            adopt=adopt,
        )
    )


@cli.command()
@policy_option
@desk_option
@click.option("--auto-approve", is_flag=True, help="Apply without asking for confirmation.")
@click.option("--adopt", multiple=True, metavar="NAME", help=_ADOPT_HELP)
@click.option(
    "--plan-digest",
    metavar="DIGEST",
    help="Apply only if the plan still has this digest (the one `plan` printed for the "
    "review); otherwise change nothing and exit 1.",
)
@click.pass_context
def apply(
    ctx: click.Context,
    policy_paths: tuple[str, ...],
    desks: tuple[str, ...],
    auto_approve: bool,
    adopt: tuple[str, ...],
    plan_digest: str | None,
) -> None:
    """Make each desk's configuration match the policy (only objects escalada manages).

    Shows the plan, asks for confirmation, writes in dependency order
    (schedules before the SLA policies that use them) and stops at the first
    failed write, saying what was done. Running it again converges. Conflicts
    are never written: adopt them with --adopt NAME, or rename them in the desk.

    \b
    Examples:
      escalada apply --policy policy
      escalada apply --policy policy --adopt "schedule/office"
      escalada apply --policy policy --auto-approve --plan-digest 3f2a9c0d1b7e4a65
    """
    from escalada.commands import apply as command

    ctx.exit(
        command.main(
            default_policy_paths(policy_paths),
            desks,
            auto_approve=auto_approve,
            adopt=adopt,
            plan_digest=plan_digest,
        )
    )


# --- sandbox ---------------------------------------------------------------------


_SANDBOX_DB_HELP = "The sandbox file (default: .escalada/sandbox.sqlite, as a sandbox Desk uses)."


@cli.group()
def sandbox() -> None:
    """The sandbox desk: a local SQLite file that behaves like a service desk.

    A Desk with `type: sandbox` reads and writes this file, so the runner, the
    reconciler and `escalada demo` work with no credentials and no network.

    \b
    Examples:
      escalada sandbox seed --tickets 40 --seed 7
      escalada run --once --policy examples/policy --desk sandbox
      escalada sandbox show
    """


@sandbox.command("seed")
@click.option(
    "--tickets",
    type=click.IntRange(1, 100_000),
    default=40,
    show_default=True,
    help="How many tickets to write.",
)
@click.option(
    "--seed",
    "seed_value",
    type=int,
    default=1,
    show_default=True,
    help="Random seed: the same seed and --now write the same tickets.",
)
@click.option("--db", type=click.Path(dir_okay=False), default=None, help=_SANDBOX_DB_HELP)
@click.option(
    "--now",
    type=TimeType(),
    default=None,
    help="Open the tickets relative to this time instead of the current time "
    "(e.g. 2026-11-23T10:00:00Z), for a reproducible demo.",
)
@click.pass_context
def sandbox_seed(
    ctx: click.Context, tickets: int, seed_value: int, db: str | None, now: datetime | None
) -> None:
    """Fill the sandbox with realistic tickets, replacing its tickets and notes.

    The tickets spread over the example policy's priorities (impact x urgency
    through its matrix), were opened over the preceding working days and the
    last hours, some already answered, some from VIP requesters; a few mention
    personal data, and a few ask to be escalated (tag `escalate`), with and
    without a reason in their latest comment. The file's groups (the example
    policy's teams) are added; configuration written by `escalada apply` is kept.
    """
    from escalada.commands import sandbox as command

    ctx.exit(command.seed(db, tickets=tickets, seed_value=seed_value, now=now))


@sandbox.command("show")
@click.option("--db", type=click.Path(dir_okay=False), default=None, help=_SANDBOX_DB_HELP)
@click.option("--all", "include_done", is_flag=True, help="Include resolved and closed tickets.")
@click.option(
    "--config",
    "show_config",
    is_flag=True,
    help="List the configuration objects (groups, and what `escalada apply` wrote) instead.",
)
@click.pass_context
def sandbox_show(ctx: click.Context, db: str | None, include_done: bool, show_config: bool) -> None:
    """List the sandbox's open tickets with their escalation state.

    ESCALATION reads `PATH Ln since TIME` from the ticket's marker tags, and
    NOTES counts the notes escalada wrote. Run it before and after
    `escalada run --once` to see what the runner did.
    """
    from escalada.commands import sandbox as command

    ctx.exit(command.show(db, include_done=include_done, show_config=show_config))


# --- desks check -----------------------------------------------------------------


@cli.group()
def desks() -> None:
    """The desks a policy names: check that escalada can work with them."""


@desks.command("check")
@policy_option
@desk_option
@click.pass_context
def desks_check(ctx: click.Context, policy_paths: tuple[str, ...], desks: tuple[str, ...]) -> None:
    """Connect to each desk and check credentials, permissions and every mapped name.

    Prints one line per item (desk, item, ok, WARN or FAIL, detail) and exits
    1 if any failed; a warning (escalada works, at a cost the detail names)
    does not fail. A desk that cannot be reached is one failed line, and the
    other desks are still checked. Run it after changing a Desk document,
    before the runner needs it.

    \b
    Examples:
      escalada desks check --policy policy
      escalada desks check --policy examples/policy --desk sandbox
    """
    from escalada.commands import desks as command

    ctx.exit(command.check(default_policy_paths(policy_paths), desks))


# --- demo ------------------------------------------------------------------------


@cli.command()
@click.option("--tickets", type=click.IntRange(1, 10_000), default=40, show_default=True)
@click.option("--seed", type=int, default=7, show_default=True, help="Same seed, same day.")
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    default=".escalada/demo.sqlite",
    show_default=True,
    help="The sandbox file (replaced).",
)
@click.option(
    "--policy",
    "policy_path",
    type=click.Path(exists=True),
    default=None,
    help="A policy with a sandbox Desk. Default: the bundled example policy.",
)
@click.option(
    "--step",
    type=DurationType(),
    default="30m",
    show_default=True,
    help="Simulated time between two cycles.",
)
@click.pass_context
def demo(
    ctx: click.Context,
    tickets: int,
    seed: int,
    db: str,
    policy_path: str | None,
    step: float,
) -> None:
    """Watch the runner work a simulated day on the embedded sandbox desk.

    Seeds a local SQLite desk with realistic tickets, then runs the example
    policy's escalation rules every 30 simulated minutes through a working
    Monday: tickets climb levels, each with the reason written on the ticket.
    No credentials, no network. Afterwards, inspect the tickets with
    `escalada sandbox show --db .escalada/demo.sqlite`.
    """
    from datetime import timedelta

    from escalada.commands import demo as command

    ctx.exit(
        command.main(
            db=db, policy_path=policy_path, tickets=tickets, seed=seed, step=timedelta(seconds=step)
        )
    )
