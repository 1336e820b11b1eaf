"""One cycle of the polling runner: for each desk, candidates -> decisions ->
actions, with notifications, an audit trail and a summary.

Exactly-once, without a database: the escalation state is written on the
ticket in the same write as the escalation itself (`mark` travels with the
comment and the assignment), so a rerun after a crash sees what was done. The
channel notifications of an escalation are made crash-safe by the marker's
`pending` token: it is written with the escalation, the notifications go out,
and the token is cleared afterwards. A desk's due tickets go in chunks
(`RunOptions.batch`, 100): each ticket of the chunk is written (one `apply`),
then the chunk's messages go out (`send_many` where the notifier has it), then
one `clear_pending` call clears the tokens of the tickets whose messages went
out (one clearing `apply` per ticket where the desk lacks the capability). A run
that dies in between leaves the tokens, and a later run sends those messages
then, once a token is older than `RunOptions.resend_after` (a younger token may
belong to a runner that is sending right now: re-sending at once would announce
twice). A send that reaches no channel at all keeps the token too, so it is
retried. A stop, the cycle's budget or a desk gone down mid-chunk first sends
and clears what the chunk has written. The one gap: when the clearing does not
land after messages went out (the process dies in between, the desk fails the
clearing call, or leaves a ticket out because someone edited it in that
second), the messages already sent go out once more, marked as re-sent. It
covers at most the tickets of one chunk: those whose messages had gone out and
whose clearing had not landed. No message is ever lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from typing import Any
from typing import Protocol

from escalada import marker
from escalada.audit import AuditFailed
from escalada.audit import AuditLog
from escalada.audit import AuditRecord
from escalada.connectors.base import ApplyResult
from escalada.connectors.base import Connector
from escalada.connectors.base import Shard
from escalada.connectors.http import abort_in_flight
from escalada.connectors.records import rejected
from escalada.connectors.registry import desk_kind
from escalada.engine.evaluator import Evaluator
from escalada.errors import ConflictError
from escalada.errors import DeskUnavailable
from escalada.errors import EscaladaError
from escalada.instants import to_iso
from escalada.notify import Notification
from escalada.notify import NotifyResult
from escalada.pacing import RateBudget
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.ticket import CHANNEL_ACTIONS
from escalada.ticket import Action
from escalada.ticket import Decision
from escalada.ticket import EscalationState
from escalada.ticket import Ticket

log = logging.getLogger("escalada.runner")


class Sender(Protocol):
    """What the runner needs of a notifier (escalada.notify.Notifier; the demo's recorder).

    A notifier may also have `send_many(items) -> list[NotifyResult]` (results in
    the input order): the runner then hands it a chunk's messages at once, to go
    out concurrently across channels; without it, the runner calls `send` for each."""

    def send(self, channel: str, message: Notification) -> NotifyResult: ...


# the actions of an escalating decision that are not part of the escalation itself
_NOT_ESCALATION = frozenset({"update", "ask_reason", "set_priority", "clear"})
CYCLE_BUDGET = 600.0
# How old a `pending` token must be before another run re-sends its notifications:
# longer than a runner can take between its escalation write and its clearing
# write (the notifier's retries: 3 attempts, up to 60s Retry-After, per channel).
RESEND_AFTER = timedelta(minutes=10)
# Tickets per chunk: written one by one (or several at once, RunOptions.writers),
# then their messages sent together and their pending tokens cleared in one call
# (Zendesk's update_many takes 100 ids).
BATCH = 100
WRITING_THREADS = "write"  # the name prefix of a concurrent chunk's threads (the bench reads it)


@dataclass(frozen=True, slots=True)
class RunOptions:
    desks: tuple[str, ...] = ()  # empty: every desk in the policy
    dry_run: bool = False
    shard: Shard | None = None
    concurrency: int = 4  # desks processed at once
    resend_after: timedelta = RESEND_AFTER
    # written on the markers of the escalations this run makes and on its audit records
    # (escalada.revision.policy_revision), so simulate, report and explain can say
    # under which version of the policy a ticket was escalated
    policy_revision: str | None = None
    # Seconds a cycle may take: past it, requests in flight end and every desk
    # leaves its remaining tickets to the next cycle (a scheduled job must end).
    budget: float | None = CYCLE_BUDGET
    # Tickets per chunk (see BATCH); 1 confirms each ticket before writing the next.
    batch: int = BATCH
    # A chunk's writes in flight per desk. None: as many as the desk account's budget
    # can use at the calls' observed latency (RateBudget.in_flight: 1 to 8; 1 without
    # a rate of its own). Tests and the bench set it; a desk type without concurrent
    # writes (the sandbox) writes one at a time whatever it says.
    writers: int | None = None


@dataclass
class DeskReport:
    desk: str
    seen: int = 0
    escalated: int = 0  # tickets written (or that would be, in a dry run)
    actions: int = 0
    writes: int = 0  # connector.apply calls that wrote something, and clear_pending calls
    errors: int = 0
    conflicts: int = 0
    notifications: int = 0  # channel messages sent
    notify_failures: int = 0
    calls: int = 0
    duration: float = 0.0
    failed: str | None = None  # why the desk's part of the cycle failed
    decisions: list[Decision] = field(default_factory=list)  # the ones with actions
    # "ticket:target" for every SLA target the seen tickets have breached (for the
    # metrics' breach counter, which counts each one once per process)
    breaches: list[str] = field(default_factory=list)


@dataclass
class CycleReport:
    started: datetime
    desks: list[DeskReport]
    duration: float = 0.0
    dry_run: bool = False

    @property
    def ok(self) -> bool:
        """No desk failed and no ticket failed (a conflict is re-read next cycle: not a
        failure); `run` exits 1 otherwise."""
        return not any(desk.failed or desk.errors for desk in self.desks)

    def totals(self) -> dict[str, Any]:
        """The summary's figures, for the text line and the JSON log record."""
        return {
            "desks": len(self.desks),
            "seen": sum(d.seen for d in self.desks),
            "escalated": sum(d.escalated for d in self.desks),
            "errors": sum(d.errors for d in self.desks) + sum(1 for d in self.desks if d.failed),
            "conflicts": sum(d.conflicts for d in self.desks),
            "notifications": sum(d.notifications for d in self.desks),
            "notify_failures": sum(d.notify_failures for d in self.desks),
            "calls": sum(d.calls for d in self.desks),
            "duration": round(self.duration, 3),
            "dry_run": self.dry_run,
        }

    def summary(self) -> str:
        t = self.totals()
        verb = "would write" if self.dry_run else "written"
        extra = f", {t['conflicts']} conflicts" if t["conflicts"] else ""
        return (
            f"cycle {to_iso(self.started)}: {t['desks']} desk(s), {t['seen']} tickets seen, "
            f"{t['escalated']} {verb}, {t['errors']} errors{extra}, {t['calls']} API calls, "
            f"{self.duration:.1f}s"
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
    return [policy.desks[name] for name in dict.fromkeys(names)]  # `--desk a --desk a`: once


def run_cycle(
    policy: Policy,
    *,
    now: datetime,
    connect: ConnectFn,
    notifier: Sender | None,
    audit: AuditLog | None = None,
    options: RunOptions = RunOptions(),
    stop: threading.Event | None = None,
    evaluator: Evaluator | None = None,
) -> CycleReport:
    """Process every selected desk once, concurrently and bounded."""
    started = time.monotonic()
    evaluator = evaluator or Evaluator(policy)
    desks = select_desks(policy, options.desks)
    begin = getattr(notifier, "begin_cycle", None)  # a Notifier's per-cycle budget
    if callable(begin):
        begin()
    halt = _Halt(stop or threading.Event())
    cycle = _Cycle(policy, evaluator, now, notifier, audit, options, halt)
    workers = max(1, min(options.concurrency, len(desks)))
    watchdog = None
    if options.budget is not None:
        watchdog = threading.Timer(options.budget, halt.expire, args=(options.budget,))
        watchdog.daemon = True
        watchdog.start()
    try:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="desk") as pool:
            reports = list(pool.map(lambda desk: cycle.desk(desk, connect), desks))
    finally:
        if watchdog is not None:
            watchdog.cancel()
    return CycleReport(
        started=now, desks=reports, duration=time.monotonic() - started, dry_run=options.dry_run
    )


class _Halt:
    """Why a cycle stops early: the run's stop (a signal) or the cycle's budget."""

    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop
        self.expired = threading.Event()

    def expire(self, budget: float) -> None:
        log.warning(
            "the cycle ran past its %.0fs budget: ending requests in flight; "
            "the remaining tickets wait for the next cycle",
            budget,
        )
        self.expired.set()
        abort_in_flight(f"the cycle ran past its {budget:.0f}s budget")

    def is_set(self) -> bool:
        return self.stop.is_set() or self.expired.is_set()


@dataclass
class _Cycle:
    policy: Policy
    evaluator: Evaluator
    now: datetime
    notifier: Sender | None
    audit: AuditLog | None
    options: RunOptions
    stop: _Halt

    def desk(self, desk: Desk, connect: ConnectFn) -> DeskReport:
        report = DeskReport(desk.name)
        started = time.monotonic()
        connector: Connector | None = None
        try:
            connector = connect(desk)
            # Read every candidate first, then write: offset-paged desks would
            # otherwise skip rows whose state the runner's own writes change.
            tickets = list(connector.candidates(shard=self.options.shard))
            self._rejected(connector, report)
            report.seen += len(tickets)
            self._unknown_priorities(desk, tickets)
            report.breaches = _breaches(tickets, self.policy, self.now)
            pairs = self._complete(connector, tickets)
            self._rejected(connector, report, read=False)  # a refresh's or history's
            size = max(1, self.options.batch)
            for start in range(0, len(pairs), size):
                chunk = pairs[start : start + size]
                writers = self._writers(desk, connector, len(chunk))
                if writers > 1:
                    done = self._concurrent_chunk(connector, chunk, report, writers)
                else:
                    done = self._chunk(connector, chunk, report)
                if not done:
                    why = "budget spent" if self.stop.expired.is_set() else "stop requested"
                    log.info("desk %s: %s, leaving the rest for the next cycle", desk.name, why)
                    break
        except EscaladaError as error:
            report.failed = str(error)
            log.error("desk %s failed: %s", desk.name, error)
        except Exception as error:  # noqa: BLE001 - one desk's bug must not stop the others
            report.failed = _describe_internal(error)
            # the traceback only with --debug (DESIGN.md: one line per error)
            log.error(
                "desk %s failed: %s",
                desk.name,
                report.failed,
                exc_info=log.isEnabledFor(logging.DEBUG),
            )
        finally:
            report.calls = connector.calls if connector is not None else 0
            if connector is not None:
                connector.close()
            report.duration = time.monotonic() - started
        return report

    def _unknown_priorities(self, desk: Desk, tickets: Sequence[Ticket]) -> None:
        """One warning per desk and cycle for tickets whose priority the policy does not
        define (they run with no SLA targets): the count, and a few of them."""
        matrix = self.policy.matrix
        if matrix is None:
            return
        unknown = []
        for ticket in tickets:
            try:
                priority = self.evaluator.settle_priority(ticket).effective
            except Exception:  # noqa: BLE001 - the per-ticket step reports the error
                continue
            if priority is not None and priority not in matrix.priorities:
                unknown.append((ticket.key, priority))
        if not unknown:
            return
        shown = ", ".join(key for key, _ in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        names = ", ".join(dict.fromkeys(p for _, p in unknown))
        log.warning(
            "desk %s: %d ticket(s) have a priority the policy does not define (%s): %s%s; "
            "they run with no SLA targets: add the priority to the matrix, or map the desk's "
            "value onto one in the Desk's `priorities`",
            desk.name,
            len(unknown),
            names,
            shown,
            more,
        )

    @staticmethod
    def _rejected(connector: Connector, report: DeskReport, *, read: bool = True) -> None:
        """The records the read left out (escalada.connectors.records): each one
        ticket's error, on one line; the desk's other tickets go on (`read`: first
        read, so counted as seen too)."""
        for error in rejected(connector):
            report.seen += read
            report.errors += 1
            log.error("%s", error)

    def _complete(
        self, connector: Connector, tickets: list[Ticket]
    ) -> list[tuple[Ticket, Decision | None]]:
        """Partially read tickets that have something due, re-read in full (batched);
        with each ticket, its decision when the partial read already made it."""
        decided: dict[str, Decision] = {}
        due = []
        for t in tickets:
            if t.partial:
                decision = self._partial_decision(t)
                if decision is None:
                    due.append(t)
                else:
                    decided[t.key] = decision
        fresh = {t.key: t for t in connector.refresh(due)} if due else {}
        gone = {t.key for t in due} - fresh.keys()  # solved or out of scope since the read
        complete = [(fresh.get(t.key, t), decided.get(t.key)) for t in tickets if t.key not in gone]
        return self._with_history(connector, complete)

    def _with_history(
        self, connector: Connector, pairs: list[tuple[Ticket, Decision | None]]
    ) -> list[tuple[Ticket, Decision | None]]:
        """The tickets with a time-based action due, decided again with their status
        history read from the desk (the SLA clock pauses on what it shows), in one
        `history` call for all of them; the others as they are. A desk without the
        capability, or a ticket whose history is already known, is decided as read."""
        history = getattr(connector, "history", None)
        if history is None:
            return pairs
        decided: list[tuple[Ticket, Decision | None]] = []
        wanted: dict[str, Ticket] = {}
        for ticket, decision in pairs:
            if decision is None:
                try:
                    decision = self.evaluator.evaluate(ticket, self.now)
                except Exception:  # noqa: BLE001 - the per-ticket step reports the error
                    decision = None
            if decision is not None and not ticket.status_history and _due_by_time(decision):
                wanted[ticket.key] = ticket
            decided.append((ticket, decision))
        if not wanted:
            return decided
        read = {t.key: t for t in history(list(wanted.values()))}
        return [(read[t.key], None) if t.key in read else (t, decision) for t, decision in decided]

    def _partial_decision(self, ticket: Ticket) -> Decision | None:
        """The decision on a partial read when it has nothing due; None when the ticket
        needs the full read (something due, a pending token, or an error)."""
        if ticket.escalation.pending:
            return None
        try:
            decision = self.evaluator.evaluate(ticket, self.now)
        except Exception:  # noqa: BLE001 - refresh it; the per-ticket step reports the error
            return None
        return None if decision.actions else decision

    def _chunk(
        self,
        connector: Connector,
        chunk: Sequence[tuple[Ticket, Decision | None]],
        report: DeskReport,
    ) -> bool:
        """Write each ticket of the chunk, then send the chunk's messages and clear the
        pending tokens of the tickets whose messages went out. A stop (or the budget)
        ends the writes, and a desk gone down ends the desk, after the tickets already
        written are flushed. False when the cycle was stopped."""
        written: list[_Written] = []
        try:
            for ticket, decision in chunk:
                if self.stop.is_set():
                    self._flush(connector, written, report)
                    return False
                waiting = self.ticket(connector, ticket, report, decision)
                if waiting is not None:
                    written.append(waiting)
        except DeskUnavailable:
            self._flush(connector, written, report, desk_down=True)
            raise
        self._flush(connector, written, report)
        return True

    def _writers(self, desk: Desk, connector: Connector, tickets: int) -> int:
        """The chunk's writes in flight: RunOptions.writers, else what the account's
        budget can use (RateBudget.in_flight, from its rate and the calls' latency
        so far); 1 for a desk type without concurrent writes, and in a dry run."""
        if self.options.dry_run or tickets < 2 or not _concurrent_writes(desk):
            return 1
        if self.options.writers is not None:
            return max(1, min(self.options.writers, tickets))
        budget = getattr(connector, "budget", None)
        if not isinstance(budget, RateBudget):
            return 1
        return min(budget.in_flight(), tickets)

    def _concurrent_chunk(
        self,
        connector: Connector,
        chunk: Sequence[tuple[Ticket, Decision | None]],
        report: DeskReport,
        writers: int,
    ) -> bool:
        """`_chunk` with up to `writers` of the chunk's writes in flight at once.

        The threads only call `connector.apply`; this thread plans each ticket
        (the engine's decision) and takes the results in ticket order, so the
        report, the audit trail and the messages come out as a sequential chunk's
        would. No write starts once the cycle is stopping or the desk is down (or
        its audit fails); the writes in flight finish, and the tickets written
        are flushed as `_chunk` flushes them."""
        planned: list[tuple[Ticket, _Plan | None | Exception]] = []
        for ticket, decision in chunk:
            try:
                planned.append((ticket, self._plan(ticket, decision)))
            except Exception as error:  # noqa: BLE001 - the ticket's error, reported in order
                planned.append((ticket, error))
        halted = threading.Event()  # the desk is down, or its audit failed: start no write

        def write(plan: _Plan) -> ApplyResult | None | _NotStarted:
            if self.stop.is_set() or halted.is_set():
                return NOT_STARTED
            try:
                return self._write(connector, plan)
            except DeskUnavailable:
                halted.set()
                raise
            except Exception:
                raise  # the ticket's own error (a conflict, a refused value)
            except BaseException:
                halted.set()  # the process is going down: nothing more goes out
                raise

        written: list[_Written] = []
        down: list[DeskUnavailable] = []
        stopped: list[bool] = []

        def take(
            ticket: Ticket, plan: _Plan | None | Exception, future: Future[Any] | None
        ) -> None:
            """One ticket's outcome, in ticket order, on this thread (as `ticket` would)."""
            if future is None or not isinstance(plan, _Plan):
                # a ticket whose decision failed: reported unless the writes ended before
                # it (a sequential chunk would not have reached it either)
                if isinstance(plan, Exception) and not (self.stop.is_set() or halted.is_set()):
                    self._write_failed(ticket, plan, report)
                return
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - one ticket must not stop the desk
                report.decisions.append(plan.decision)
                try:
                    self._write_failed(ticket, error, report)
                except DeskUnavailable as unavailable:
                    down.append(unavailable)
                return
            if isinstance(result, _NotStarted):
                stopped.append(True)
                return
            report.decisions.append(plan.decision)
            try:
                waiting = self._record(plan, result, report)
            except AuditFailed:
                raise
            except Exception as error:  # noqa: BLE001 - one ticket must not stop the desk
                self._write_failed(ticket, error, report)
                return
            if waiting is not None:
                written.append(waiting)

        pool = ThreadPoolExecutor(max_workers=writers, thread_name_prefix=WRITING_THREADS)
        queue = iter(planned)
        window: deque[tuple[Ticket, _Plan | None | Exception, Future[Any] | None]] = deque()

        def top_up() -> None:
            """Keep `writers` writes going, never more than that ahead of the results
            taken (so no more than that are made that the audit may fail to record)."""
            going = sum(1 for _, _, future in window if future is not None)
            while going < writers:
                item = next(queue, None)
                if item is None:
                    return
                ticket, plan = item
                future = pool.submit(write, plan) if isinstance(plan, _Plan) else None
                window.append((ticket, plan, future))
                going += future is not None

        try:
            top_up()
            while window:
                take(*window[0])
                window.popleft()
                top_up()
        except BaseException:
            halted.set()  # AuditFailed, or the process going down: nothing more starts
            raise
        finally:
            pool.shutdown(wait=True, cancel_futures=True)
        if down:
            self._flush(connector, written, report, desk_down=True)
            raise down[0]
        self._flush(connector, written, report)
        return not stopped

    def ticket(
        self,
        connector: Connector,
        ticket: Ticket,
        report: DeskReport,
        decision: Decision | None,
    ) -> _Written | None:
        """Write one ticket's desk actions; the ticket, as written, when its channel
        messages are still to go out."""
        try:
            plan = self._plan(ticket, decision)
            if plan is None:
                return None
            report.decisions.append(plan.decision)
            return self._record(plan, self._write(connector, plan), report)
        except Exception as error:  # noqa: BLE001 - one ticket must not stop the desk
            self._write_failed(ticket, error, report)
            return None

    def _write_failed(self, ticket: Ticket, error: Exception, report: DeskReport) -> None:
        """Count, log and audit one ticket's failed write. A failed audit write and a
        desk down (or rate-limiting past the retry budget) end the desk's part of the
        cycle and are raised again: trying each remaining ticket would cost the budget
        again per ticket, and writes the audit cannot record must not be made."""
        if isinstance(error, AuditFailed):
            raise error  # one line, where the desk's part ends
        if isinstance(error, ConflictError):
            report.conflicts += 1
            log.warning(
                "%s: changed on the desk while being written; next cycle re-reads it (%s)",
                ticket.key,
                error.message,
            )
            self._audit(ticket, ticket.escalation.level, "write", str(error), "conflict")
            return
        report.errors += 1
        if isinstance(error, DeskUnavailable):
            self._audit(ticket, ticket.escalation.level, "write", str(error), f"failed: {error}")
            raise error
        shown = error if isinstance(error, EscaladaError) else _describe_internal(error)
        log.error(
            "%s: %s",
            ticket.key,
            shown,
            exc_info=log.isEnabledFor(logging.DEBUG) and not isinstance(error, EscaladaError),
        )
        self._audit(ticket, ticket.escalation.level, "write", str(error), f"failed: {error}")

    def _plan(self, ticket: Ticket, decision: Decision | None) -> _Plan | None:
        """What one ticket is due: its decision (made now, unless the read made it),
        the actions to write and the channel messages; None when nothing is."""
        if decision is None:
            decision = self.evaluator.evaluate(ticket, self.now)
        resend = self._resend(ticket, decision)
        actions = _stamped([*decision.actions, *resend], self.now, self.options.policy_revision)
        if not actions:
            return None
        if resend:
            decision = replace(decision, actions=tuple(actions))
        channel_actions = [a for a in actions if a.type in CHANNEL_ACTIONS and a.channels]
        desk_actions = [a for a in actions if a.type != "notify"]  # an update is also a note
        if channel_actions:
            desk_actions = _with_pending(desk_actions, ticket.escalation, pending=True)
        # a mark of the state already on the desk (a re-send's pending) writes nothing
        desk_actions = [
            a for a in desk_actions if not (a.type == "mark" and a.state == ticket.escalation)
        ]
        return _Plan(ticket, decision, tuple(actions), tuple(channel_actions), tuple(desk_actions))

    def _write(self, connector: Connector, plan: _Plan) -> ApplyResult | None:
        """The plan's one desk write (None: a dry run, or nothing to write). The only
        step `_concurrent_chunk` runs off this thread."""
        if self.options.dry_run or not plan.desk_actions:
            return None
        return connector.apply(plan.ticket, list(plan.desk_actions))

    def _record(
        self, plan: _Plan, result: ApplyResult | None, report: DeskReport
    ) -> _Written | None:
        """Count and audit a planned ticket once its write is done; the ticket, as
        written, when its channel messages are still to go out."""
        ticket, decision = plan.ticket, plan.decision
        waiting = _Written(ticket, ticket, decision, (), ticket.escalation.level, False)
        if self.options.dry_run:
            for action in plan.actions:
                self._audit_action(waiting, action, "dry-run")
            report.escalated += 1
            report.actions += len(plan.actions)
            return None
        written = ticket
        if plan.desk_actions:
            revision = result.revision if result is not None else None
            written = _after_write(ticket, plan.desk_actions, revision)
            report.escalated += 1
            report.writes += 1
            report.actions += len(plan.desk_actions)
            for action in plan.desk_actions:
                self._audit_action(waiting, action, "ok")
        if not plan.channel_actions:
            return None
        return replace(
            waiting,
            ticket=written,
            channel_actions=plan.channel_actions,
            wrote=bool(plan.desk_actions),
        )

    def _flush(
        self,
        connector: Connector,
        written: Sequence[_Written],
        report: DeskReport,
        *,
        desk_down: bool = False,
    ) -> None:
        """Send the written tickets' messages, then clear the pending tokens of those
        that some channel took (or may have: never sent again). A ticket no channel
        took keeps its token: a cycle past the resend lease retries it."""
        if not written:
            return
        if self.stop.is_set() and len(written) > 1:
            # stopping: a signal leaves requests a few seconds (then refuses new ones),
            # so each ticket is confirmed as soon as its messages are out: a cut-off
            # leaves at most the ticket in hand in the gap, as before chunks
            for waiting in written:
                self._flush(connector, [waiting], report, desk_down=desk_down)
            return
        to_clear = []
        for waiting, (sent, failed, maybe) in zip(written, self._notify(written), strict=True):
            report.notifications += sent
            report.notify_failures += failed
            if sent == 0 and maybe == 0:
                log.warning(
                    "%s: no channel took the notifications; the pending token stays and a "
                    "cycle %d minutes after this write retries them",
                    waiting.original.key,
                    self.options.resend_after.total_seconds() // 60,
                )
                continue
            to_clear.append(waiting)
        if to_clear:
            self._clear(connector, to_clear, report, desk_down=desk_down)

    def _clear(
        self,
        connector: Connector,
        items: Sequence[_Written],
        report: DeskReport,
        *,
        desk_down: bool,
    ) -> None:
        """Clear the items' pending tokens: one `clear_pending` call where the desk has
        it, else one clearing `apply` per ticket. A token left on the desk is re-sent
        past the lease (the gap: those messages go out twice, marked as re-sent)."""
        clear_many = getattr(connector, "clear_pending", None)
        if clear_many is None:
            for n, waiting in enumerate(items):
                try:
                    self._clear_one(connector, waiting, report)
                except DeskUnavailable:
                    self._left_pending(items[n + 1 :], "the desk is unavailable")
                    if desk_down:
                        return
                    raise
            return
        try:
            cleared = {t.key for t in clear_many([w.ticket for w in items])}
        except DeskUnavailable as error:
            report.errors += 1
            self._left_pending(items, str(error))
            if desk_down:
                return
            raise
        except AuditFailed:
            raise
        except Exception as error:  # noqa: BLE001 - the tokens stay; the lease re-sends
            report.errors += 1
            shown = error if isinstance(error, EscaladaError) else _describe_internal(error)
            self._left_pending(items, str(shown))
            return
        report.writes += 1
        left = [w for w in items if w.ticket.key not in cleared]
        for waiting in items:
            if waiting.ticket.key in cleared:
                if not waiting.wrote:  # a re-send: this is the ticket's only write
                    report.escalated += 1
                self._audit_action(waiting, _cleared(waiting), "ok")
        if left:
            self._left_pending(left, "the desk did not clear it (edited meanwhile?)")

    def _clear_one(self, connector: Connector, waiting: _Written, report: DeskReport) -> None:
        ticket = waiting.original
        cleared = _cleared(waiting)
        try:
            connector.apply(waiting.ticket, [cleared])
        except Exception as error:  # noqa: BLE001 - one ticket must not stop the desk
            self._write_failed(ticket, error, report)
            return
        if not waiting.wrote:  # a re-send: this is the ticket's only write
            report.escalated += 1
        report.writes += 1
        self._audit_action(waiting, cleared, "ok")

    def _left_pending(self, items: Sequence[_Written], why: str) -> None:
        for waiting in items:
            log.warning(
                "%s: notifications sent but the pending token is not cleared (%s); a cycle "
                "%d minutes after this write sends them again, marked as re-sent",
                waiting.original.key,
                why,
                self.options.resend_after.total_seconds() // 60,
            )
            self._audit_action(waiting, _cleared(waiting), f"failed: {why}")

    def _audit_action(self, waiting: _Written, action: Action, result: str) -> None:
        decision = waiting.decision
        self._audit(
            waiting.original,
            decision.level,
            action.type,
            action.reason,
            result,
            level_from=waiting.level_from,
            path=decision.path or waiting.original.escalation.path,
            decision=decision,
            escalation=decision.escalated and action.type not in _NOT_ESCALATION,
        )

    def _resend(self, ticket: Ticket, decision: Decision) -> list[Action]:
        """The current level's notifications when a run left them unsent (its `pending`
        token is older than the resend lease); none when the decision announces or
        clears anything itself (a new announcement supersedes the old one)."""
        state = ticket.escalation
        if not state.pending or any(a.type in ("notify", "clear") for a in decision.actions):
            return []
        started = _pending_since(ticket)
        if started is not None and self.now - started < self.options.resend_after:
            return []
        paths = {name.casefold(): path for name, path in self.policy.paths.items()}
        path = paths.get((state.path or "").casefold())
        team = None
        if path is not None and 0 <= state.level < len(path.levels):
            team = self.evaluator.teams.resolve(path.levels[state.level].team, self.now)
        if team is None or not team.channels:
            no_one = replace(state, pending=False)
            return [Action("mark", "no channel to notify: pending token cleared", state=no_one)]
        when = to_iso(started) if started else "an earlier cycle"
        reason = (
            f"Escalated to level {state.level} ({team.name}) on {path.name if path else '-'} "
            f"(notification re-sent: the run of {when} stopped before confirming it)"
        )
        return [Action("notify", reason, team=team.name, channels=tuple(team.channels))]

    def _notify(self, written: Sequence[_Written]) -> list[tuple[int, int, int]]:
        """Send each written ticket's actions to each of their channels, all at once
        through `send_many` where the notifier has it: per ticket, (messages sent,
        messages failed, of those failed, the ones that may have been delivered:
        never sent again)."""
        items: list[tuple[int, Action, str, Notification]] = []
        for n, waiting in enumerate(written):
            ticket, decision = waiting.original, waiting.decision
            for action in waiting.channel_actions:
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
                    items.append((n, action, channel, message))
        results: list[NotifyResult | None]
        send_many = getattr(self.notifier, "send_many", None)
        if self.notifier is None:
            results = [None] * len(items)
        elif send_many is not None:
            results = list(send_many([(channel, message) for _, _, channel, message in items]))
        else:
            results = [self.notifier.send(channel, message) for _, _, channel, message in items]
        counts = [[0, 0, 0] for _ in written]
        for (n, action, channel, _), result in zip(items, results, strict=True):
            ticket, decision = written[n].original, written[n].decision
            if result is None:
                result_text, ok = "not sent: no notifier", False
            else:
                ok = result.ok
                result_text = "sent" if ok else f"not sent: {result.error}"
                if result.maybe_delivered:
                    counts[n][2] += 1
                    result_text = f"unconfirmed: {result.error}"
            if ok:
                counts[n][0] += 1
            else:
                counts[n][1] += 1
                log.warning("%s: channel %s: %s", ticket.key, channel, result_text)
            self._audit(
                ticket,
                decision.level,
                f"{action.type}:{channel}",
                action.reason,
                result_text,
                path=decision.path or ticket.escalation.path,
                decision=decision,
                escalation=decision.escalated and action.type not in _NOT_ESCALATION,
            )
        return [(sent, failed, maybe) for sent, failed, maybe in counts]

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
        decision: Decision | None = None,
        escalation: bool = False,
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
                policy_revision=self.options.policy_revision,
                priority=decision.priority if decision else ticket.priority,
                team=decision.team if decision else ticket.team,
                status=ticket.status,
                escalation=escalation,
                trigger=decision.trigger if decision and escalation else None,
            )
        )


@dataclass(frozen=True, slots=True)
class _Plan:
    """One ticket of a chunk, decided: the actions due, the channel messages among
    them, and what is written on the desk (the actions with the pending token)."""

    ticket: Ticket
    decision: Decision
    actions: tuple[Action, ...]
    channel_actions: tuple[Action, ...]
    desk_actions: tuple[Action, ...]


class _NotStarted:
    """A write of a concurrent chunk that did not start: the cycle was stopping."""


NOT_STARTED = _NotStarted()


@dataclass(frozen=True, slots=True)
class _Written:
    """A ticket of the chunk in hand: written (or, for a re-send, as read), its
    channel messages still to go out and its pending token still to be cleared."""

    ticket: Ticket  # as the desk now holds it, with its pending token
    original: Ticket  # as read this cycle (what the audit's "from" describes)
    decision: Decision
    channel_actions: tuple[Action, ...]
    level_from: int
    wrote: bool  # whether this cycle wrote the ticket before its messages (not a re-send)


def _cleared(waiting: _Written) -> Action:
    """The mark that confirms a written ticket's messages: its token cleared."""
    state = replace(waiting.ticket.escalation, pending=False)
    return Action("mark", "notifications sent", state=state)


def _concurrent_writes(desk: Desk) -> bool:
    """Whether the desk's type declares its connector's writes safe at once."""
    try:
        return desk_kind(desk.type).concurrent_writes
    except EscaladaError:  # not a registered type (a test's own connector)
        return False


def _due_by_time(decision: Decision) -> bool:
    """Whether a decision's writes come from the clock (a time threshold or a
    stakeholder update), which a pause in the ticket's history could defer."""
    if decision.escalated and decision.trigger is None:
        return True
    return any(action.type == "update" for action in decision.actions)


def _breaches(tickets: Sequence[Ticket], policy: Policy, now: datetime) -> list[str]:
    from escalada.report.sla import breached_now

    found = []
    for ticket in tickets:
        try:
            targets = breached_now(ticket, policy, now)
        except ValueError:  # a calendar that never opens: the engine reports it
            continue
        found += [f"{ticket.key}:{target}" for target in targets]
    return found


def _describe_internal(error: BaseException) -> str:
    """One line for an exception escalada did not turn into an EscaladaError."""
    if isinstance(error, ValueError) and type(error).__name__ == "JSONDecodeError":
        return (
            "the desk answered with a body that is not JSON (a proxy or maintenance "
            "page?); the next cycle will try again"
        )
    text = " ".join(str(error).split())[:300]
    return f"internal error: {type(error).__name__}: {text} (run with --debug for the traceback)"


def _pending_since(ticket: Ticket) -> datetime | None:
    """When the pending token was written, at the latest: the marker's stamps (the
    writing cycle's instant) or the desk's last update of the ticket, if later."""
    state = ticket.escalation
    moments = [m for m in (state.since, state.updated, ticket.updated) if m is not None]
    moments = [m if m.tzinfo else m.replace(tzinfo=timezone.utc) for m in moments]
    return max(moments) if moments else None


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


def _stamped(actions: list[Action], now: datetime, revision: str | None) -> list[Action]:
    """The marks that announce a level (stamped `since` now) carry the policy revision;
    other marks keep the revision of the escalation they belong to."""
    if revision is None:
        return actions
    out = []
    for action in actions:
        state = action.state
        if action.type == "mark" and state is not None and state.path and state.since == now:
            action = replace(action, state=replace(state, policy=revision))
        out.append(action)
    return out
