"""Plain-text tables for people reading a terminal (`desks check`, `sandbox show`)."""

from __future__ import annotations

from collections.abc import Sequence

from escalada.terminal import safe


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """Columns padded to their widest cell; the last column is left ragged. Each
    cell is made safe for a terminal (ticket and desk text: escalada.terminal)."""
    every = [[safe(cell) for cell in row] for row in (header, *rows)]
    widths = [max(len(row[i]) for row in every) for i in range(len(header) - 1)]
    return "\n".join(
        "  ".join(
            [*(cell.ljust(width) for cell, width in zip(row[:-1], widths, strict=True)), row[-1]]
        ).rstrip()
        for row in every
    )
