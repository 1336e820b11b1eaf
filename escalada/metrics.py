"""Prometheus metrics as a textfile (node-exporter's textfile collector, or
`curl --data-binary @FILE` to a pushgateway), written atomically per cycle.

Two kinds side by side: gauges of the last cycle, and counters (`_total`) that
add up every cycle of the process (`escalada run --interval`), so a dashboard
draws rates with `rate()` / `increase()`. A counter lives in the process: a
restart starts it at 0 again, which Prometheus' rate functions read as a counter
reset (the rate stays right; what happened while no process ran is not counted).
The SLA-breach counter counts each ticket's breached target once per process,
and the breaches already standing at a process's first cycle are taken as known,
not counted, so a restart does not count them again."""

from __future__ import annotations

import math
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from pathlib import Path
from typing import TYPE_CHECKING

from escalada.errors import EscaladaError

if TYPE_CHECKING:
    from escalada.runner.reports import CycleReport
    from escalada.runner.reports import DeskReport

_METRICS = (
    ("escalada_tickets_seen", "gauge", "Candidate tickets read in the last cycle.", "seen"),
    ("escalada_tickets_escalated", "gauge", "Tickets written in the last cycle.", "escalated"),
    ("escalada_ticket_writes", "gauge", "Ticket writes made in the last cycle.", "writes"),
    ("escalada_ticket_errors", "gauge", "Tickets that failed in the last cycle.", "errors"),
    (
        "escalada_ticket_conflicts",
        "gauge",
        "Ticket writes refused because the ticket changed since it was read (re-read next cycle).",
        "conflicts",
    ),
    (
        "escalada_notifications_sent",
        "gauge",
        "Channel messages sent in the last cycle.",
        "notifications",
    ),
    (
        "escalada_notifications_failed",
        "gauge",
        "Channel messages that failed in the last cycle (retried while nothing was delivered).",
        "notify_failures",
    ),
    ("escalada_api_calls", "gauge", "Desk API calls made in the last cycle.", "calls"),
    ("escalada_cycle_desk_seconds", "gauge", "Seconds spent on the desk.", "duration"),
)


def _number(value: float) -> str:
    """A sample value with every digit kept (`:g` rounds to six significant digits,
    which turned a Unix timestamp into 1.79543e+09)."""
    if isinstance(value, int) or float(value).is_integer():
        return str(int(value))
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    return repr(float(value))


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


# name -> (help, label names); the values come from Counters.add
_COUNTERS: dict[str, tuple[str, tuple[str, ...]]] = {
    "escalada_cycles_total": ("Cycles run by this process.", ()),
    "escalada_escalations_total": (
        "Escalations to a new level or path, by desk, path and level reached.",
        ("desk", "path", "level"),
    ),
    "escalada_notifications_total": (
        "Channel messages, by desk and result (sent, failed).",
        ("desk", "result"),
    ),
    "escalada_sla_breaches_total": (
        "SLA targets breached by open tickets, each counted once, by desk and target.",
        ("desk", "target"),
    ),
    "escalada_ticket_writes_total": ("Ticket writes made.", ("desk",)),
    "escalada_ticket_conflicts_total": (
        "Ticket writes refused because the ticket changed since it was read.",
        ("desk",),
    ),
}


@dataclass
class Counters:
    """The counters of one process, fed each cycle's report (thread-safe)."""

    values: dict[str, Counter[tuple[str, ...]]] = field(
        default_factory=lambda: {name: Counter() for name in _COUNTERS}
    )
    # per desk: the "ticket:target" breaches already counted (only the standing ones)
    breached: dict[str, set[str]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, report: CycleReport) -> None:
        with self._lock:
            self.values["escalada_cycles_total"][()] += 1
            for desk in report.desks:
                self._desk(desk, dry_run=report.dry_run)

    def _desk(self, desk: DeskReport, *, dry_run: bool) -> None:
        v = self.values
        name = desk.desk
        if not dry_run:
            for decision in desk.decisions:
                if decision.escalated:
                    key = (name, decision.path or "", str(decision.level))
                    v["escalada_escalations_total"][key] += 1
        v["escalada_notifications_total"][(name, "sent")] += desk.notifications
        v["escalada_notifications_total"][(name, "failed")] += desk.notify_failures
        v["escalada_ticket_writes_total"][(name,)] += desk.writes
        v["escalada_ticket_conflicts_total"][(name,)] += desk.conflicts
        if desk.failed:
            return  # a failed read says nothing about breaches: keep what is known
        standing = set(desk.breaches)
        known = self.breached.get(name)
        if known is not None:
            for breach in standing - known:
                target = breach.rsplit(":", 1)[1]
                v["escalada_sla_breaches_total"][(name, target)] += 1
        for target in ("respond", "resolve"):  # both series exist from the first cycle
            v["escalada_sla_breaches_total"][(name, target)] += 0
        self.breached[name] = standing  # bounded by the breached tickets still open

    def lines(self) -> list[str]:
        with self._lock:
            out: list[str] = []
            for metric, (help_text, labels) in _COUNTERS.items():
                out += [f"# HELP {metric} {help_text}", f"# TYPE {metric} counter"]
                series = self.values[metric]
                if not labels and not series:
                    series[()] += 0
                for key in sorted(series):
                    pairs = ",".join(
                        f'{label}="{_label(value)}"'
                        for label, value in zip(labels, key, strict=True)
                    )
                    out.append(
                        f"{metric}{{{pairs}}} {_number(series[key])}"
                        if pairs
                        else f"{metric} {_number(series[key])}"
                    )
            return out


def render(report: CycleReport, counters: Counters | None = None) -> str:
    lines: list[str] = []
    for name, kind, help_text, attribute in _METRICS:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} {kind}"]
        for desk in report.desks:
            lines.append(
                f'{name}{{desk="{_label(desk.desk)}"}} {_number(getattr(desk, attribute))}'
            )
    lines += [
        "# HELP escalada_desk_up 1 if the desk's part of the last cycle succeeded.",
        "# TYPE escalada_desk_up gauge",
    ]
    for desk in report.desks:
        lines.append(f'escalada_desk_up{{desk="{_label(desk.desk)}"}} {0 if desk.failed else 1}')
    lines += [
        "# HELP escalada_cycle_seconds Wall time of the last cycle.",
        "# TYPE escalada_cycle_seconds gauge",
        f"escalada_cycle_seconds {_number(report.duration)}",
        "# HELP escalada_last_cycle_timestamp_seconds When the last cycle started (Unix time).",
        "# TYPE escalada_last_cycle_timestamp_seconds gauge",
        f"escalada_last_cycle_timestamp_seconds {_number(report.started.timestamp())}",
    ]
    if counters is not None:
        lines += counters.lines()
    return "\n".join(lines) + "\n"


def write_textfile(path: str | Path, report: CycleReport, counters: Counters | None = None) -> None:
    """Replace the file in one rename, so a scraper never reads half a file."""
    target = Path(path)
    if target.exists() and not target.is_file():  # never replace a device or a directory
        raise EscaladaError(
            f"cannot write metrics to {target}: not a regular file",
            hint="give --metrics a file path, e.g. /var/lib/node_exporter/escalada.prom",
        )
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise EscaladaError(
            f"cannot write metrics to {target}: {error.strerror or error}",
            hint="give --metrics a file path in a directory escalada can write",
        ) from None
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".escalada-metrics-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(render(report, counters))
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)  # never leave a half-written file beside the real one
        raise


def metric_names() -> Iterable[str]:
    return [name for name, *_ in _METRICS]


def counter_names() -> Iterable[str]:
    return list(_COUNTERS)
