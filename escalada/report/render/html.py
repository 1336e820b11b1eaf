"""The html format: one self-contained page. Charts are inline SVG (see charts.py),
styles are inline, there is no script: nothing is fetched when the page is viewed.
Each chart sits beside its table (stacked on a narrow screen); print keeps both
and avoids breaking a figure across pages."""

from __future__ import annotations

from html import escape

from escalada.report.build import Report
from escalada.report.present import Figure
from escalada.report.present import Table
from escalada.report.present import sections
from escalada.report.present import summary
from escalada.report.render.charts import svg
from escalada.report.render.text import heading

CSS = """
:root { color-scheme: light; --ink: #1b1b1b; --muted: #5b5b5b; --line: #d9d9d9; }
* { box-sizing: border-box; }
body { font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
       color: var(--ink); background: #fff; margin: 0 auto; max-width: 1200px; padding: 16px; }
h1 { font-size: 1.5rem; margin: 0 0 .5rem; }
h2 { font-size: 1.2rem; margin: 2rem 0 .5rem; border-bottom: 2px solid var(--ink); }
h3 { font-size: 1rem; margin: 0 0 .5rem; }
.meta, .note { color: var(--muted); }
ul.summary { padding-left: 1.2rem; }
figure { margin: 0 0 1.5rem; display: grid; grid-template-columns: minmax(0, 3fr) minmax(0, 2fr);
         gap: 16px; align-items: start; break-inside: avoid; page-break-inside: avoid; }
figure.table-only, figure.wide { grid-template-columns: minmax(0, 1fr); }
figcaption { grid-column: 1 / -1; font-weight: 600; }
.chart svg { width: 100%; height: auto; display: block; }
figure.wide .chart { max-width: 860px; }
.table { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
th, td { padding: 3px 6px; border-bottom: 1px solid var(--line); text-align: right;
         white-space: nowrap; }
th:first-child, td:first-child { text-align: left; white-space: normal; }
th { font-weight: 600; }
@media (max-width: 760px) {
  body { padding: 10px; font-size: 14px; }
  figure { grid-template-columns: minmax(0, 1fr); }
}
@media print {
  body { max-width: none; padding: 0; font-size: 11pt; }
  h2 { break-after: avoid; }
  figure { grid-template-columns: minmax(0, 1fr) minmax(0, 1fr); }
  figure.table-only, figure.wide { grid-template-columns: minmax(0, 1fr); }
  .table { overflow: visible; }
  th, td { white-space: normal; }
}
"""


def render(report: Report) -> str:
    title = heading(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{escape(title)}</h1>",
        f'<p class="meta">Generated {escape(report.generated.isoformat(timespec="minutes"))}'
        f" from {escape(', '.join(report.sources) or 'the given records')}.</p>",
        '<ul class="summary">',
        *(f"<li>{escape(line)}</li>" for line in summary(report)),
        "</ul>",
        *(f'<p class="note">Note: {escape(note)}.</p>' for note in report.notes),
    ]
    for section in sections(report):
        parts.append(f"<section><h2>{escape(section.title)}</h2>")
        for figure in section.figures:
            parts.append(_figure(figure))
        parts.append("</section>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def _figure(figure: Figure) -> str:
    chart = ""
    if figure.chart is not None and figure.table.rows:
        drawn = svg(figure.chart, figure.title, figure.id)
        chart = f'<div class="chart" data-chart="{escape(figure.id)}">{drawn}</div>'
    kind = "" if chart else ' class="table-only"'
    if chart and len(figure.table.columns) > 8:  # a wide table goes under its chart
        kind = ' class="wide"'
    return (
        f'<figure id="{escape(figure.id)}"{kind}><figcaption>{escape(figure.title)}</figcaption>'
        f"{chart}{_table(figure.table)}</figure>"
    )


def _table(data: Table) -> str:
    if not data.rows:
        return '<div class="table"><p class="note">None.</p></div>'
    head = "".join(f'<th scope="col">{escape(c)}</th>' for c in data.columns)
    body = "".join(
        "<tr>" + "".join(f"<td>{escape(c)}</td>" for c in row) + "</tr>" for row in data.rows
    )
    table = f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    return f'<div class="table">{table}</div>'
