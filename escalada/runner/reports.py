"""What a cycle returns: a report per desk and the cycle's summary over them."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from typing import Any

from escalada.instants import to_iso
from escalada.ticket import Decision


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
