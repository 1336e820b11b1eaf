"""Every format renders the same report; html is one self-contained page."""

from __future__ import annotations

import json
import re

import pytest

from escalada.report.present import Table
from escalada.report.render import FORMATS
from escalada.report.render import renderer
from escalada.report.render.markdown import table
from tests.report.sample import sample_report


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    return sample_report(tmp_path_factory.mktemp("sample"))


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_each_format_renders_and_is_deterministic(report, name):
    render = renderer(name)
    assert render(report) == render(report)


def test_text_starts_with_the_summary(report):
    text = renderer("text")(report)
    first = text.splitlines()
    assert re.fullmatch(
        r"Escalation report, 2026-11-02 to 2026-12-\d\d \(Europe/Stockholm\)", first[0]
    )
    assert re.match(r"  \d+ escalations of \d+ tickets: \d+ by time threshold", first[2])
    assert "SLA ATTAINMENT" in text and "RECURRING" in text


def test_markdown_has_a_heading_a_summary_and_tables(report):
    text = renderer("markdown")(report)
    assert text.startswith("# Escalation report")
    assert "\n- " in text and "\n## SLA attainment\n" in text
    assert "| priority | escalations |\n| --- | ---: |" in text


def test_json_has_the_documented_shape(report):
    data = json.loads(renderer("json")(report))
    assert data["shape"] == "escalada.report/v1"
    assert set(data) == {
        "shape",
        "generated",
        "from",
        "to",
        "timezone",
        "sources",
        "audit",
        "tickets",
        "notes",
    }
    volume = data["audit"]["volume"]
    assert volume["total"] == volume["by_kind"]["threshold"] + volume["by_kind"]["trigger"]
    assert len(volume["heat"]) == 7 and all(len(row) == 24 for row in volume["heat"])
    assert sum(d["threshold"] + d["trigger"] for d in volume["per_day"]) == volume["total"]
    sla = data["tickets"]["sla_by_priority"]
    assert [row["group"] for row in sla] == ["P1", "P2", "P3", "P4"]
    assert set(sla[0]["respond"]) == {"met", "breached", "running"}


def test_html_is_one_self_contained_page(report):
    page = renderer("html")(report)
    assert page.startswith("<!DOCTYPE html>")
    assert "<script" not in page and "<link" not in page and "@import" not in page
    assert not re.search(r"""(src|href)=["'](https?:)?//""", page)
    assert not re.search(r"url\((?!#)", page)  # only fragment references inside the SVGs
    charts = re.findall(r'data-chart="([\w-]+)"', page)
    assert len(charts) >= 9 and len(set(charts)) == len(charts)
    # every chart has its table in the same figure
    for chart in charts:
        figure = page.split(f'<figure id="{chart}"', 1)[1].split("</figure>", 1)[0]
        assert "<svg" in figure and "<table>" in figure


def test_markdown_cells_show_their_text_as_typed():
    rows = (("tag", "a|b"), ("organization", "*Acme* [x](https://evil.example)\nnext"))
    assert table(Table(("kind", "value"), rows)) == [
        "| kind | value |",
        "| --- | ---: |",
        "| tag | a\\|b |",
        "| organization | \\*Acme\\* \\[x\\](https://evil.example) next |",
    ]
