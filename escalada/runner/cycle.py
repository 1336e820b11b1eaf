"""One cycle: every selected desk at once (bounded), each desk's candidates read,
completed and decided (escalada.runner.reads), then written in chunks
(escalada.runner.writes) whose messages go out and whose pending tokens are
cleared (escalada.runner.delivery); within the cycle's budget."""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime

from escalada.audit import AuditLog
from escalada.connectors.base import Connector
from escalada.engine.evaluator import Evaluator
from escalada.errors import EscaladaError
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.runner.delivery import Delivery
from escalada.runner.failures import describe_internal
from escalada.runner.halt import Halt
from escalada.runner.options import ConnectFn
from escalada.runner.options import RunOptions
from escalada.runner.options import Sender
from escalada.runner.options import select_desks
from escalada.runner.plan import Planner
from escalada.runner.reads import Reader
from escalada.runner.reads import breaches
from escalada.runner.reports import CycleReport
from escalada.runner.reports import DeskReport
from escalada.runner.trail import Trail
from escalada.runner.writes import Writer

log = logging.getLogger("escalada.runner")  # one logger for the whole runner (docs/runner.md)


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
    halt = Halt(stop or threading.Event())
    trail = Trail(audit, now, options)
    writer = Writer(
        Planner(policy, evaluator, now, options),
        Delivery(notifier, trail, now, options, halt),
        trail,
        options,
        halt,
    )
    cycle = _Cycle(policy, now, options, halt, Reader(policy, evaluator, now), writer)
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


@dataclass(frozen=True, slots=True)
class _Cycle:
    """One desk's part of the cycle: the read, then the chunks, until done or stopped."""

    policy: Policy
    now: datetime
    options: RunOptions
    stop: Halt
    reader: Reader
    writer: Writer

    def desk(self, desk: Desk, connect: ConnectFn) -> DeskReport:
        report = DeskReport(desk.name)
        started = time.monotonic()
        connector: Connector | None = None
        try:
            connector = connect(desk)
            # Read every candidate first, then write: offset-paged desks would
            # otherwise skip rows whose state the runner's own writes change.
            tickets = list(connector.candidates(shard=self.options.shard))
            self.reader.rejected(connector, report)
            report.seen += len(tickets)
            self.reader.unknown_priorities(desk, tickets)
            report.breaches = breaches(tickets, self.policy, self.now)
            pairs = self.reader.complete(connector, tickets)
            self.reader.rejected(connector, report, read=False)  # a refresh's or history's
            size = max(1, self.options.batch)
            for start in range(0, len(pairs), size):
                chunk = pairs[start : start + size]
                writers = self.writer.writers(desk, connector, len(chunk))
                if writers > 1:
                    done = self.writer.concurrent_chunk(connector, chunk, report, writers)
                else:
                    done = self.writer.chunk(connector, chunk, report)
                if not done:
                    why = "budget spent" if self.stop.expired.is_set() else "stop requested"
                    log.info("desk %s: %s, leaving the rest for the next cycle", desk.name, why)
                    break
        except EscaladaError as error:
            report.failed = str(error)
            log.error("desk %s failed: %s", desk.name, error)
        except Exception as error:  # noqa: BLE001 - one desk's bug must not stop the others
            report.failed = describe_internal(error)
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
