"""`escalada tickets export`: a desk's tickets in the normalized shape, as JSON Lines.

Read-only. The open tickets of the desk's scope and, with a `since`, the ones
resolved since then, each with what the desk knows of its history (status
changes, first response, resolution, escalada's marker); see docs/tickets.md."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

from escalada.errors import EscaladaError
from escalada.policy.model import Policy
from escalada.ticket import Ticket

log = logging.getLogger("escalada.tickets")


def read_desk_tickets(
    policy: Policy,
    desk: str,
    *,
    since: datetime | None,
    now: datetime,
    connect_fn: Callable[..., Any] | None = None,
) -> list[Ticket]:
    """The desk's open tickets, and those resolved since `since`, with status history."""
    from escalada.connectors import connect
    from escalada.connectors.records import rejected
    from escalada.engine.readneeds import read_needs
    from escalada.runner.options import select_desks

    (spec,) = select_desks(policy, [desk])
    connector = (connect_fn or connect)(spec, needs=read_needs(policy))
    window = getattr(connector, "window", None)
    if window is None or not callable(getattr(connector, "history", None)):
        raise EscaladaError(
            f"desk {desk!r} ({spec.type}) cannot read its tickets' history",
            hint="export from a desk type that can, or write the ticket file by hand "
            "(docs/tickets.md)",
        )
    try:
        tickets = [t for t in window(since=since) if t.created <= now]
    finally:
        connector.close()
    for error in rejected(connector):  # one line each; the desk's other tickets are read
        log.warning("%s (left out)", error)
    return tickets


def export(
    policy: Policy,
    desk: str,
    *,
    since: datetime | None,
    now: datetime,
    output: str | None,
    echo: Callable[[str], Any],
    note: Callable[[str], Any] = print,
    connect_fn: Callable[..., Any] | None = None,
) -> int:
    """Write the tickets (`echo`: to stdout without `output`); the summary line of a
    file written goes to `note` (stderr)."""
    from escalada.ticket_file import dumps
    from escalada.ticket_file import write_tickets

    tickets = read_desk_tickets(policy, desk, since=since, now=now, connect_fn=connect_fn)
    if output is None or output == "-":
        for ticket in tickets:
            echo(dumps(ticket))
        return 0
    target = Path(output)
    partial = target.with_name(target.name + ".part")
    try:
        with partial.open("w", encoding="utf-8") as out:
            count = write_tickets(tickets, out)
        partial.replace(target)
    except OSError as error:
        partial.unlink(missing_ok=True)
        raise EscaladaError(f"cannot write {output}: {error}") from None
    open_count = sum(1 for t in tickets if not t.done)
    note(f"exported {count} ticket(s) of {desk} to {output}: {open_count} open")
    return 0
