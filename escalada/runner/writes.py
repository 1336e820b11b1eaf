"""The first half of a chunk: each due ticket planned and written (one `apply`),
one at a time or, where the desk type allows it, several in flight at once; the
tickets written are then handed to the delivery (escalada.runner.delivery)."""

from __future__ import annotations

import threading
from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from dataclasses import replace
from typing import Any

from escalada import marker
from escalada.audit import AuditFailed
from escalada.connectors.base import ApplyResult
from escalada.connectors.base import Connector
from escalada.connectors.registry import desk_kind
from escalada.errors import DeskUnavailable
from escalada.errors import EscaladaError
from escalada.pacing import RateBudget
from escalada.policy.model import Desk
from escalada.runner.delivery import Delivery
from escalada.runner.failures import write_failed
from escalada.runner.halt import Halt
from escalada.runner.options import RunOptions
from escalada.runner.plan import Plan
from escalada.runner.plan import Planner
from escalada.runner.plan import Written
from escalada.runner.reports import DeskReport
from escalada.runner.trail import Trail
from escalada.ticket import Action
from escalada.ticket import Decision
from escalada.ticket import EscalationState
from escalada.ticket import Ticket

WRITING_THREADS = "write"  # the name prefix of a concurrent chunk's threads (the bench reads it)


class _NotStarted:
    """A write of a concurrent chunk that did not start: the cycle was stopping."""


NOT_STARTED = _NotStarted()


@dataclass(frozen=True, slots=True)
class Writer:
    planner: Planner
    delivery: Delivery
    trail: Trail
    options: RunOptions
    stop: Halt

    def writers(self, desk: Desk, connector: Connector, tickets: int) -> int:
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

    def chunk(
        self,
        connector: Connector,
        chunk: Sequence[tuple[Ticket, Decision | None]],
        report: DeskReport,
    ) -> bool:
        """Write each ticket of the chunk, then send the chunk's messages and clear the
        pending tokens of the tickets whose messages went out. A stop (or the budget)
        ends the writes, and a desk gone down ends the desk, after the tickets already
        written are flushed. False when the cycle was stopped."""
        written: list[Written] = []
        try:
            for ticket, decision in chunk:
                if self.stop.is_set():
                    self.delivery.flush(connector, written, report)
                    return False
                waiting = self.ticket(connector, ticket, report, decision)
                if waiting is not None:
                    written.append(waiting)
        except DeskUnavailable:
            self.delivery.flush(connector, written, report, desk_down=True)
            raise
        self.delivery.flush(connector, written, report)
        return True

    def concurrent_chunk(
        self,
        connector: Connector,
        chunk: Sequence[tuple[Ticket, Decision | None]],
        report: DeskReport,
        writers: int,
    ) -> bool:
        """`chunk` with up to `writers` of the chunk's writes in flight at once.

        The threads only call `connector.apply`; this thread plans each ticket
        (the engine's decision) and takes the results in ticket order, so the
        report, the audit trail and the messages come out as a sequential chunk's
        would. No write starts once the cycle is stopping or the desk is down (or
        its audit fails); the writes in flight finish, and the tickets written
        are flushed as `chunk` flushes them."""
        planned: list[tuple[Ticket, Plan | None | Exception]] = []
        for ticket, decision in chunk:
            try:
                planned.append((ticket, self.planner.plan(ticket, decision)))
            except Exception as error:  # noqa: BLE001 - the ticket's error, reported in order
                planned.append((ticket, error))
        halted = threading.Event()  # the desk is down, or its audit failed: start no write

        def write(plan: Plan) -> ApplyResult | None | _NotStarted:
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

        written: list[Written] = []
        down: list[DeskUnavailable] = []
        stopped: list[bool] = []

        def take(ticket: Ticket, plan: Plan | None | Exception, future: Future[Any] | None) -> None:
            """One ticket's outcome, in ticket order, on this thread (as `ticket` would)."""
            if future is None or not isinstance(plan, Plan):
                # a ticket whose decision failed: reported unless the writes ended before
                # it (a sequential chunk would not have reached it either)
                if isinstance(plan, Exception) and not (self.stop.is_set() or halted.is_set()):
                    write_failed(self.trail, ticket, plan, report)
                return
            try:
                result = future.result()
            except Exception as error:  # noqa: BLE001 - one ticket must not stop the desk
                report.decisions.append(plan.decision)
                try:
                    write_failed(self.trail, ticket, error, report)
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
                write_failed(self.trail, ticket, error, report)
                return
            if waiting is not None:
                written.append(waiting)

        pool = ThreadPoolExecutor(max_workers=writers, thread_name_prefix=WRITING_THREADS)
        queue = iter(planned)
        window: deque[tuple[Ticket, Plan | None | Exception, Future[Any] | None]] = deque()

        def top_up() -> None:
            """Keep `writers` writes going, never more than that ahead of the results
            taken (so no more than that are made that the audit may fail to record)."""
            going = sum(1 for _, _, future in window if future is not None)
            while going < writers:
                item = next(queue, None)
                if item is None:
                    return
                ticket, plan = item
                future = pool.submit(write, plan) if isinstance(plan, Plan) else None
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
            self.delivery.flush(connector, written, report, desk_down=True)
            raise down[0]
        self.delivery.flush(connector, written, report)
        return not stopped

    def ticket(
        self,
        connector: Connector,
        ticket: Ticket,
        report: DeskReport,
        decision: Decision | None,
    ) -> Written | None:
        """Write one ticket's desk actions; the ticket, as written, when its channel
        messages are still to go out."""
        try:
            plan = self.planner.plan(ticket, decision)
            if plan is None:
                return None
            report.decisions.append(plan.decision)
            return self._record(plan, self._write(connector, plan), report)
        except Exception as error:  # noqa: BLE001 - one ticket must not stop the desk
            write_failed(self.trail, ticket, error, report)
            return None

    def _write(self, connector: Connector, plan: Plan) -> ApplyResult | None:
        """The plan's one desk write (None: a dry run, or nothing to write). The only
        step `concurrent_chunk` runs off this thread."""
        if self.options.dry_run or not plan.desk_actions:
            return None
        return connector.apply(plan.ticket, list(plan.desk_actions))

    def _record(self, plan: Plan, result: ApplyResult | None, report: DeskReport) -> Written | None:
        """Count and audit a planned ticket once its write is done; the ticket, as
        written, when its channel messages are still to go out."""
        ticket, decision = plan.ticket, plan.decision
        waiting = Written(ticket, ticket, decision, (), ticket.escalation.level, False)
        if self.options.dry_run:
            for action in plan.actions:
                self.trail.action(waiting, action, "dry-run")
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
                self.trail.action(waiting, action, "ok")
        if not plan.channel_actions:
            return None
        return replace(
            waiting,
            ticket=written,
            channel_actions=plan.channel_actions,
            wrote=bool(plan.desk_actions),
        )


def _concurrent_writes(desk: Desk) -> bool:
    """Whether the desk's type declares its connector's writes safe at once."""
    try:
        return desk_kind(desk.type).concurrent_writes
    except EscaladaError:  # not a registered type (a test's own connector)
        return False


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
