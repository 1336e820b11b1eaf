"""The options of a sandbox Desk (`spec.options`): the table `escalada validate`
and the Desk schema read, and the file the connector opens."""

from __future__ import annotations

from pathlib import Path

from escalada.connectors.kind import DeskOption
from escalada.policy.model import Desk

DEFAULT_PATH = ".escalada/sandbox.sqlite"

OPTIONS: dict[str, DeskOption] = {
    "path": DeskOption(
        "string",
        "The SQLite file the sandbox desk keeps its tickets in.",
        default=DEFAULT_PATH,
    ),
}


def db_path(desk: Desk) -> Path:
    return Path(str(desk.options.get("path") or DEFAULT_PATH))
