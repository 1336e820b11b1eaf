"""A month of synthetic records for a desk of 400 tickets, as files, and its report."""

from __future__ import annotations

from datetime import datetime
from datetime import timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from escalada.policy.validate import load_policy
from escalada.report.build import Report
from escalada.report.build import build_report
from escalada.report.inputs import read_audit
from escalada.report.inputs import read_tickets
from escalada.report.synthetic import Shape
from escalada.report.synthetic import write
from tests.paths import EXAMPLE

NOW = datetime(2026, 12, 15, 9, 0, tzinfo=timezone.utc)
SHAPE = Shape(tickets_per_month=400, months=1, start=datetime(2026, 11, 2, tzinfo=timezone.utc))


def sample_files(folder: Path) -> tuple[Path, Path]:
    audit, tickets = folder / "audit.jsonl", folder / "tickets.jsonl"
    with audit.open("w", encoding="utf-8") as a, tickets.open("w", encoding="utf-8") as t:
        write(SHAPE, a, t)
    return audit, tickets


def sample_report(folder: Path) -> Report:
    audit, tickets = sample_files(folder)
    policy = load_policy([str(EXAMPLE)])
    return build_report(
        audit=read_audit([audit]),
        tickets=read_tickets(tickets, policy=policy),
        policy=policy,
        zone=ZoneInfo("Europe/Stockholm"),
        now=NOW,
        sources=("audit audit.jsonl", "tickets tickets.jsonl"),
    )
