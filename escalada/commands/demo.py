"""`escalada demo`: the example policy driving the runner on the sandbox desk
over a simulated working day, so a newcomer sees tickets climb levels, each
with its reason, in a few seconds, with no credentials and no network."""

from __future__ import annotations

import textwrap
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import click

from escalada.errors import EscaladaError
from escalada.notify import Notification
from escalada.notify import NotifyResult
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.runner.cycle import run_cycle
from escalada.runner.options import RunOptions
from escalada.runner.reports import CycleReport

DEMO_ZONE = ZoneInfo("Europe/Stockholm")
# A Monday in late November: the office calendar is open 08:00-17:00.
DEMO_DAY = datetime(2026, 11, 23, 8, 0, tzinfo=DEMO_ZONE)


def example_policy_path() -> Path:
    """The example policy shipped with the package (or beside it in a checkout)."""
    shipped = Path(str(resources.files("escalada") / "examples" / "policy"))
    if shipped.is_dir():
        return shipped
    checkout = Path(__file__).resolve().parents[1] / "examples" / "policy"
    if checkout.is_dir():
        return checkout
    raise EscaladaError(
        "the example policy is not installed with this copy of escalada",
        hint="pass one with --policy PATH",
    )


@dataclass
class ChannelRecorder:
    """Stands in for Slack/Teams in the demo: records what would be posted."""

    sent: list[tuple[str, Notification]] = field(default_factory=list)

    def send(self, channel: str, message: Notification) -> NotifyResult:
        self.sent.append((channel, message))
        return NotifyResult(ok=True, channel=channel, attempts=0)


@dataclass
class DemoResult:
    cycles: int = 0
    tickets: int = 0
    escalations: int = 0  # level changes announced
    updates: int = 0  # periodic stakeholder updates
    writes: int = 0
    notifications: int = 0
    rerun_writes: int = -1  # writes of an immediate second run at the last instant
    levels: Counter[str] = field(default_factory=Counter)  # "path L<n>" -> tickets
    report: tuple[str, ...] = ()  # the day's report summary (with an audit log)
    report_file: Path | None = None  # the html report written, if any


def _sandbox_desk(policy: Policy, db: Path) -> Desk:
    from escalada.connectors.registry import desk_kinds

    for desk in policy.desks.values():
        kind = desk_kinds().get(desk.type)
        if kind is not None and kind.embedded:
            return replace(desk, options={**desk.options, "path": str(db)})
    raise EscaladaError(
        "the policy has no Desk of type sandbox for the demo",
        hint="add one: {kind: Desk, metadata: {name: sandbox}, spec: {type: sandbox}}",
    )


def run_demo(
    *,
    db: Path,
    policy_path: Path | None = None,
    tickets: int = 40,
    seed: int = 7,
    start: datetime = DEMO_DAY,
    hours: float = 10.0,
    step: timedelta = timedelta(minutes=30),
    echo: Callable[[str], Any] = print,
    audit: Path | None = None,
    html_report: Path | None = None,
) -> DemoResult:
    """Seed the sandbox, then run one cycle per `step` from `start` for `hours`
    (appending one audit record per action to `audit`, replaced first, if given;
    with an audit log, the day's report summary, and the html report to `html_report`)."""
    from escalada.audit import AuditLog
    from escalada.connectors.base import Wiring
    from escalada.connectors.sandbox.connector import SandboxConnector
    from escalada.connectors.sandbox.seed import seed as seed_sandbox
    from escalada.engine.evaluator import Evaluator
    from escalada.policy.validate import load_policy

    policy = load_policy([str(policy_path or example_policy_path())])
    desk = _sandbox_desk(policy, db)
    db.parent.mkdir(parents=True, exist_ok=True)
    summary = seed_sandbox(db, tickets=tickets, seed=seed, now=start)
    echo(f"Seeded {db}: {summary}")
    echo(
        "The first cycle catches up on tickets opened before the run (levels that fell due "
        "meanwhile are announced once, naming the skipped ones); then every step is "
        f"{_span(step)} of simulated time."
    )
    evaluator = Evaluator(policy)
    recorder = ChannelRecorder()
    result = DemoResult(tickets=tickets)
    steps = int(timedelta(hours=hours) / step) + 1
    options = RunOptions(desks=(desk.name,))
    if audit is not None:
        audit.unlink(missing_ok=True)
    log = AuditLog(audit)

    def cycle(at: datetime) -> CycleReport:
        report = run_cycle(
            policy,
            now=at,
            connect=lambda d: SandboxConnector(desk, wiring=Wiring(clock=lambda: at)),
            notifier=recorder,
            audit=log,
            options=options,
            evaluator=evaluator,
        )
        _fail_on_desk_error(report)
        return report

    now = start
    for index in range(steps):
        now = start + index * step
        before = len(recorder.sent)
        report = cycle(now)
        result.cycles += 1
        result.writes += sum(d.escalated for d in report.desks)
        events = _events(report)
        announced = [e for e in events if e.kind != "update"]
        updates = len(events) - len(announced)
        result.escalations += sum(1 for e in announced if e.kind == "escalation")
        result.updates += updates
        result.notifications += len(recorder.sent) - before
        local = now.astimezone(DEMO_ZONE).strftime("%a %H:%M")
        bar = "#" * min(30, len(announced))
        tail = f", {updates} stakeholder update(s)" if updates else ""
        echo(f"[{local}] {index + 1:>2}/{steps} {bar:<30} {len(announced)} announced{tail}")
        for event in announced:
            echo(f"    {event.ticket}: {event.headline}")
            echo(
                textwrap.fill(
                    event.reason, width=100, initial_indent=" " * 8, subsequent_indent=" " * 8
                )
            )
    rerun = cycle(now)
    log.close()
    result.rerun_writes = sum(d.escalated for d in rerun.desks)
    connector = SandboxConnector(desk, wiring=Wiring(clock=lambda: now))
    open_tickets = list(connector.candidates())
    for ticket in open_tickets:
        state = ticket.escalation
        result.levels[f"{state.path or '-'} L{state.level}" if state.path else "not escalated"] += 1
    connector.close()
    if audit is not None:
        result.report, result.report_file = _report(policy, audit, open_tickets, now, html_report)
    return result


def _report(
    policy: Policy, audit: Path, tickets: list[Any], now: datetime, html: Path | None
) -> tuple[tuple[str, ...], Path | None]:
    """The day's report from the demo's audit log and the sandbox's tickets."""
    from escalada.commands.report import write
    from escalada.report.build import build_report
    from escalada.report.inputs import read_audit
    from escalada.report.present import summary
    from escalada.report.render import renderer

    day = build_report(
        audit=read_audit([audit]),
        tickets=tickets,
        policy=policy,
        zone=DEMO_ZONE,
        now=now,
        sources=(f"audit {audit}", "the sandbox desk's tickets"),
    )
    if html is not None:
        try:
            write(html, renderer("html")(day))
        except EscaladaError:  # without the `report` extra: the summary only
            html = None
    return tuple(summary(day)), html


def _span(step: timedelta) -> str:
    from escalada.policy.durations import format_duration

    return format_duration(step)


def _fail_on_desk_error(report: CycleReport) -> None:
    for desk in report.desks:
        if desk.failed:
            raise EscaladaError(f"the demo's sandbox desk failed: {desk.failed}")


@dataclass(frozen=True, slots=True)
class DemoEvent:
    ticket: str
    kind: str  # escalation | asked | cleared | update
    headline: str
    reason: str


def _events(report: CycleReport) -> list[DemoEvent]:
    """What each decision of the cycle did, for the demo's display."""
    events = []
    for desk in report.desks:
        for decision in desk.decisions:
            by_type = {a.type: a for a in decision.actions}
            if "clear" in by_type:
                kind, headline = "cleared", "left its path: escalation cleared"
            elif "comment" in by_type:
                kind = "escalation"
                headline = f"-> {decision.path} level {decision.level} ({decision.team})"
            elif "ask_reason" in by_type:
                kind, headline = "asked", "escalation requested without a reason: asked for one"
            elif "update" in by_type:
                kind, headline = "update", "stakeholder update"
            else:
                continue
            first = by_type.get("comment") or by_type.get("ask_reason") or by_type.get("update")
            reason = first.reason if first else decision.actions[0].reason
            events.append(DemoEvent(decision.ticket, kind, headline, reason))
    return events


def describe_result(result: DemoResult) -> list[str]:
    lines = [
        f"{result.cycles} cycles over the simulated day: {result.escalations} escalations "
        f"announced, {result.updates} stakeholder updates, {result.writes} ticket writes, "
        f"{result.notifications} channel messages.",
        f"An immediate rerun at the last instant wrote {result.rerun_writes} tickets "
        "(the escalation state lives on each ticket, so nothing is announced twice).",
        "Where the open tickets ended up:",
    ]
    lines += [f"  {count:>3}  {where}" for where, count in sorted(result.levels.items())]
    if result.report:
        lines.append("The day's report (escalada report):")
        lines += [f"  {line}" for line in result.report]
    if result.report_file is not None:
        lines.append(f"The html report, charts and tables: {result.report_file}")
    elif result.report:
        lines.append("For the html report with charts: pip install 'escalada[report]'")
    return lines


def main(*, db: str, policy_path: str | None, tickets: int, seed: int, step: timedelta) -> int:
    """`escalada demo`: the simulated day, then where the tickets ended up."""
    where = Path(db)
    result = run_demo(
        db=where,
        audit=where.with_name(f"{where.stem}-audit.jsonl"),
        html_report=where.with_name(f"{where.stem}-report.html"),
        policy_path=Path(policy_path) if policy_path else None,
        tickets=tickets,
        seed=seed,
        step=step,
        echo=click.echo,
    )
    for line in describe_result(result):
        click.echo(line)
    return 0
