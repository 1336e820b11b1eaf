"""Apply: write a plan's changes through each desk's connector, in plan order."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field

from escalada.connectors.base import Connector
from escalada.errors import EscaladaError
from escalada.reconcile.plan import Change
from escalada.reconcile.plan import Plan


@dataclass
class ApplyReport:
    done: list[tuple[str, Change]] = field(default_factory=list)  # (desk, change)
    failed: tuple[str, Change, str] | None = None  # (desk, change, error)
    skipped_conflicts: int = 0

    @property
    def ok(self) -> bool:
        return self.failed is None


def apply(
    the_plan: Plan,
    connectors: Sequence[Connector],
    *,
    on_change: Callable[[str, Change], None] = lambda desk, change: None,
) -> ApplyReport:
    """Write the plan's changes in order; stop at the first failed write.

    Conflicts are never written (they need --adopt and a new plan). A rerun
    after a failure converges: the next plan holds only what is still missing."""
    report = ApplyReport()
    by_desk = {c.desk.name: c for c in connectors}
    for desk_plan in the_plan.desks:
        if not desk_plan.changes:  # a desk that could not be planned has no connector
            continue
        connector = by_desk[desk_plan.desk]
        for change in desk_plan.changes:
            if change.op == "conflict":
                report.skipped_conflicts += 1
                continue
            try:
                connector.write_config(change.op, change.obj)
            except EscaladaError as error:
                report.failed = (desk_plan.desk, change, str(error))
                return report
            report.done.append((desk_plan.desk, change))
            on_change(desk_plan.desk, change)
    return report
