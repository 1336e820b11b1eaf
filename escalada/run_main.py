"""`escalada run`: policy, desks, notifier, audit and metrics wired around the
runner's cycle, once or in a loop that stops cleanly on SIGTERM/SIGINT."""

from __future__ import annotations

import logging
import os
import signal
import threading
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone
from pathlib import Path
from typing import Any

from escalada.audit import AuditLog
from escalada.connectors import connect
from escalada.connectors.base import Shard
from escalada.errors import EscaladaError
from escalada.runner import CycleReport
from escalada.runner import RunOptions
from escalada.runner import run_cycle
from escalada.runner import run_loop
from escalada.ticket import Decision

log = logging.getLogger("escalada.runner")


def parse_shard(text: str) -> Shard:
    """`I/N` -> Shard; ValueError with the accepted form otherwise."""
    try:
        index, count = (int(part) for part in text.split("/"))
        return Shard(index, count)
    except ValueError:
        raise ValueError(f"{text!r} is not a shard: write I/N with 0 <= I < N, e.g. 0/4") from None


def shard_from_env(environ: Mapping[str, str]) -> Shard | None:
    """A Kubernetes Indexed Job sets JOB_COMPLETION_INDEX; the count comes from
    ESCALADA_SHARD_COUNT (set it to the Job's `completions`)."""
    index = environ.get("JOB_COMPLETION_INDEX")
    count = environ.get("ESCALADA_SHARD_COUNT")
    if index is None or count is None:
        return None
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


def execute(
    settings: RunSettings,
    *,
    echo: Callable[[str], Any],
    clock: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
    connect_fn: Callable[..., Any] = connect,
    install_signals: bool = True,
) -> int:
    """Run once or in a loop; the exit code is 1 when any desk failed in the last cycle."""
    from escalada.notify import Notifier
    from escalada.policy.engine import Evaluator
    from escalada.policy.validate import load_policy

    policy = load_policy(settings.policy_paths)
    evaluator = Evaluator(policy)
    notifier = Notifier(policy.channels)
    audit = AuditLog(settings.audit)
    stop = threading.Event()
    if install_signals:
        _stop_on_signals(stop)

    def cycle() -> CycleReport:
        return run_cycle(
            policy,
            now=clock(),
            connect=connect_fn,
            notifier=notifier,
            audit=audit,
            options=settings.options,
            stop=stop,
            evaluator=evaluator,
        )

    def report(result: CycleReport) -> None:
        for desk in result.desks:
            if settings.options.dry_run:
                for decision in desk.decisions:
                    echo(describe(desk.desk, decision))
            if desk.failed:
                echo(f"desk {desk.desk} failed: {desk.failed}")
        echo(result.summary())
        if settings.metrics:
            from escalada.metrics import write_textfile

            write_textfile(settings.metrics, result)

    try:
        if settings.interval is None:
            result = cycle()
            report(result)
            return 0 if result.ok else 1
        ok = run_loop(cycle, interval=settings.interval, stop=stop, on_report=report)
        return 0 if ok or stop.is_set() else 1
    finally:
        audit.close()


def describe(desk: str, decision: Decision) -> str:
    """One decision as the lines a dry run prints."""
    head = f"{desk} {decision.ticket}: {decision.path or '-'} level {decision.level}"
    if decision.team:
        head += f" ({decision.team})"
    lines = [head]
    lines += [f"  {action.type}: {action.reason}" for action in decision.actions]
    return "\n".join(lines)


def _stop_on_signals(stop: threading.Event) -> None:
    def handle(signum: int, frame: Any) -> None:
        log.info(
            "%s received: finishing the ticket in hand, then stopping", signal.Signals(signum).name
        )
        stop.set()

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, handle)
        signal.signal(signal.SIGINT, handle)


def default_policy_paths(paths: Sequence[str]) -> tuple[str, ...]:
    if paths:
        return tuple(paths)
    if Path("policy").is_dir():
        return ("policy",)
    raise EscaladaError(
        "no policy given and ./policy does not exist",
        hint="pass the policy directory, e.g. --policy examples/policy",
    )


def environ() -> Mapping[str, str]:
    return os.environ
