"""Charts as inline SVG, drawn on the server by pygal (https://www.pygal.org/,
LGPL-3, pure Python): the page needs no script, no font and no download to show
them. pygal's tooltips script is switched off (`js=[]`); its inline styles stay.

Chosen over matplotlib's SVG backend: pygal's output for a bar chart is a few
kilobytes of plain SVG elements with text kept as text (searchable, crisp at any
zoom, printable), and it installs as one ~1 MB package with one small
dependency, where matplotlib brings NumPy, Pillow and tens of megabytes."""

from __future__ import annotations

import re
from typing import Any

import pygal
from pygal.style import Style

from escalada.report.present import Chart

# Colour-blind-safe (Okabe-Ito), readable in greyscale print by lightness order.
COLOURS = ("#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#999999")
STYLE = Style(
    background="transparent",
    plot_background="transparent",
    foreground="#222",
    foreground_strong="#000",
    foreground_subtle="#666",
    font_family="system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
    label_font_size=13,
    major_label_font_size=13,
    legend_font_size=13,
    value_font_size=12,
    colors=COLOURS,
    opacity=".9",
    opacity_hover="1",
)

_KINDS: dict[str, Any] = {
    "stacked": pygal.StackedBar,
    "bar": pygal.Bar,
    "hbar": pygal.HorizontalBar,
    "dot": pygal.Dot,
}


_SCRIPT = re.compile(r"<script[^>]*>.*?</script>", re.DOTALL)
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def svg(chart: Chart, title: str, id: str = "chart") -> str:
    """The chart as one <svg> element (no XML declaration), sized by its viewBox.

    pygal writes a copy of its configuration into a <script> for its tooltips
    script, which is not loaded here: it is dropped (the page has no script), and
    its random chart id becomes `id`, so the same report renders the same bytes."""
    kind = _KINDS[chart.kind]
    many = len(chart.labels) > 14
    config = pygal.Config(
        js=[],
        style=STYLE,
        disable_xml_declaration=True,
        explicit_size=False,
        width=720,
        height=max(260, 28 * len(chart.labels) + 120) if chart.kind == "hbar" else 360,
        legend_at_bottom=True,
        include_x_axis=True,
        show_legend=chart.kind != "dot" and len(chart.series) > 1,
        legend_at_bottom_columns=min(4, max(1, len(chart.series))),
        x_label_rotation=45 if many and chart.kind in ("bar", "stacked") else 0,
        show_minor_x_labels=not many or chart.kind == "dot",
        x_labels_major_every=max(1, len(chart.labels) // 10) if many else None,
        truncate_label=28,
        print_values=False,
        no_data_text="no data",
        margin=8,
        spacing=8,
        value_formatter=(lambda v: f"{v:g}{chart.unit}") if chart.unit else (lambda v: f"{v:g}"),
    )
    drawn = kind(config)
    drawn.title = None
    drawn.x_labels = list(chart.labels)
    for name, values in chart.series:
        drawn.add(name, list(values))
    rendered: str = drawn.render(is_unicode=True)
    rendered = _SCRIPT.sub("", rendered)
    found = _UUID.search(rendered)
    if found:
        rendered = rendered.replace(found.group(0), id)
    return rendered.replace("<svg ", f'<svg role="img" aria-label="{_escape(title)}" ', 1)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;")
