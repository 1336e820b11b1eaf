"""The one root of user-facing errors. No click import: the core raises these,
the CLI prints them as one line and exits 1."""

from __future__ import annotations


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
