"""One cycle of the polling runner: for each desk, candidates -> decisions ->
actions, with notifications, an audit trail and a summary.

Exactly-once, without a database: the escalation state is written on the
ticket in the same write as the escalation itself (`mark` travels with the
comment and the assignment), so a rerun after a crash sees what was done. The
channel notifications of an escalation are made crash-safe by the marker's
`pending` token: it is written with the escalation, the notifications go out,
and a second small write clears it. A run that dies in between finds the token
and sends them then. Only a crash in the instant between a notification and
that clearing write can repeat a chat message; none can lose one.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from typing import Any

from escalada import marker
from escalada.audit import AuditLog
from escalada.audit import AuditRecord
from escalada.connectors.base import Connector
from escalada.connectors.base import Shard
from escalada.errors import ConflictError
from escalada.errors import EscaladaError
from escalada.notify import Notification
from escalada.notify import Notifier
from escalada.policy.engine import Evaluator
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.ticket import Action
from escalada.ticket import Decision
from escalada.ticket import EscalationState
from escalada.ticket import Ticket

log = logging.getLogger("escalada.runner")

CHANNEL_ACTIONS = frozenset({"notify", "update"})


@dataclass(frozen=True, slots=True)
class RunOptions:
    desks: tuple[str, ...] = ()  # empty: every desk in the policy
    dry_run: bool = False
    shard: Shard | None = None
    concurrency: int = 4  # desks processed at once


@dataclass
class DeskReport:
    desk: str
    seen: int = 0
    escalated: int = 0  # tickets written
    actions: int = 0
    errors: int = 0
    conflicts: int = 0
    notify_failures: int = 0
    calls: int = 0
    duration: float = 0.0
    failed: str | None = None  # why the desk's part of the cycle failed
    decisions: list[Decision] = field(default_factory=list)  # the ones with actions


@dataclass
class CycleReport:
    started: datetime
    desks: list[DeskReport]
    duration: float = 0.0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        return not any(desk.failed for desk in self.desks)

    def summary(self) -> str:
        seen = sum(d.seen for d in self.desks)
        escalated = sum(d.escalated for d in self.desks)
        errors = sum(d.errors for d in self.desks) + sum(1 for d in self.desks if d.failed)
        calls = sum(d.calls for d in self.desks)
        verb = "would write" if self.dry_run else "written"
        return (
            f"cycle {self.started.isoformat(timespec='seconds').replace('+00:00', 'Z')}: "
            f"{len(self.desks)} desk(s), {seen} tickets seen, {escalated} {verb}, "
            f"{errors} errors, {calls} API calls, {self.duration:.1f}s"
        )


ConnectFn = Callable[[Desk], Connector]


def select_desks(policy: Policy, names: Sequence[str]) -> list[Desk]:
    """The desks a run covers; an unknown name is a user error naming the known ones."""
    if not names:
        return list(policy.desks.values())
    unknown = [name for name in names if name not in policy.desks]
    if unknown:
        raise EscaladaError(
            f"no Desk named {', '.join(unknown)} in the policy",
            hint=f"known desks: {', '.join(policy.desks) or 'none'}",
        )
    return [policy.desks[name] for name in names]


def run_cycle(
    policy: Policy,
    *,
    now: datetime,
    connect: ConnectFn,
    notifier: Notifier | None,
    audit: AuditLog | None = None,
    options: RunOptions = RunOptions(),
    stop: threading.Event | None = None,
    evaluator: Evaluator | None = None,
) -> CycleReport:
    """Process every selected desk once, concurrently and bounded."""
    started = time.monotonic()
    evaluator = evaluator or Evaluator(policy)
    desks = select_desks(policy, options.desks)
    cycle = _Cycle(policy, evaluator, now, notifier, audit, options, stop or threading.Event())
    workers = max(1, min(options.concurrency, len(desks)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="desk") as pool:
        reports = list(pool.map(lambda desk: cycle.desk(desk, connect), desks))
    return CycleReport(
        started=now, desks=reports, duration=time.monotonic() - started, dry_run=options.dry_run
    )


@dataclass
class _Cycle:
    policy: Policy
    evaluator: Evaluator
    now: datetime
    notifier: Notifier | None
    audit: AuditLog | None
    options: RunOptions
    stop: threading.Event

    def desk(self, desk: Desk, connect: ConnectFn) -> DeskReport:
        report = DeskReport(desk.name)
        started = time.monotonic()
        connector: Connector | None = None
        try:
            connector = connect(desk)
            # Read every candidate first, then write: offset-paged desks would
            # otherwise skip rows whose state the runner's own writes change.
            tickets = list(connector.candidates(shard=self.options.shard))
            report.seen = len(tickets)
            for ticket in tickets:
                if self.stop.is_set():
                    log.info(
                        "desk %s: stop requested, leaving the rest for the next cycle", desk.name
                    )
                    break
                self.ticket(connector, ticket, report)
        except EscaladaError as error:
            report.failed = str(error)
            log.error("desk %s failed: %s", desk.name, error)
        except Exception as error:  # noqa: BLE001 - one desk's bug must not stop the others
            report.failed = f"internal error: {type(error).__name__}: {error}"
            log.exception("desk %s failed with an internal error", desk.name)
        finally:
            report.calls = connector.calls if connector is not None else 0
            report.duration = time.monotonic() - started
        return report

    def ticket(self, connector: Connector, ticket: Ticket, report: DeskReport) -> None:
        try:
            self._ticket(connector, ticket, report)
        except ConflictError as error:
            report.conflicts += 1
            log.warning(
                "%s: changed on the desk while being written; next cycle re-reads it (%s)",
                ticket.key,
                error.message,
            )
            self._audit(ticket, ticket.escalation.level, "write", str(error), "conflict")
        except Exception as error:  # noqa: BLE001 - one ticket must not stop the desk
            report.errors += 1
            log.error("%s: %s", ticket.key, error, exc_info=not isinstance(error, EscaladaError))
            self._audit(ticket, ticket.escalation.level, "write", str(error), f"failed: {error}")

    def _ticket(self, connector: Connector, ticket: Ticket, report: DeskReport) -> None:
        decision = self.evaluator.evaluate(ticket, self.now)
        actions = list(decision.actions)
        resend = not actions and ticket.escalation.pending
        if resend:
            actions = self._resend(ticket)
        if not actions:
            return
        report.decisions.append(decision)
        level_from = ticket.escalation.level
        if self.options.dry_run:
            for action in actions:
                self._audit(
                    ticket,
                    decision.level,
                    action.type,
                    action.reason,
                    "dry-run",
                    level_from=level_from,
                    path=decision.path,
                )
            report.escalated += 1
            report.actions += len(actions)
            return
        channel_actions = [a for a in actions if a.type in CHANNEL_ACTIONS and a.channels]
        desk_actions = [a for a in actions if a.type != "notify"]  # an update is also a note
        if channel_actions:
            desk_actions = _with_pending(desk_actions, ticket.escalation, pending=True)
        written = ticket
        if desk_actions and not resend:
            result = connector.apply(ticket, desk_actions)
            written = _after_write(ticket, desk_actions, result.revision)
            report.escalated += 1
            report.actions += len(desk_actions)
            for action in desk_actions:
                self._audit(
                    ticket,
                    decision.level,
                    action.type,
                    action.reason,
                    "ok",
                    level_from=level_from,
                    path=decision.path,
                )
        if channel_actions:
            report.notify_failures += self._notify(ticket, decision, channel_actions)
            cleared = replace(written.escalation, pending=False)
            connector.apply(written, [Action("mark", "notifications sent", state=cleared)])

    def _resend(self, ticket: Ticket) -> list[Action]:
        """Notifications of the current level, for a run that died before sending them."""
        state = ticket.escalation
        path = self.policy.paths.get(state.path or "")
        if path is None or not 0 <= state.level < len(path.levels):
            return []
        team_name = path.levels[state.level].team
        team = self.policy.teams.get(team_name)
        channels = team.notify if team else ()
        reason = (
            f"Escalated to level {state.level} ({team_name}) on {path.name} "
            "(notification re-sent: the previous run stopped before sending it)"
        )
        return [Action("notify", reason, team=team_name, channels=tuple(channels))]

    def _notify(self, ticket: Ticket, decision: Decision, actions: Sequence[Action]) -> int:
        failures = 0
        for action in actions:
            for channel in action.channels:
                message = Notification(
                    desk=ticket.desk,
                    ticket=ticket.key,
                    url=ticket.url,
                    title=ticket.title,
                    path=decision.path or ticket.escalation.path,
                    level=decision.level,
                    team=action.team,
                    action=action.type,
                    reason=action.reason,
                    at=self.now,
                )
                if self.notifier is None:
                    result_text, ok = "not sent: no notifier", False
                else:
                    result = self.notifier.send(channel, message)
                    ok = result.ok
                    result_text = "sent" if ok else f"not sent: {result.error}"
                if not ok:
                    failures += 1
                    log.warning("%s: channel %s: %s", ticket.key, channel, result_text)
                self._audit(
                    ticket,
                    decision.level,
                    f"{action.type}:{channel}",
                    action.reason,
                    result_text,
                    path=decision.path,
                )
        return failures

    def _audit(
        self,
        ticket: Ticket,
        level_to: int,
        action: str,
        reason: str,
        result: str,
        *,
        level_from: int | None = None,
        path: str | None = None,
    ) -> None:
        if self.audit is None:
            return
        self.audit.write(
            AuditRecord(
                time=self.now,
                desk=ticket.desk,
                ticket=ticket.key,
                path=path or ticket.escalation.path,
                level_from=ticket.escalation.level if level_from is None else level_from,
                level_to=level_to,
                action=action,
                reason=reason,
                dry_run=self.options.dry_run,
                result=result,
            )
        )


def _after_write(ticket: Ticket, actions: Sequence[Action], revision: str | None) -> Ticket:
    """The ticket as the desk now holds it: new marker tags, state and revision."""
    state = ticket.escalation
    for action in actions:
        if action.type in ("mark", "clear"):
            state = action.state if action.state is not None else EscalationState()
    add, remove = marker.retag(ticket.tags, state)
    return replace(
        ticket,
        tags=(ticket.tags - remove) | add,
        escalation=state,
        revision=revision if revision is not None else ticket.revision,
    )


def _with_pending(
    actions: Sequence[Action], current: EscalationState, *, pending: bool
) -> list[Action]:
    """The desk actions with the marker's pending token set, adding a mark if there is none."""
    out: list[Action] = []
    marked = False
    for action in actions:
        if action.type == "mark" and action.state is not None:
            action = replace(action, state=replace(action.state, pending=pending))
            marked = True
        out.append(action)
    if not marked:
        out.append(Action("mark", "notifications pending", state=replace(current, pending=pending)))
    return out


def run_loop(
    cycle: Callable[[], CycleReport],
    *,
    interval: float,
    stop: threading.Event,
    on_report: Callable[[CycleReport], Any],
) -> bool:
    """Run cycles every `interval` seconds until `stop` is set; True if the last cycle was ok."""
    ok = True
    while not stop.is_set():
        started = time.monotonic()
        report = cycle()
        on_report(report)
        ok = report.ok
        stop.wait(max(0.0, interval - (time.monotonic() - started)))
    return ok
