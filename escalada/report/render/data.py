"""Plain JSON data from the report's frozen dataclasses (the json format's shape)."""

from __future__ import annotations

import dataclasses
from datetime import date
from datetime import datetime
from typing import Any

from escalada.instants import to_iso


def plain(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, datetime):
        return to_iso(value)
    if isinstance(value, date):
        return value.isoformat()
    return value
