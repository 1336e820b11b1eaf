"""What the loader hands to validation: plain data plus the position of every node,
and the findings validation reports."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field
from typing import Any
from typing import Literal

from escalada.policy.model import Where

Path = tuple[str | int, ...]
Severity = Literal["error", "warning"]


def get(data: Any, path: Path) -> Any:
    """The node at `path` in plain data, or None."""
    for part in path:
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data):
            data = data[part]
        else:
            return None
    return data


@dataclass(frozen=True, slots=True)
class Finding:
    """One problem in a policy: a stable code, where it is, and how to fix it."""

    severity: Severity
    code: str
    where: Where
    message: str
    hint: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "code": self.code,
            "file": self.where.file,
            "line": self.where.line,
            "column": self.where.column,
            "message": self.message,
            "hint": self.hint,
        }


@dataclass(frozen=True, slots=True)
class Document:
    """One YAML document: JSON-like data (timestamps kept as strings) and positions.

    `marks` maps the path of each node to where its value starts; `key_marks`
    maps the path of each mapping entry to where its key starts."""

    file: str
    index: int  # 0-based position of the document in its file
    data: Any
    start: Where
    marks: Mapping[Path, Where] = field(default_factory=dict)
    key_marks: Mapping[Path, Where] = field(default_factory=dict)

    @property
    def kind(self) -> str | None:
        kind = self.data.get("kind") if isinstance(self.data, dict) else None
        return kind if isinstance(kind, str) else None

    @property
    def name(self) -> str | None:
        meta = self.data.get("metadata") if isinstance(self.data, dict) else None
        name = meta.get("name") if isinstance(meta, dict) else None
        return name if isinstance(name, str) else None

    def where(self, *path: str | int) -> Where:
        """Position of the node at `path`, or of its nearest ancestor that has one."""
        probe: Path = tuple(path)
        while probe:
            if probe in self.marks:
                return self.marks[probe]
            probe = probe[:-1]
        return self.start

    def where_key(self, *path: str | int) -> Where:
        """Position of the key of the entry at `path` (falls back to its value)."""
        return self.key_marks.get(tuple(path)) or self.where(*path)
