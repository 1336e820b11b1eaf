"""Commands over a policy alone: explain, test, validate, schema."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    pass

from escalada.cli.group import cli
from escalada.cli.options import RegistryChoice
from escalada.cli.options import TimeType
from escalada.cli.options import default_policy_paths
from escalada.cli.options import policy_option

# --- explain and test --------------------------------------------------------------


@cli.command()
@click.argument("ticket", metavar="TICKET")
@policy_option
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

    ctx.exit(command.main(ticket, default_policy_paths(policy_paths), moment=moment, output=output))


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

    ctx.exit(command.main(default_policy_paths(paths), verbose=verbose, strict=strict))


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
@click.option(
    "--base",
    metavar="REF",
    default=None,
    help="Compare with the policy as it is at this git revision, to warn about a path "
    "renamed without moved_from. Default: HEAD (what is committed), quietly skipped "
    "outside git; in a pull request's CI give its base branch, e.g. origin/main.",
)
@click.option("--no-base", is_flag=True, help="Compare with no committed policy (no git call).")
@click.pass_context
def validate_command(
    ctx: click.Context,
    paths: tuple[str, ...],
    output_format: str,
    strict: bool,
    base: str | None,
    no_base: bool,
) -> None:
    """Check policy files: safe YAML, each kind's JSON Schema, and the semantic
    checks (references, matrix, calendars, thresholds, desk mappings).

    PATHs are policy directories (every .yaml/.yml file below, hidden ones
    skipped) or files; default ./policy. Every problem is reported, each at
    FILE:LINE:COL with a hint; the last line sums up. Exit 0 when clean, 1 on
    errors (or warnings with --strict), 2 on a usage error. In a git checkout the
    policy is also compared with its committed version (--base): a path gone while
    a new one has the same levels is a rename that needs `moved_from`.

    \b
    Examples:
      escalada validate policy
      escalada validate policy --format github     # in a GitHub Actions step
      escalada validate policy --base origin/main  # a pull request against main
      escalada validate policy/paths.yaml --strict
    """
    from escalada.commands import validate as command

    ctx.exit(
        command.main(
            paths,
            output_format=output_format,
            strict=strict,
            base=None if no_base else (base or "HEAD"),
            base_required=base is not None and not no_base,
        )
    )


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
