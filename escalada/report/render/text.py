"""The text format: the summary, then every table, aligned for a terminal."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from escalada.report.build import Report
from escalada.report.present import Table
from escalada.report.present import sections
from escalada.report.present import summary


def heading(report: Report) -> str:
    zone = ZoneInfo(report.zone)
    audit = report.audit
    first = report.window.start or (audit.first if audit else None)
    last = report.window.end or (audit.last if audit else None)
    start = first.astimezone(zone).date().isoformat() if first else "the start"
    end = last.astimezone(zone).date().isoformat() if last else "now"
    return f"Escalation report, {start} to {end} ({report.zone})"


def render(report: Report) -> str:
    lines = [heading(report), ""]
    lines += [f"  {line}" for line in summary(report)]
    for note in report.notes:
        lines.append(f"  note: {note}")
    for section in sections(report):
        lines += ["", section.title.upper()]
        for figure in section.figures:
            lines += ["", figure.title]
            lines += table(figure.table)
    return "\n".join(lines) + "\n"


def table(data: Table, indent: str = "  ") -> list[str]:
    if not data.rows:
        return [f"{indent}(none)"]
    widths = [
        max(len(str(row[i])) for row in (data.columns, *data.rows))
        for i in range(len(data.columns))
    ]

    def line(cells: tuple[str, ...]) -> str:
        first, *rest = cells
        parts = [first.ljust(widths[0])] + [
            c.rjust(w) for c, w in zip(rest, widths[1:], strict=True)
        ]
        return (indent + "  ".join(parts)).rstrip()

    return [line(data.columns), *(line(row) for row in data.rows)]
