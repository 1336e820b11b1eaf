"""What a desk's part of the cycle reads before it writes: the records the read
left out, tickets with a priority the policy lacks, the SLA breaches seen, and
each ticket in the form its decision needs (partial reads re-read in full where
something is due, status histories where a time-based action is)."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from escalada.connectors.base import Connector
from escalada.connectors.records import rejected
from escalada.engine.evaluator import Evaluator
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.runner.reports import DeskReport
from escalada.ticket import Decision
from escalada.ticket import Ticket

log = logging.getLogger("escalada.runner")  # one logger for the whole runner (docs/runner.md)


@dataclass(frozen=True, slots=True)
class Reader:
    policy: Policy
    evaluator: Evaluator
    now: datetime

    def unknown_priorities(self, desk: Desk, tickets: Sequence[Ticket]) -> None:
        """One warning per desk and cycle for tickets whose priority the policy does not
        define (they run with no SLA targets): the count, and a few of them."""
        matrix = self.policy.matrix
        if matrix is None:
            return
        unknown = []
        for ticket in tickets:
            try:
                priority = self.evaluator.settle_priority(ticket).effective
            except Exception:  # noqa: BLE001 - the per-ticket step reports the error
                continue
            if priority is not None and priority not in matrix.priorities:
                unknown.append((ticket.key, priority))
        if not unknown:
            return
        shown = ", ".join(key for key, _ in unknown[:5])
        more = f" and {len(unknown) - 5} more" if len(unknown) > 5 else ""
        names = ", ".join(dict.fromkeys(p for _, p in unknown))
        log.warning(
            "desk %s: %d ticket(s) have a priority the policy does not define (%s): %s%s; "
            "they run with no SLA targets: add the priority to the matrix, or map the desk's "
            "value onto one in the Desk's `priorities`",
            desk.name,
            len(unknown),
            names,
            shown,
            more,
        )

    @staticmethod
    def rejected(connector: Connector, report: DeskReport, *, read: bool = True) -> None:
        """The records the read left out (escalada.connectors.records): each one
        ticket's error, on one line; the desk's other tickets go on (`read`: first
        read, so counted as seen too)."""
        for error in rejected(connector):
            report.seen += read
            report.errors += 1
            log.error("%s", error)

    def complete(
        self, connector: Connector, tickets: list[Ticket]
    ) -> list[tuple[Ticket, Decision | None]]:
        """Partially read tickets that have something due, re-read in full (batched);
        with each ticket, its decision when the partial read already made it."""
        decided: dict[str, Decision] = {}
        due = []
        for t in tickets:
            if t.partial:
                decision = self._partial_decision(t)
                if decision is None:
                    due.append(t)
                else:
                    decided[t.key] = decision
        fresh = {t.key: t for t in connector.refresh(due)} if due else {}
        gone = {t.key for t in due} - fresh.keys()  # solved or out of scope since the read
        complete = [(fresh.get(t.key, t), decided.get(t.key)) for t in tickets if t.key not in gone]
        return self._with_history(connector, complete)

    def _with_history(
        self, connector: Connector, pairs: list[tuple[Ticket, Decision | None]]
    ) -> list[tuple[Ticket, Decision | None]]:
        """The tickets with a time-based action due, decided again with their status
        history read from the desk (the SLA clock pauses on what it shows), in one
        `history` call for all of them; the others as they are. A desk without the
        capability, or a ticket whose history is already known, is decided as read."""
        history = getattr(connector, "history", None)
        if history is None:
            return pairs
        decided: list[tuple[Ticket, Decision | None]] = []
        wanted: dict[str, Ticket] = {}
        for ticket, decision in pairs:
            if decision is None:
                try:
                    decision = self.evaluator.evaluate(ticket, self.now)
                except Exception:  # noqa: BLE001 - the per-ticket step reports the error
                    decision = None
            if decision is not None and not ticket.status_history and _due_by_time(decision):
                wanted[ticket.key] = ticket
            decided.append((ticket, decision))
        if not wanted:
            return decided
        read = {t.key: t for t in history(list(wanted.values()))}
        return [(read[t.key], None) if t.key in read else (t, decision) for t, decision in decided]

    def _partial_decision(self, ticket: Ticket) -> Decision | None:
        """The decision on a partial read when it has nothing due; None when the ticket
        needs the full read (something due, a pending token, or an error)."""
        if ticket.escalation.pending:
            return None
        try:
            decision = self.evaluator.evaluate(ticket, self.now)
        except Exception:  # noqa: BLE001 - refresh it; the per-ticket step reports the error
            return None
        return None if decision.actions else decision


def breaches(tickets: Sequence[Ticket], policy: Policy, now: datetime) -> list[str]:
    from escalada.report.sla import breached_now

    found = []
    for ticket in tickets:
        try:
            targets = breached_now(ticket, policy, now)
        except ValueError:  # a calendar that never opens: the engine reports it
            continue
        found += [f"{ticket.key}:{target}" for target in targets]
    return found


def _due_by_time(decision: Decision) -> bool:
    """Whether a decision's writes come from the clock (a time threshold or a
    stakeholder update), which a pause in the ticket's history could defer."""
    if decision.escalated and decision.trigger is None:
        return True
    return any(action.type == "update" for action in decision.actions)
