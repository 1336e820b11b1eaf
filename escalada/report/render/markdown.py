"""The markdown format: a weekly issue or chat post (GitHub-flavoured tables)."""

from __future__ import annotations

from escalada import markdown
from escalada.report.build import Report
from escalada.report.present import Table
from escalada.report.present import sections
from escalada.report.present import summary
from escalada.report.render.text import heading


def render(report: Report) -> str:
    lines = [f"# {heading(report)}", ""]
    # plain text that quotes the tickets (the most recurring organisation or tag)
    lines += [f"- {markdown.escape(line, gfm=True)}" for line in summary(report)]
    lines += [f"- _note: {markdown.escape(note, gfm=True)}_" for note in report.notes]
    for section in sections(report):
        lines += ["", f"## {section.title}"]
        for figure in section.figures:
            lines += ["", f"### {figure.title}", ""]
            lines += table(figure.table)
    return "\n".join(lines) + "\n"


def _cell(text: str) -> str:
    """A value from the tickets (an organisation, a tag, a team) as typed."""
    return markdown.escape(text, gfm=True)


def table(data: Table) -> list[str]:
    if not data.rows:
        return ["_none_"]
    align = ["---"] + ["---:"] * (len(data.columns) - 1)
    return [
        "| " + " | ".join(_cell(c) for c in data.columns) + " |",
        "| " + " | ".join(align) + " |",
        *("| " + " | ".join(_cell(c) for c in row) + " |" for row in data.rows),
    ]
