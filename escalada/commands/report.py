"""`escalada report`: read the audit log(s) and tickets, build the report, write
it in the chosen format to stdout or a file."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from datetime import datetime
from datetime import time
from datetime import timedelta
from datetime import timezone
from datetime import tzinfo
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo
from zoneinfo import ZoneInfoNotFoundError

from escalada.errors import EscaladaError
from escalada.policy.model import Policy
from escalada.ticket import Ticket


@dataclass(frozen=True, slots=True)
class ReportSettings:
    audit: tuple[str, ...] = ()
    tickets: str | None = None
    desk: str | None = None
    since: timedelta | None = None
    policy_paths: tuple[str, ...] = ()
    start: str | None = None  # --from: a date or an instant
    end: str | None = None  # --to
    format: str = "text"
    output: str | None = None
    zone: str | None = None
    update_grace: timedelta | None = None


def parse_bound(text: str, zone: tzinfo, option: str) -> datetime:
    """A date (midnight in the report's zone) or an ISO instant with an offset."""
    from escalada.instants import from_iso

    text = text.strip()
    try:
        return datetime.combine(date.fromisoformat(text), time(), zone)
    except ValueError:
        pass
    try:
        moment = from_iso(text)
    except ValueError:
        raise EscaladaError(
            f"{option} {text!r} is not a date or a time",
            hint="write e.g. 2026-11-01 or 2026-11-23T10:00:00Z",
        ) from None
    if moment.tzinfo is None:
        raise EscaladaError(f"{option} {text!r} has no UTC offset", hint="add Z or +01:00")
    return moment


def report_zone(name: str | None, policy: Policy | None) -> tzinfo:
    """--timezone, else the zone of the policy's first calendar that has one, else UTC."""
    if name is None and policy is not None:
        for calendar in policy.calendars.values():
            zone = getattr(calendar, "timezone", None)
            if zone and zone != "UTC":
                name = str(zone)
                break
    if name is None:
        return timezone.utc
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise EscaladaError(
            f"--timezone {name!r} is not a time zone", hint="e.g. Europe/Stockholm or UTC"
        ) from None


def execute(
    settings: ReportSettings,
    *,
    echo: Callable[[str], Any],
    now: datetime | None = None,
    read_desk: Callable[..., Iterable[Ticket]] | None = None,
) -> int:
    from escalada.report.build import Window
    from escalada.report.build import build_report
    from escalada.report.inputs import read_audit
    from escalada.report.inputs import read_tickets
    from escalada.report.render import renderer

    now = now or datetime.now(timezone.utc)
    if not (settings.audit or settings.tickets or settings.desk):
        raise EscaladaError(
            "nothing to report on",
            hint="give --audit PATH (from `escalada run --audit`), --tickets FILE "
            "(from `escalada tickets export`) or --desk NAME --since 30d",
        )
    if settings.tickets and settings.desk:
        raise EscaladaError("choose one of --tickets and --desk", hint="both read tickets")
    policy = _policy(settings.policy_paths) if settings.policy_paths or settings.desk else None
    zone = report_zone(settings.zone, policy)
    start = parse_bound(settings.start, zone, "--from") if settings.start else None
    end = parse_bound(settings.end, zone, "--to") if settings.end else None
    if settings.since is not None and start is None:
        start = now - settings.since
    if start and end and end <= start:
        raise EscaladaError("--to is not after --from", hint="swap them")
    tickets: Iterable[Ticket] | None = None
    sources = [f"audit {path}" for path in settings.audit]
    if settings.tickets:
        # read without the policy's scales: an export carries what the desk holds
        # (e.g. ServiceNow's impact "high"), and the report needs only the priority
        tickets = read_tickets(settings.tickets)
        sources.append(f"tickets {settings.tickets}")
    elif settings.desk:
        assert policy is not None
        tickets = (read_desk or _read_desk)(policy, settings.desk, since=start, now=now)
        sources.append(f"desk {settings.desk}")
    render = renderer(settings.format)
    report = build_report(
        audit=read_audit(settings.audit) if settings.audit else None,
        tickets=tickets,
        policy=policy,
        zone=zone,
        window=Window(start, end),
        now=now,
        sources=tuple(sources),
        update_grace=settings.update_grace,
    )
    text = render(report)
    if settings.output in (None, "-"):
        echo(text.rstrip("\n"))
        return 0
    write(Path(settings.output), text)
    echo(f"wrote the {settings.format} report to {settings.output}")
    return 0


def write(target: Path, text: str) -> None:
    """Write through a temporary file beside the target, so a reader never sees half."""
    partial = target.with_name(target.name + ".part")
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.write_text(text, encoding="utf-8")
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise EscaladaError(f"cannot write {target}: {error}") from None


def _policy(paths: tuple[str, ...]) -> Policy:
    from escalada.policy.validate import load_policy

    if not paths:
        raise EscaladaError("--desk needs the policy that defines it", hint="add --policy PATH")
    return load_policy(paths)


def _read_desk(
    policy: Policy, desk: str, *, since: datetime | None, now: datetime
) -> Iterable[Ticket]:
    """The desk's tickets through `escalada tickets export`'s reader (the open ones
    and those resolved since the window's start, with their history)."""
    from escalada.commands.tickets import read_desk_tickets

    return read_desk_tickets(policy, desk, since=since, now=now)
