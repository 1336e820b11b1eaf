"""How a failure is told: one ticket's failed write (counted, logged, audited, and
raised again when it must end the desk's part), and one line for an exception
escalada did not turn into an EscaladaError."""

from __future__ import annotations

import logging

from escalada.audit import AuditFailed
from escalada.errors import ConflictError
from escalada.errors import DeskUnavailable
from escalada.errors import EscaladaError
from escalada.runner.reports import DeskReport
from escalada.runner.trail import Trail
from escalada.ticket import Ticket

log = logging.getLogger("escalada.runner")  # one logger for the whole runner (docs/runner.md)


def write_failed(trail: Trail, ticket: Ticket, error: Exception, report: DeskReport) -> None:
    """Count, log and audit one ticket's failed write. A failed audit write and a
    desk down (or rate-limiting past the retry budget) end the desk's part of the
    cycle and are raised again: trying each remaining ticket would cost the budget
    again per ticket, and writes the audit cannot record must not be made."""
    if isinstance(error, AuditFailed):
        raise error  # one line, where the desk's part ends
    if isinstance(error, ConflictError):
        report.conflicts += 1
        log.warning(
            "%s: changed on the desk while being written; next cycle re-reads it (%s)",
            ticket.key,
            error.message,
        )
        trail.record(ticket, ticket.escalation.level, "write", str(error), "conflict")
        return
    report.errors += 1
    if isinstance(error, DeskUnavailable):
        trail.record(ticket, ticket.escalation.level, "write", str(error), f"failed: {error}")
        raise error
    shown = error if isinstance(error, EscaladaError) else describe_internal(error)
    log.error(
        "%s: %s",
        ticket.key,
        shown,
        exc_info=log.isEnabledFor(logging.DEBUG) and not isinstance(error, EscaladaError),
    )
    trail.record(ticket, ticket.escalation.level, "write", str(error), f"failed: {error}")


def describe_internal(error: BaseException) -> str:
    """One line for an exception escalada did not turn into an EscaladaError."""
    if isinstance(error, ValueError) and type(error).__name__ == "JSONDecodeError":
        return (
            "the desk answered with a body that is not JSON (a proxy or maintenance "
            "page?); the next cycle will try again"
        )
    text = " ".join(str(error).split())[:300]
    return f"internal error: {type(error).__name__}: {text} (run with --debug for the traceback)"
