"""The html report in a real headless Chromium (Debian's package, driven by
Playwright with `executable_path`, never a downloaded browser): it loads with no
console message and no request beyond the file itself, every chart draws its
marks, it fits a phone's width, it prints, and its screenshot is docs/report.png
(the README shows it). Skips only where no chromium is installed; `.ci/run`
installs it, so CI always runs this."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from escalada.report.render import renderer
from tests.paths import ROOT
from tests.report.sample import sample_report

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(CHROMIUM is None, reason="no chromium installed")
# What the machine's closed network needs: no background fetches, no first-run work.
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOT = ROOT / "docs" / "report.png"

CHARTS = """() => [...document.querySelectorAll('[data-chart]')].map(div => {
  const svg = div.querySelector('svg');
  const box = svg ? svg.getBoundingClientRect() : {width: 0, height: 0};
  const marks = svg ? [...svg.querySelectorAll('.reactive')].filter(m => {
    const b = m.getBBox(); return b.width > 0 && b.height > 0;
  }).length : 0;
  return {id: div.dataset.chart, width: box.width, height: box.height, marks};
})"""


@pytest.fixture(scope="module")
def page_file(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("html")
    path = folder / "report.html"
    path.write_text(renderer("html")(sample_report(folder)), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield launched
        launched.close()


def open_page(browser, page_file, **options):
    page = browser.new_page(**options)
    problems: list[str] = []
    page.on("console", lambda message: problems.append(f"console {message.type}: {message.text}"))
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))

    def outside(request: Any) -> None:
        if request.url != page_file.as_uri():
            problems.append(f"request: {request.url}")

    page.on("request", outside)
    page.goto(page_file.as_uri(), wait_until="load")
    return page, problems


def test_loads_quietly_and_every_chart_renders(browser, page_file):
    page, problems = open_page(browser, page_file, viewport={"width": 1200, "height": 1500})
    charts = page.evaluate(CHARTS)
    assert problems == []
    assert len(charts) >= 9
    for chart in charts:
        assert chart["width"] > 300 and chart["height"] > 150, chart
        assert chart["marks"] > 0, f"chart {chart['id']} drew nothing"
    SCREENSHOT.parent.mkdir(exist_ok=True)
    page.screenshot(path=str(SCREENSHOT))
    assert SCREENSHOT.stat().st_size > 20_000
    page.close()


def test_fits_a_phone(browser, page_file):
    page, problems = open_page(
        browser, page_file, viewport={"width": 390, "height": 844}, device_scale_factor=2
    )
    assert problems == []
    # the page itself never scrolls sideways (a wide table scrolls inside its box)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    for chart in page.evaluate(CHARTS):
        assert 300 < chart["width"] <= 390 and chart["marks"] > 0, chart
    page.close()


def test_prints(browser, page_file):
    page, problems = open_page(browser, page_file)
    page.emulate_media(media="print")
    assert all(chart["marks"] > 0 for chart in page.evaluate(CHARTS))
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    assert problems == []
    page.close()
