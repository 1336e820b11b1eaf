"""`escalada run`: policy, desks, notifier, audit and metrics wired around the
runner's cycle, once or in a loop that stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import json
import logging
import os
import re
import signal
import threading
import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import replace
from datetime import datetime
from datetime import timezone
from typing import Any

import click

from escalada import logs
from escalada.audit import AuditLog
from escalada.connectors import connect
from escalada.connectors.base import Connector
from escalada.connectors.base import Shard
from escalada.connectors.http import abort_all
from escalada.connectors.http import resume
from escalada.errors import EscaladaError
from escalada.errors import PolicyInvalid
from escalada.instants import to_iso
from escalada.metrics import Counters
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.runner.cycle import run_cycle
from escalada.runner.options import RunOptions
from escalada.runner.reports import CycleReport
from escalada.terminal import safe
from escalada.ticket import Decision

log = logging.getLogger("escalada.runner")


# ASCII digits only (int() would take "٣" and "1_0"); a few digits each
_SHARD = re.compile(r"(?P<index>[0-9]{1,6})/(?P<count>[0-9]{1,6})")
MAX_SHARDS = 10000


def parse_shard(text: str) -> Shard:
    """`I/N` -> Shard; ValueError with the accepted form otherwise."""
    found = _SHARD.fullmatch(text.strip())
    if found is None or not 0 <= int(found["index"]) < int(found["count"]) <= MAX_SHARDS:
        raise ValueError(
            f"{text!r} is not a shard: write I/N with 0 <= I < N, e.g. 0/4 "
            f"(ASCII digits, N at most {MAX_SHARDS})"
        )
    return Shard(int(found["index"]), int(found["count"]))


def shard_from_env(environ: Mapping[str, str]) -> Shard | None:
    """A Kubernetes Indexed Job sets JOB_COMPLETION_INDEX; the count comes from
    ESCALADA_SHARD_COUNT (set it to the Job's `completions`)."""
    index = environ.get("JOB_COMPLETION_INDEX")
    count = environ.get("ESCALADA_SHARD_COUNT")
    if index is None:
        return None
    if count is None:
        # every pod of the Indexed Job would do all the work
        raise EscaladaError(
            f"JOB_COMPLETION_INDEX={index} is set but ESCALADA_SHARD_COUNT is not",
            hint="set ESCALADA_SHARD_COUNT to the Job's completions (see deploy/kubernetes), "
            "or unset JOB_COMPLETION_INDEX to run unsharded",
        )
    try:
        return parse_shard(f"{index}/{count}")
    except ValueError as error:
        raise EscaladaError(
            f"JOB_COMPLETION_INDEX={index} and ESCALADA_SHARD_COUNT={count}: {error}"
        ) from None


@dataclass(frozen=True, slots=True)
class RunSettings:
    policy_paths: tuple[str, ...]
    options: RunOptions
    interval: float | None  # None: one cycle
    audit: str | None = None
    metrics: str | None = None
    # json: the summary and dry-run decisions print as JSON lines; None: as logs.configure chose
    log_format: str | None = None


def main(
    policy_paths: tuple[str, ...],
    *,
    interval: float | None,
    dry_run: bool,
    desks: tuple[str, ...],
    shard: Shard | None,
    audit: str | None,
    metrics: str | None,
    log_format: str,
    concurrency: int,
    debug: bool,
) -> int:
    """`escalada run`: one cycle, or one every `interval` seconds until a signal.
    The shard, when not given, comes from the environment (`shard_from_env`)."""
    from escalada.revision import policy_revision

    logs.configure(log_format, debug=debug)
    settings = RunSettings(
        policy_paths=policy_paths,
        options=RunOptions(
            desks=desks,
            dry_run=dry_run,
            shard=shard or shard_from_env(os.environ),
            concurrency=concurrency,
            policy_revision=policy_revision(policy_paths),
        ),
        interval=interval,
        audit=audit,
        metrics=metrics,
    )
    return execute(settings, echo=click.echo)


def execute(
    settings: RunSettings,
    *,
    echo: Callable[[str], Any],
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    connect_fn: Callable[..., Connector] = connect,
    install_signals: bool = True,
    stop: threading.Event | None = None,
) -> int:
    """Run once or in a loop; the exit code is 1 when any desk failed in the last cycle.

    `connect_fn(desk, needs=needs)` builds each desk's connector (`needs`, from
    the policy, tells a connector what its reads must fetch, e.g. latest comments;
    a sharded run adds `shard=`, which takes 1/N of the desk's rate budget)."""
    from escalada.engine.evaluator import Evaluator
    from escalada.engine.readneeds import read_needs
    from escalada.notify import Notifier
    from escalada.policy.validate import load_policy

    resume()  # requests are allowed again (an earlier run in this process was stopped)
    try:
        policy = load_policy(settings.policy_paths)
    except PolicyInvalid as invalid:
        _log_findings(invalid)
        raise
    reloader = PolicyReloader(settings.policy_paths, settings.options.policy_revision, policy)
    evaluator = Evaluator(policy)
    needs = read_needs(policy)
    notifier = Notifier(policy.channels)
    options = settings.options
    audit = AuditLog(settings.audit)
    counters = Counters()  # the metrics' _total series: this process's every cycle
    audit.check()  # before the first write: a bad path stops here with one line
    stop = stop or threading.Event()
    restore = _stop_on_signals(stop) if install_signals else None

    shard = settings.options.shard

    def connector(desk: Desk) -> Connector:
        # a shard takes its part of the desk account's rate budget (escalada.pacing)
        if shard is None:
            return connect_fn(desk, needs=needs)
        return connect_fn(desk, needs=needs, shard=shard)

    def cycle() -> CycleReport:
        nonlocal policy, evaluator, needs, notifier, options
        fresh = reloader.reload()  # each cycle runs the policy as its files are now
        if fresh is not None:
            policy = fresh
            evaluator, needs, notifier = (
                Evaluator(policy),
                read_needs(policy),
                Notifier(policy.channels),
            )
            options = replace(options, policy_revision=reloader.revision)
        return run_cycle(
            policy,
            now=clock(),
            connect=connector,
            notifier=notifier,
            audit=audit,
            options=options,
            stop=stop,
            evaluator=evaluator,
        )

    def report(result: CycleReport) -> None:
        as_json = (settings.log_format or logs.current_format()) == "json"
        for desk in result.desks:
            if settings.options.dry_run:
                for decision in desk.decisions:
                    echo(
                        decision_json(desk.desk, decision)
                        if as_json
                        else describe(desk.desk, decision)
                    )
            if desk.failed and not as_json:
                echo(f"desk {desk.desk} failed: {desk.failed}")
        echo(summary_json(result) if as_json else result.summary())
        if settings.metrics:
            from escalada.metrics import write_textfile

            counters.add(result)
            write_textfile(settings.metrics, result, counters)

    try:
        if settings.interval is None:
            result = cycle()
            report(result)
            return 0 if result.ok else 1
        ok = run_loop(cycle, interval=settings.interval, stop=stop, on_report=report)
        return 0 if ok or stop.is_set() else 1
    finally:
        audit.close()
        if restore is not None:
            restore()


class PolicyReloader:
    """The policy of each cycle: its files are read again when their bytes changed
    (`policy_digest`); a new version that is invalid (or unreadable) leaves the last
    good one running, and is said once per version, not once per cycle."""

    def __init__(self, paths: Sequence[str], revision: str | None, policy: Policy) -> None:
        self.paths = tuple(paths)
        self.revision = revision  # what markers and audit records name (None: not kept)
        self.policy = policy
        self._digest = self._read_digest()
        self._refused: str | None = None  # the digest of the invalid version last said

    def _read_digest(self) -> str | None:
        from escalada.policy.load.files import policy_files
        from escalada.revision import policy_digest

        try:
            files, _ = policy_files(self.paths)
        except (EscaladaError, OSError):
            return None
        return policy_digest(files)

    def reload(self) -> Policy | None:
        """The new policy when the files changed and validate; None to keep the current."""
        from escalada.policy.validate import load_policy
        from escalada.revision import policy_revision

        digest = self._read_digest()
        if digest is None or digest == self._digest or digest == self._refused:
            return None
        try:
            policy = load_policy(self.paths)
        except EscaladaError as error:
            self._refused = digest
            if isinstance(error, PolicyInvalid):
                _log_findings(error)
            log.error(
                "the policy changed but cannot be used: %s; the runner keeps the policy it "
                "had%s until the files are fixed",
                error,
                f" (revision {self.revision})" if self.revision else "",
            )
            return None
        self._digest, self._refused, self.policy = digest, None, policy
        if self.revision is not None:
            self.revision = policy_revision(self.paths)
        log.info(
            "the policy changed: reloaded%s",
            f" (revision {self.revision})" if self.revision else "",
        )
        return policy


def _log_findings(invalid: PolicyInvalid) -> None:
    """Every finding of an invalid policy, as `validate` prints them (the error line
    that ends the run names only the first)."""
    for finding in invalid.findings:
        log.log(
            logging.ERROR if finding.severity == "error" else logging.WARNING,
            "%s: %s %s %s",
            finding.where,
            finding.severity,
            finding.code,
            finding.message,
            extra={"finding": finding.as_json()},
        )


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


def describe(desk: str, decision: Decision) -> str:
    """One decision as the lines a dry run prints."""
    head = f"{desk} {decision.ticket}: {decision.path or '-'} level {decision.level}"
    if decision.team:
        head += f" ({decision.team})"
    # most actions of a decision share one reason: print each reason once, after
    # the actions that carry it (`notify` with its channels)
    by_reason: dict[str, list[str]] = {}
    for action in decision.actions:
        label: str = action.type
        if action.channels:
            label += f" {'+'.join(action.channels)}"
        by_reason.setdefault(action.reason, []).append(label)
    lines = [head] + [f"  {', '.join(labels)}: {reason}" for reason, labels in by_reason.items()]
    return "\n".join(safe(line) for line in lines)  # ticket text: each line stays one line


def decision_json(desk: str, decision: Decision) -> str:
    """One decision as the JSON line a dry run prints with `--log-format json`."""
    return json.dumps(
        {
            "event": "decision",
            "desk": desk,
            "ticket": decision.ticket,
            "path": decision.path,
            "level": decision.level,
            "team": decision.team,
            "actions": [
                {
                    "type": a.type,
                    "reason": a.reason,
                    **({"channels": list(a.channels)} if a.channels else {}),
                }
                for a in decision.actions
            ],
        },
        ensure_ascii=False,
    )


def summary_json(result: CycleReport) -> str:
    """The cycle summary as one JSON line: the totals, then each desk's figures."""
    return json.dumps(
        {
            "event": "cycle",
            "time": to_iso(result.started),
            "message": result.summary(),
            **result.totals(),
            "per_desk": [
                {
                    "desk": d.desk,
                    "seen": d.seen,
                    "escalated": d.escalated,
                    "errors": d.errors,
                    "conflicts": d.conflicts,
                    "calls": d.calls,
                    "duration": round(d.duration, 3),
                    "failed": d.failed,
                }
                for d in result.desks
            ],
        },
        ensure_ascii=False,
    )


STOP_GRACE = 3.0  # seconds a signal leaves the request in flight before ending it


def _stop_on_signals(stop: threading.Event) -> Callable[[], None] | None:
    """Set `stop` on SIGTERM/SIGINT; returns what puts the previous handlers back."""
    if threading.current_thread() is not threading.main_thread():
        return None

    def handle(signum: int, frame: Any) -> None:
        name = signal.Signals(signum).name
        if stop.is_set():  # a second signal: stop now
            log.info("%s received again: ending requests in flight", name)
            abort_all()
            return
        log.info(
            "%s received: finishing the tickets in hand, then stopping "
            "(a request still in flight after %.0fs is ended)",
            name,
            STOP_GRACE,
        )
        stop.set()
        # a request stuck on a slow server would hold the run: end it after a grace
        grace = threading.Timer(STOP_GRACE, abort_all)
        grace.daemon = True
        graces.append(grace)
        grace.start()

    graces: list[threading.Timer] = []
    previous = {sig: signal.signal(sig, handle) for sig in (signal.SIGTERM, signal.SIGINT)}

    def restore() -> None:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for grace in graces:  # the run is over: nothing in flight to end
            grace.cancel()
        resume()

    return restore
