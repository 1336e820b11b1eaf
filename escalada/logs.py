"""Logging set-up: plain text for people, JSON lines for log pipelines."""

from __future__ import annotations

import json
import logging
import sys
from datetime import datetime
from datetime import timezone

from escalada import redaction
from escalada.terminal import safe

_RESERVED = set(vars(logging.makeLogRecord({}))) | {"message", "asctime"}


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(
                timespec="milliseconds"
            ),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        entry.update({k: v for k, v in vars(record).items() if k not in _RESERVED})
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


class TextFormatter(logging.Formatter):
    """Log lines for a terminal: a ticket's text in a message cannot start an
    escape sequence or a line of its own (escalada.terminal); a traceback under
    --debug follows as it is."""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 - logging's name
        return safe(super().formatMessage(record))


_configured = {"format": "text"}


def current_format() -> str:
    """The format `configure` last chose: commands that print records (the runner's
    summary) print them in the same format."""
    return _configured["format"]


def configure(log_format: str = "text", *, debug: bool = False) -> None:
    """Route escalada's logs to stderr in the chosen format (idempotent)."""
    _configured["format"] = log_format
    handler = logging.StreamHandler(sys.stderr)
    if log_format == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(TextFormatter("%(levelname)s %(message)s"))
    root = logging.getLogger("escalada")
    root.handlers[:] = [handler]
    root.setLevel(logging.DEBUG if debug else logging.INFO)
    root.propagate = False
    redaction.install_everywhere()
