"""The one root of user-facing errors. No click import: the core raises these,
the CLI prints them as one line and exits 1.

This module imports nothing from escalada, so every package can raise these
without an import circle."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from typing import Protocol


def printable(text: str) -> str:
    """The text with every character that is not printable escaped (`\\n`, `\\x1b`,
    `\\x85`, `\\u2028`): a value quoted in a message can neither break its one line nor
    send a terminal an escape sequence."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class EscaladaError(Exception):
    """A problem the user can fix: what is wrong, where, and how to fix it."""

    exit_code = 1

    def __init__(self, message: str, *, where: str | None = None, hint: str | None = None):
        super().__init__(message)
        self.message = message
        self.where = where
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.where}: {self.message}" if self.where else self.message
        if self.hint:
            text += f" ({self.hint})"
        return text


class DeskError(EscaladaError):
    """A desk refused or failed a call that retrying cannot fix.

    Names the desk and the operation; the hint names the likely fix."""

    def __init__(
        self,
        desk: str,
        operation: str,
        message: str,
        *,
        status: int | None = None,
        hint: str | None = None,
    ):
        super().__init__(f"desk {desk!r}: {operation}: {message}", hint=hint)
        self.desk = desk
        self.operation = operation
        self.status = status


class ConflictError(DeskError):
    """The ticket changed on the desk since it was read (e.g. Zendesk 409 on a safe update)."""


class DeskUnavailable(DeskError):
    """The desk kept failing (rate limit, 5xx, network) past the retry bound."""


class StoreError(EscaladaError):
    """The file is not a usable sandbox database; the message says why."""


class _Finding(Protocol):
    """What PolicyInvalid reads of a finding (escalada.policy.check.findings.Finding)."""

    @property
    def severity(self) -> str: ...
    @property
    def code(self) -> str: ...
    @property
    def message(self) -> str: ...
    @property
    def where(self) -> object: ...
    @property
    def hint(self) -> str | None: ...
    def as_json(self) -> dict[str, Any]: ...


class PolicyInvalid(EscaladaError):
    """The policy has errors; carries every finding, names the first."""

    def __init__(self, findings: Sequence[_Finding], paths: Sequence[str]) -> None:
        errors = [finding for finding in findings if finding.severity == "error"]
        first = errors[0]
        more = len(errors) - 1
        command = "escalada validate " + " ".join(paths)
        super().__init__(
            f"{first.code} {first.message}",
            where=str(first.where),
            hint=(
                f"and {more} more; run `{command}`" if more else first.hint or f"run `{command}`"
            ),
        )
        self.findings = tuple(findings)


class RecordError(EscaladaError):
    """One desk record (a ticket) escalada cannot read: that ticket's error, never the
    desk's (escalada.connectors.records)."""

    def __init__(self, desk: str, key: str, message: str, *, hint: str | None = None):
        super().__init__(f"desk {desk!r}: ticket {key}: {message}", hint=hint)
        self.desk = desk
        self.key = key
