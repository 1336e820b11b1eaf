"""The cycle's audit trail: one record per action written (or, in a dry run, that
would be), per channel message, and per failed write."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from escalada.audit import AuditLog
from escalada.audit import AuditRecord
from escalada.runner.options import RunOptions
from escalada.runner.plan import Written
from escalada.ticket import Action
from escalada.ticket import Decision
from escalada.ticket import Ticket

# the actions of an escalating decision that are not part of the escalation itself
NOT_ESCALATION = frozenset({"update", "ask_reason", "set_priority", "clear"})


@dataclass(frozen=True, slots=True)
class Trail:
    audit: AuditLog | None
    now: datetime
    options: RunOptions

    def action(self, waiting: Written, action: Action, result: str) -> None:
        """One action of a planned ticket (written, cleared, or dry-run)."""
        decision = waiting.decision
        self.record(
            waiting.original,
            decision.level,
            action.type,
            action.reason,
            result,
            level_from=waiting.level_from,
            path=decision.path or waiting.original.escalation.path,
            decision=decision,
            escalation=decision.escalated and action.type not in NOT_ESCALATION,
        )

    def record(
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
