"""The audit log: one JSON Lines record per action the runner takes (or would take)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import IO
from typing import Any

from escalada.errors import EscaladaError
from escalada.instants import to_iso


class AuditFailed(EscaladaError):
    """The audit log cannot take a record: the runner stops the desk (its writes would
    go unrecorded), not just the ticket in hand."""


@dataclass(frozen=True, slots=True)
class AuditRecord:
    time: datetime
    desk: str
    ticket: str
    path: str | None
    level_from: int
    level_to: int
    action: str
    reason: str
    dry_run: bool
    result: str  # "ok", "dry-run", "failed: ...", "conflict", "sent", "not sent: ..."
    # the policy revision the runner ran (git commit or digest, escalada.revision)
    policy_revision: str | None = None
    # What `escalada report` groups by (absent from logs written before they existed):
    # the decision's priority and team, the ticket's status when read, whether the
    # action belongs to an escalation (a new level or path) and, if so, the trigger
    # that caused it (None: a time threshold).
    priority: str | None = None
    team: str | None = None
    status: str | None = None
    escalation: bool = False
    trigger: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "time": to_iso(self.time),
            "desk": self.desk,
            "ticket": self.ticket,
            "path": self.path,
            "level_from": self.level_from,
            "level_to": self.level_to,
            "action": self.action,
            "reason": self.reason,
            "dry_run": self.dry_run,
            "result": self.result,
            "policy_revision": self.policy_revision,
            "priority": self.priority,
            "team": self.team,
            "status": self.status,
            "escalation": self.escalation,
            "trigger": self.trigger,
        }


class AuditLog:
    """Appends records to a file; safe to share between the desk threads of one cycle."""

    def __init__(self, path: str | Path | None) -> None:
        self.path = Path(path) if path else None
        self._lock = threading.Lock()
        self._file: IO[str] | None = None
        self.records = 0

    def check(self) -> None:
        """Open the file now, so a path that cannot take records (a directory, a
        device such as /dev/full, no permission) stops the run before its first
        write instead of in the middle of a cycle; raises EscaladaError."""
        if self.path is None:
            return
        with self._lock:
            self._open()

    def write(self, record: AuditRecord) -> None:
        if self.path is None:
            return
        line = json.dumps(record.as_json(), ensure_ascii=False)
        with self._lock:
            self._open()
            assert self._file is not None
            try:
                self._file.write(line + "\n")
                self._file.flush()
            except OSError as error:
                raise self._error(error) from None
            self.records += 1

    def _open(self) -> None:
        if self._file is not None or self.path is None:
            return
        try:
            if self.path.exists() and not self.path.is_file():
                raise EscaladaError(
                    f"cannot write the audit log {self.path}: not a regular file",
                    hint="give --audit a file path, e.g. audit/escalada.jsonl",
                )
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._file = self.path.open("a", encoding="utf-8")
        except OSError as error:
            raise self._error(error) from None

    def _error(self, error: OSError) -> EscaladaError:
        return AuditFailed(
            f"cannot write the audit log {self.path}: {error.strerror or error}",
            hint="check the --audit path, its free space and its permissions",
        )

    def close(self) -> None:
        with self._lock:
            if self._file is not None:
                self._file.close()
                self._file = None
