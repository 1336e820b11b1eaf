"""Prometheus metrics as a textfile (node-exporter's textfile collector, or
`curl --data-binary @FILE` to a pushgateway), written atomically per cycle."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from escalada.runner import CycleReport

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


def render(report: CycleReport) -> str:
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
    return "\n".join(lines) + "\n"


def write_textfile(path: str | Path, report: CycleReport) -> None:
    """Replace the file in one rename, so a scraper never reads half a file."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=".escalada-metrics-")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(render(report))
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)  # never leave a half-written file beside the real one
        raise


def metric_names() -> Iterable[str]:
    return [name for name, *_ in _METRICS]
