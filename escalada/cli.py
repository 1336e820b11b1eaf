"""The `escalada` command line. Each command parses its options, calls one core
function (imported inside the command, so `--help` and `validate` stay fast and
never import a desk client library), prints, and returns an exit code.

Exit codes: 0 success; 1 what the command checks failed; 2 usage error (and
`plan --detailed-exitcode`: changes pending); 3 internal error (a bug)."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING
from typing import Any
from typing import ClassVar
from typing import TypeVar
from typing import cast

import click

from escalada import __version__
from escalada.errors import EscaladaError

if TYPE_CHECKING:
    from escalada.connectors.base import Shard

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

INTERNAL_ERROR = 3


class Context:
    """The object the group puts on the click context."""

    def __init__(self, debug: bool) -> None:
        self.debug = debug


class EscaladaGroup(click.Group):
    """Turns every failure into one line: a user error exits 1, a bug exits 3.

    Done in the group (not only in `main`) so click's test runner sees exactly
    what a user sees."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.exceptions.Exit, click.ClickException, click.exceptions.Abort):
            raise
        except BrokenPipeError:
            # the reader of our output left (`escalada demo | head -2`): not an
            # error of ours. Point stdout at /dev/null so the final flush stays quiet.
            _quiet_stdout()
            ctx.exit(0)
        except EscaladaError as error:
            if _debug(ctx):
                raise
            click.echo(f"error: {error}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted.", err=True)
            ctx.exit(130)
        except Exception as error:  # noqa: BLE001 - the one place a bug becomes one line
            if _debug(ctx):
                raise
            click.echo(
                f"internal error: {type(error).__name__}: {error} (run with --debug)", err=True
            )
            ctx.exit(INTERNAL_ERROR)


def _debug(ctx: click.Context) -> bool:
    return isinstance(ctx.obj, Context) and ctx.obj.debug


@click.group(cls=EscaladaGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="escalada")
@click.option("--debug", is_flag=True, help="Show tracebacks and debug logs.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """Escalation policy as code for Jira Service Management, Zendesk and ServiceNow.

    Policies are YAML in git (default directory: ./policy). Validate them in CI,
    test them, reconcile them into each desk, and run the escalation runner on a
    schedule.
    """
    ctx.obj = Context(debug=debug)
    if debug:
        import logging

        logging.basicConfig(level=logging.DEBUG, format="%(levelname)s %(name)s: %(message)s")


def main() -> None:
    """Console-script entry point."""
    cli(prog_name="escalada")


def _quiet_stdout() -> None:
    import os
    import sys

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):  # no real stdout (click's test runner)
        pass


# --- shared option types -------------------------------------------------------


class ParsedType(click.ParamType[T]):
    """An option written as text and read by `parse`, whose ValueError becomes a
    usage error (exit 2). A value that is already `parsed` passes as it is."""

    parsed: ClassVar[type | None] = None  # what `parse` makes

    def parse(self, text: str) -> T:
        raise NotImplementedError

    def is_parsed(self, value: object) -> bool:
        return self.parsed is not None and isinstance(value, self.parsed)

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> T:
        if self.is_parsed(value):
            return cast(T, value)
        try:
            return self.parse(str(value))
        except ValueError as error:
            self.fail(str(error), param, ctx)


class DurationType(ParsedType[float]):
    """`60s`, `5m`, `1h30m` -> seconds."""

    name = "duration"
    parsed = float

    def parse(self, text: str) -> float:
        from escalada.policy.durations import parse_duration

        return parse_duration(text).total_seconds()


class ShardType(ParsedType["Shard"]):
    """`I/N` -> Shard (imported on use, so `--help` stays light)."""

    name = "I/N"

    def parse(self, text: str) -> Shard:
        from escalada.commands.run import parse_shard

        return parse_shard(text)

    def is_parsed(self, value: object) -> bool:
        from escalada.connectors.base import Shard

        return isinstance(value, Shard)


class TimeType(ParsedType[datetime]):
    """An ISO-8601 instant with a timezone: `2026-11-23T10:00:00Z`."""

    name = "TIME"
    parsed = datetime

    def parse(self, text: str) -> datetime:
        from escalada.instants import from_iso
        from escalada.instants import supported
        from escalada.instants import unsupported_text

        text = text.strip()
        try:
            moment = from_iso(text)
        except ValueError:
            raise ValueError(f"{text!r} is not a time: write e.g. 2026-11-23T10:00:00Z") from None
        if moment.tzinfo is None:
            raise ValueError(f"{text!r} has no timezone: add Z or an offset such as +01:00")
        if not supported(moment):
            raise ValueError(unsupported_text(moment))
        return moment


class RegistryChoice(click.Choice[str]):
    """A choice among the keys of a registry (a renderer table such as REPORTERS),
    read from its module when first needed (parsing, a command's help), so the
    choices are never a second list and importing the CLI imports no renderer
    (check-jsonschema builds --output-format from REPORTER_BY_NAME's keys)."""

    def __init__(self, module: str, registry: str, *, case_sensitive: bool = True) -> None:
        self._registry = (module, registry)
        super().__init__((), case_sensitive=case_sensitive)

    @property
    def choices(self) -> tuple[str, ...]:
        from importlib import import_module

        module, name = self._registry
        return tuple(getattr(import_module(module), name))

    @choices.setter
    def choices(self, value: Sequence[str]) -> None:
        """Choice.__init__ assigns the choices; the registry decides them."""


def _policy_paths(paths: tuple[str, ...]) -> tuple[str, ...]:
    """The policy paths given, or ./policy when it exists."""
    from pathlib import Path

    if paths:
        return paths
    if Path("policy").is_dir():
        return ("policy",)
    raise EscaladaError(
        "no policy given and ./policy does not exist",
        hint="pass the policy directory, e.g. --policy examples/policy",
    )


def _policy_option(function: F) -> F:
    return click.option(
        "--policy",
        "policy_paths",
        multiple=True,
        type=click.Path(),
        help="Policy directory or file (repeatable). Default: ./policy.",
    )(function)


def _desk_option(function: F) -> F:
    return click.option(
        "--desk",
        "desks",
        multiple=True,
        metavar="NAME",
        help="Only this Desk (repeatable). Default: every desk in the policy.",
    )(function)


# --- run -------------------------------------------------------------------------


@cli.command()
@_policy_option
@click.option("--once", is_flag=True, help="One cycle, then exit (the default; for cron jobs).")
@click.option(
    "--interval",
    type=DurationType(),
    default=None,
    help="Run a cycle every DURATION (e.g. 60s, 5m) until SIGTERM/SIGINT.",
)
@click.option("--dry-run", is_flag=True, help="Print the decisions; write nothing, notify no one.")
@_desk_option
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
            _policy_paths(policy_paths),
            interval=interval,
            dry_run=dry_run,
            desks=desks,
            shard=shard,
            audit=audit,
            metrics=metrics,
            log_format=log_format,
            concurrency=concurrency,
            debug=_debug(ctx),
        )
    )


# --- plan / apply ----------------------------------------------------------------

_ADOPT_HELP = (
    "Take over the unmanaged desk object of this NAME (or kind/NAME, e.g. schedule/office) "
    "that collides with one the policy asks for: escalada marks it as its own and manages "
    "it from then on. Repeatable."
)


@cli.command()
@_policy_option
@_desk_option
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
            _policy_paths(policy_paths),
            desks,
            output_format=output_format,
            detailed_exitcode=detailed_exitcode,
            adopt=adopt,
        )
    )


@cli.command()
@_policy_option
@_desk_option
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
            _policy_paths(policy_paths),
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
@_policy_option
@_desk_option
@click.pass_context
def desks_check(ctx: click.Context, policy_paths: tuple[str, ...], desks: tuple[str, ...]) -> None:
    """Connect to each desk and check credentials, permissions and every mapped name.

    Prints one line per item (desk, item, ok or FAIL, detail) and exits 1 if
    any failed; a desk that cannot be reached is one failed line, and the
    other desks are still checked. Run it after changing a Desk document,
    before the runner needs it.

    \b
    Examples:
      escalada desks check --policy policy
      escalada desks check --policy examples/policy --desk sandbox
    """
    from escalada.commands import desks as command

    ctx.exit(command.check(_policy_paths(policy_paths), desks))


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


# --- report ----------------------------------------------------------------------


@cli.command("report")
@click.option(
    "--audit",
    "audit_paths",
    multiple=True,
    type=click.Path(dir_okay=False),
    metavar="PATH",
    help="An audit log written by `escalada run --audit` (repeatable: shards, rotated files).",
)
@click.option(
    "--tickets",
    "tickets_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="Tickets as JSON Lines from `escalada tickets export` (SLA, recurring escalations).",
)
@click.option("--desk", default=None, metavar="NAME", help="Read the tickets from this desk.")
@click.option(
    "--since",
    type=DurationType(),
    default=None,
    help="With --desk: tickets resolved in the last DURATION (e.g. 30d); also the window's start.",
)
@_policy_option
@click.option("--from", "start", metavar="DATE|TIME", help="Window start (inclusive).")
@click.option("--to", "end", metavar="DATE|TIME", help="Window end (exclusive).")
@click.option(
    "--format",
    "output_format",
    type=click.Choice(["text", "markdown", "json", "html"]),
    default="text",
    show_default=True,
)
@click.option("--output", "-o", metavar="FILE", help="Write to FILE instead of stdout.")
@click.option(
    "--timezone",
    "zone",
    metavar="ZONE",
    help="Days, weeks and the heat map in this zone. Default: the policy's first calendar's, "
    "else UTC.",
)
@click.option(
    "--update-grace",
    type=DurationType(),
    default="15m",
    show_default=True,
    help="How far past its interval a stakeholder update still counts as on time.",
)
@click.pass_context
def report_command(
    ctx: click.Context,
    audit_paths: tuple[str, ...],
    tickets_path: str | None,
    desk: str | None,
    since: float | None,
    policy_paths: tuple[str, ...],
    start: str | None,
    end: str | None,
    output_format: str,
    output: str | None,
    zone: str | None,
    update_grace: float,
) -> None:
    """Escalation metrics for service-desk leads: volume, levels, SLA, recurrences.

    Reads the audit log(s) and/or the tickets, streaming (a year of records
    fits in bounded memory). With --policy, SLA attainment and update
    timeliness are judged against the policy's targets.

    \b
    Examples:
      escalada report --audit audit.jsonl
      escalada report --audit audit.jsonl --tickets tickets.jsonl --policy policy \\
          --from 2026-11-16 --to 2026-11-23 --format markdown
      escalada report --audit audit.jsonl --policy policy --format html -o report.html
      escalada report --desk zendesk-prod --since 30d --policy policy --format json
    """
    from datetime import timedelta

    from escalada.commands.report import ReportSettings
    from escalada.commands.report import execute

    settings = ReportSettings(
        audit=audit_paths,
        tickets=tickets_path,
        desk=desk,
        since=timedelta(seconds=since) if since is not None else None,
        policy_paths=policy_paths,
        start=start,
        end=end,
        format=output_format,
        output=output,
        zone=zone,
        update_grace=timedelta(seconds=update_grace),
    )
    ctx.exit(execute(settings, echo=click.echo))


# --- explain and test --------------------------------------------------------------


@cli.command()
@click.argument("ticket", metavar="TICKET")
@_policy_option
@click.option(
    "--at",
    "moment",
    type=TimeType(),
    default=None,
    help="Evaluate at this instant, ISO-8601 with an offset (2026-11-23T12:00:00Z). Default: now.",
)
@click.option(
    "--format",
    "output",
    type=RegistryChoice("escalada.commands.explain", "RENDERERS"),
    default="text",
    show_default=True,
    help="text: a timeline to read; json: one object for scripts.",
)
@click.pass_context
def explain(
    ctx: click.Context,
    ticket: str,
    policy_paths: tuple[str, ...],
    moment: datetime | None,
    output: str,
) -> None:
    """Why a ticket is where it is, and what happens next.

    TICKET is a YAML or JSON file holding the normalized ticket (the shape
    PolicyTest documents use), or - to read it from stdin. The timeline shows
    when it was opened, how its priority was derived, which path governs it
    and why, each level with its due time and status, the triggers that
    fired, the actions due now and the next step. Nothing is written
    anywhere.

    \b
    Examples:
      escalada explain ticket.yaml --policy examples/policy --at 2026-11-23T12:02:00Z
      escalada explain - --policy policy --format json < ticket.json

    \b
    JSON: {"ticket", "priority", "path", "level", "team",
           "actions": [{"type", "reason", ...}], "next": {"level", "at"} | null}
    """
    from escalada.commands import explain as command

    ctx.exit(command.main(ticket, _policy_paths(policy_paths), moment=moment, output=output))


@cli.command("test")
@click.argument("paths", nargs=-1, type=click.Path(), metavar="[PATH...]")
@click.option("-v", "--verbose", is_flag=True, help="Also list the tests that pass.")
@click.option("--strict", is_flag=True, help="Exit 1 when the policy has no PolicyTest.")
@click.pass_context
def test_command(ctx: click.Context, paths: tuple[str, ...], verbose: bool, strict: bool) -> None:
    """Run the policy's PolicyTest documents.

    Each test evaluates its ticket at its `at` instant and checks what it
    expects: path, level, team, priority, actions (compared as a set of action
    types; `mark` only when listed) and next ({level, at} or null). A failure
    prints FILE:LINE:COL: test NAME: WHAT: expected X, got Y, and the actions
    the engine decided. The last line is `N passed, M failed`; exit 1 when any
    failed. PATHs are the policy directories or files (default ./policy); the
    tests live among them, e.g. in a tests/ directory. A policy with no
    PolicyTest is said so; `--strict` makes that exit 1 (for CI).

    \b
    Examples:
      escalada test examples/policy
      escalada test policy -v --strict
    """
    from escalada.commands import test as command

    ctx.exit(command.main(_policy_paths(paths), verbose=verbose, strict=strict))


# --- validate and schema ------------------------------------------------------


@cli.command("validate")
@click.argument("paths", nargs=-1, type=click.Path(exists=True), metavar="[PATH...]")
@click.option(
    "--format",
    "output_format",
    type=RegistryChoice("escalada.policy.check.report", "REPORTERS"),
    default="text",
    show_default=True,
    help="text: FILE:LINE:COL: error CODE message, for people and editors; json: one "
    "object for tools; github: annotations on the pull request's lines.",
)
@click.option("--strict", is_flag=True, help="Warnings fail too (exit 1), not only errors.")
@click.pass_context
def validate_command(
    ctx: click.Context, paths: tuple[str, ...], output_format: str, strict: bool
) -> None:
    """Check policy files: safe YAML, each kind's JSON Schema, and the semantic
    checks (references, matrix, calendars, thresholds, desk mappings).

    PATHs are policy directories (every .yaml/.yml file below, hidden ones
    skipped) or files; default ./policy. Every problem is reported, each at
    FILE:LINE:COL with a hint; the last line sums up. Exit 0 when clean, 1 on
    errors (or warnings with --strict), 2 on a usage error.

    \b
    Examples:
      escalada validate policy
      escalada validate policy --format github     # in a GitHub Actions step
      escalada validate policy/paths.yaml --strict
    """
    from escalada.commands import validate as command

    ctx.exit(command.main(paths, output_format=output_format, strict=strict))


@cli.command("schema")
@click.argument(
    "kind",
    required=False,
    type=RegistryChoice("escalada.policy.model", "KINDS", case_sensitive=False),
)
@click.pass_context
def schema_command(ctx: click.Context, kind: str | None) -> None:
    """Print the JSON Schema (draft 2020-12) of one KIND, or with no KIND one
    schema for any policy document (it picks the kind's schema by `kind`).

    Point an editor at it for completion and checks as you type: save it
    (`escalada schema > .escalada.schema.json`) and add the modeline
    `# yaml-language-server: $schema=.escalada.schema.json` to policy files, or map it
    in VS Code's `yaml.schemas` setting.

    \b
    Examples:
      escalada schema > policy.schema.json
      escalada schema EscalationPath
    """
    from escalada.commands import schema as command

    ctx.exit(command.main(kind))


# --- simulate and tickets export -----------------------------------------------------


class MomentType(ParsedType["datetime | float"]):
    """An instant (`2026-11-01T00:00:00Z`) or a duration before now (`30d`), in seconds."""

    name = "TIME|DURATION"

    def parse(self, text: str) -> datetime | float:
        text = text.strip()
        if text[:1].isdigit() and not text[:4].isdigit():
            return DurationType().parse(text)
        return TimeType().parse(text)


def _moment(value: datetime | float | None, now: datetime) -> datetime | None:
    from datetime import timedelta

    if value is None or isinstance(value, datetime):
        return value
    return now - timedelta(seconds=value)


@cli.command("simulate")
@_policy_option
@click.option(
    "--baseline",
    required=True,
    metavar="PATH|GIT_REV",
    help="The policy to compare against: a policy directory, or a revision of the git "
    "repository holding --policy (origin/main, a tag, a commit).",
)
@click.option(
    "--desk", metavar="NAME", help="Read the open (and, with --from, recent) tickets here."
)
@click.option(
    "--tickets",
    "tickets_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Read the tickets from a JSON Lines file (`escalada tickets export`; - for stdin).",
)
@click.option(
    "--from",
    "start",
    type=MomentType(),
    default=None,
    help="Backtest from this instant, or this long ago (30d).",
)
@click.option(
    "--to", "end", type=MomentType(), default=None, help="Backtest up to here (default: now)."
)
@click.option(
    "--at",
    "moment",
    type=TimeType(),
    default=None,
    help="Compare the open tickets at this instant instead of now (for reproducible output).",
)
@click.option(
    "--format",
    "output_format",
    type=RegistryChoice("escalada.simulate.render", "RENDERERS"),
    default="text",
    show_default=True,
    help="text for a terminal; markdown for a pull-request comment; json: {tickets, "
    "summary: {baseline, policy}, changed: [{ticket, baseline, policy, why}]}.",
)
@click.option(
    "--detailed-exitcode",
    is_flag=True,
    help="Exit 2 when anything changed, 0 when nothing did, 1 on an error.",
)
@click.pass_context
def simulate_command(
    ctx: click.Context,
    policy_paths: tuple[str, ...],
    baseline: str,
    desk: str | None,
    tickets_file: str | None,
    start: datetime | float | None,
    end: datetime | float | None,
    moment: datetime | None,
    output_format: str,
    detailed_exitcode: bool,
) -> None:
    """What the policy does differently from the baseline: to the open tickets now,
    and (with --from) over a past window, replayed event by event.

    Open tickets now: ticket by ticket, new escalations, escalations no longer
    due, re-announcements (a renamed or reordered path), triggers that start or
    stop matching, another team or assignee. The backtest compares escalations
    per path, level, team and priority, channel messages, stakeholder updates,
    reason requests and the time to first escalation. Nothing is written.

    \b
    Examples:
      escalada simulate --policy policy --baseline origin/main --desk zendesk-prod
      escalada tickets export --desk zendesk-prod --since 30d --output tickets.jsonl
      escalada simulate --policy policy --baseline origin/main --tickets tickets.jsonl \\
          --from 30d --format markdown
      escalada simulate --policy new/ --baseline old/ --tickets t.jsonl --detailed-exitcode
    """
    from datetime import timezone

    from escalada.commands import simulate as command

    if (desk is None) == (tickets_file is None):
        raise click.UsageError("give one of --desk NAME and --tickets FILE")
    if end is not None and start is None:
        raise click.UsageError("--to needs --from")
    now = moment if moment is not None else datetime.now(timezone.utc)
    settings = command.SimulateSettings(
        policy_paths=_policy_paths(policy_paths),
        baseline=baseline,
        desk=desk,
        tickets_file=tickets_file,
        start=_moment(start, now),
        end=_moment(end, now),
        now=now,
        output_format=output_format,
        detailed_exitcode=detailed_exitcode,
    )
    ctx.exit(command.main(settings))


@cli.group()
def tickets() -> None:
    """Read a desk's tickets (read-only)."""


@tickets.command("export")
@_policy_option
@click.option("--desk", required=True, metavar="NAME", help="The Desk to read.")
@click.option(
    "--since",
    type=MomentType(),
    default="30d",
    show_default=True,
    help="Also the tickets resolved since this instant, or this long ago.",
)
@click.option("--open-only", is_flag=True, help="Only the open tickets (ignores --since).")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True),
    default=None,
    help="Write to FILE (replaced whole, once the read finished). Default: stdout.",
)
def tickets_export(
    policy_paths: tuple[str, ...],
    desk: str,
    since: datetime | float,
    open_only: bool,
    output: str | None,
) -> None:
    """The desk's tickets in the normalized shape, one JSON object per line.

    The open tickets of the desk's scope and those resolved in the window,
    each with what the desk knows of its history: status changes
    (`status_history`), first response, resolution, and escalada's marker
    (with the policy revision that escalated it). Secrets never appear in it;
    docs/tickets.md lists the fields. The input of `simulate --tickets` and
    `report --tickets`.

    \b
    Examples:
      escalada tickets export --desk sandbox --since 30d --output tickets.jsonl
      escalada tickets export --desk zendesk-prod --open-only > open.jsonl
    """
    from datetime import timezone

    from escalada.commands import tickets as command
    from escalada.policy.validate import load_policy

    now = datetime.now(timezone.utc)
    ctx = click.get_current_context()
    ctx.exit(
        command.export(
            load_policy(_policy_paths(policy_paths)),
            desk,
            since=None if open_only else _moment(since, now),
            now=now,
            output=output,
            echo=click.echo,
            note=lambda line: click.echo(line, err=True),
        )
    )
