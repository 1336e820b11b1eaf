"""Commands that look at what the runner did or would do: report, simulate, tickets export."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

if TYPE_CHECKING:
    pass

from escalada.cli.group import cli
from escalada.cli.options import DurationType
from escalada.cli.options import ParsedType
from escalada.cli.options import RegistryChoice
from escalada.cli.options import TimeType
from escalada.cli.options import default_policy_paths
from escalada.cli.options import policy_option

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
@policy_option
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
@policy_option
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
        policy_paths=default_policy_paths(policy_paths),
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
@policy_option
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
            load_policy(default_policy_paths(policy_paths)),
            desk,
            since=None if open_only else _moment(since, now),
            now=now,
            output=output,
            echo=click.echo,
            note=lambda line: click.echo(line, err=True),
        )
    )
