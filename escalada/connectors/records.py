"""Desk records escalada cannot read: each is one ticket's error, never the desk's.

A connector reads every record of a page through its `Rejects` (`read`): a record
that does not make a Ticket (a bad date, tags that are not a list, a field of the
wrong type), or whose instants lie outside what escalada computes with, is left
out of the page and kept as a RecordError. Whoever reads the tickets (the runner,
`tickets export`, `simulate --desk`, `report --desk`) takes them (`rejected`)
and reports each as one line, while the desk's other tickets are processed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from escalada.errors import RecordError
from escalada.instants import supported
from escalada.instants import unsupported_text
from escalada.ticket import Ticket

# What a record's parsing raises on data of the wrong shape (not a bug of a desk
# call: those are DeskErrors, raised on past the reader).
_SHAPE_ERRORS = (ValueError, TypeError, KeyError, IndexError, AttributeError, OverflowError)


class Rejects:
    """The records a connector's reads left out since they were last taken."""

    def __init__(self, desk: str) -> None:
        self.desk = desk
        self._found: list[RecordError] = []

    def read(self, key: Any, build: Callable[[], Ticket]) -> Ticket | None:
        """The ticket `build` makes of one record, or None (kept as a RecordError)."""
        try:
            ticket = build()
            problem = instant_problem(ticket)
        except RecordError as error:
            self._found.append(error)
            return None
        except _SHAPE_ERRORS as error:
            text = " ".join(str(error).split())[:200] or type(error).__name__
            self._found.append(RecordError(self.desk, str(key), f"cannot read the record: {text}"))
            return None
        if problem is not None:
            self._found.append(RecordError(self.desk, ticket.key, problem))
            return None
        return ticket

    def take(self) -> list[RecordError]:
        found, self._found = self._found, []
        return found


def rejected(connector: object) -> list[RecordError]:
    """The records the connector's reads left out since the last call (none for a
    connector without `rejects`, e.g. a test's stand-in)."""
    rejects = getattr(connector, "rejects", None)
    return rejects.take() if isinstance(rejects, Rejects) else []


def instant_problem(ticket: Ticket) -> str | None:
    """Why a ticket's instants cannot be computed with (no zone, or outside the
    supported years), or None."""
    for name in ("created", "updated", "responded", "resolved"):
        moment = getattr(ticket, name)
        if moment is None:
            continue
        if moment.tzinfo is None:
            return f"{name} {moment.isoformat()} has no time zone"
        if not supported(moment):
            return f"{name} {unsupported_text(moment)}"
    return None
