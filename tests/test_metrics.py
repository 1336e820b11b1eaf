"""The Prometheus textfile: parsed back by a strict reader of the text exposition
format (and by prometheus_client's own parser when it is installed)."""

from __future__ import annotations

import math
import re
from datetime import datetime
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest

from escalada.metrics import metric_names
from escalada.metrics import render
from escalada.metrics import write_textfile
from escalada.runner import CycleReport
from escalada.runner import DeskReport

NAME = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
LABEL = r"[a-zA-Z_][a-zA-Z0-9_]*"
VALUE = r'"(?:[^"\\\n]|\\[\\"n])*"'
SAMPLE = re.compile(
    rf"^(?P<name>{NAME})(?:\{{(?P<labels>(?:{LABEL}={VALUE})(?:,{LABEL}={VALUE})*,?)?\}})?"
    r" (?P<value>\S+)(?: (?P<ts>-?\d+))?$"
)
PAIR = re.compile(rf"({LABEL})=({VALUE})")
TYPES = {"counter", "gauge", "histogram", "summary", "untyped"}


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: "\n" if m[1] == "n" else m[1], text[1:-1])


def parse_exposition(text: str) -> dict[str, dict[str, Any]]:
    """Families by name: {"help", "type", "samples": [(name, labels, value)]}.

    Follows the text format's rules strictly: newline-terminated lines; at most one
    HELP and one TYPE per family, TYPE before its samples; a family's samples
    together; valid names, escaped label values, float values; no series twice."""
    assert text.endswith("\n"), "the last line must end with a newline"
    families: dict[str, dict[str, Any]] = {}
    series: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    closed: set[str] = set()
    current: str | None = None
    for number, line in enumerate(text[:-1].split("\n"), 1):
        where = f"line {number}: {line!r}"
        if line.startswith("# HELP ") or line.startswith("# TYPE "):
            _, keyword, name, *rest = line.split(" ", 3)
            assert re.fullmatch(NAME, name), where
            family = families.setdefault(name, {"help": None, "type": None, "samples": []})
            assert name not in closed and not family["samples"], f"{where}: after samples"
            key = keyword.lower()
            assert family[key] is None, f"{where}: second {keyword}"
            family[key] = rest[0] if rest else ""
            if keyword == "TYPE":
                assert family["type"] in TYPES, where
            if current is not None and current != name:
                closed.add(current)
            current = name
            continue
        assert line and not line.startswith("#"), f"{where}: blank or unknown comment"
        match = SAMPLE.match(line)
        assert match, f"{where}: not a sample line"
        name = match["name"]
        labels = tuple(
            sorted((key, _unescape(value)) for key, value in PAIR.findall(match["labels"] or ""))
        )
        assert len({k for k, _ in labels}) == len(labels), f"{where}: a label twice"
        assert (name, labels) not in series, f"{where}: the same series twice"
        series.add((name, labels))
        value = float(match["value"])  # also accepts NaN, +Inf, -Inf
        if current != name:
            assert name not in closed and name not in families, f"{where}: family split"
            if current is not None:
                closed.add(current)
            current = name
        family = families.setdefault(name, {"help": None, "type": None, "samples": []})
        family["samples"].append((name, dict(labels), value))
    return families


def report(**desks: dict[str, Any]) -> CycleReport:
    started = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
    return CycleReport(
        started=started,
        desks=[DeskReport(name, **figures) for name, figures in desks.items()],
        duration=12.5,
    )


def test_every_metric_parses_back_with_its_values() -> None:
    cycle = report(
        zendesk={"seen": 10_000, "escalated": 12, "writes": 24, "calls": 135, "duration": 9.25},
        jira={"seen": 3, "errors": 1, "conflicts": 2, "failed": "desk 'jira': HTTP 401"},
    )
    families = parse_exposition(render(cycle))
    assert set(metric_names()) <= set(families)
    for family in families.values():
        assert family["help"] and family["type"] == "gauge"

    def value(name: str, desk: str | None = None) -> float:
        labels = {"desk": desk} if desk else {}
        (found,) = [v for _, lab, v in families[name]["samples"] if lab == labels]
        return float(found)

    assert value("escalada_tickets_seen", "zendesk") == 10_000
    assert value("escalada_tickets_escalated", "zendesk") == 12
    assert value("escalada_ticket_writes", "zendesk") == 24
    assert value("escalada_api_calls", "zendesk") == 135
    assert value("escalada_cycle_desk_seconds", "zendesk") == 9.25
    assert value("escalada_ticket_errors", "jira") == 1
    assert value("escalada_ticket_conflicts", "jira") == 2
    assert (value("escalada_desk_up", "zendesk"), value("escalada_desk_up", "jira")) == (1, 0)
    assert value("escalada_cycle_seconds") == 12.5
    assert value("escalada_last_cycle_timestamp_seconds") == 1795428000  # 2026-11-23T10:00Z


def test_large_figures_keep_every_digit() -> None:
    families = parse_exposition(render(report(big={"seen": 1_234_567, "calls": 98_765_432})))
    (sample,) = families["escalada_tickets_seen"]["samples"]
    assert sample[2] == 1_234_567
    (sample,) = families["escalada_api_calls"]["samples"]
    assert sample[2] == 98_765_432


def test_desk_names_are_escaped_in_label_values() -> None:
    name = 'odd "desk"\\with\nnewline'
    families = parse_exposition(render(report(**{name: {"seen": 1}})))
    ((_, labels, _),) = families["escalada_tickets_seen"]["samples"]
    assert labels == {"desk": name}


def test_no_desks_still_a_valid_file() -> None:
    families = parse_exposition(render(report()))
    assert families["escalada_tickets_seen"]["samples"] == []
    assert families["escalada_cycle_seconds"]["samples"][0][2] == 12.5


def test_the_reader_refuses_what_prometheus_refuses() -> None:
    bad = [
        "escalada_x 1",  # no trailing newline
        "# TYPE x gauge\n# TYPE x gauge\nx 1\n",  # TYPE twice
        "x 1\n# TYPE x gauge\n",  # TYPE after samples
        'x{desk="a"} 1\nx{desk="a"} 2\n',  # a series twice
        "x{desk=a} 1\n",  # unquoted label value
        "x one\n",  # not a number
        "x 1\ny 1\nx 2\n",  # a family split in two
        "\n",  # a blank line
    ]
    for text in bad:
        with pytest.raises((AssertionError, ValueError)):
            parse_exposition(text)


def test_prometheus_client_parses_it_too() -> None:
    parser = pytest.importorskip("prometheus_client.parser")
    cycle = report(zendesk={"seen": 10, "escalated": 2, "calls": 14}, sandbox={"seen": 4})
    families = {f.name: f for f in parser.text_string_to_metric_families(render(cycle))}
    assert families["escalada_tickets_seen"].type == "gauge"
    samples = {s.labels["desk"]: s.value for s in families["escalada_tickets_seen"].samples}
    assert samples == {"zendesk": 10, "sandbox": 4}
    assert not math.isnan(families["escalada_cycle_seconds"].samples[0].value)


def test_write_textfile_replaces_the_file_in_one_rename(tmp_path: Path) -> None:
    target = tmp_path / "node-exporter" / "escalada.prom"
    write_textfile(target, report(a={"seen": 1}))
    first = target.read_text(encoding="utf-8")
    inode = target.stat().st_ino
    write_textfile(target, report(a={"seen": 2}))
    assert target.read_text(encoding="utf-8") != first
    assert target.stat().st_ino != inode  # a new file renamed over, not rewritten in place
    assert [p.name for p in target.parent.iterdir()] == ["escalada.prom"]
    assert 'escalada_tickets_seen{desk="a"} 2\n' in target.read_text(encoding="utf-8")


def _decision(path: str, level: int, escalated: bool = True) -> Any:
    from escalada.ticket import Decision

    return Decision("T", "P1", path, level, "team", (), None, escalated=escalated)


def test_counters_add_up_cycles_beside_the_gauges() -> None:
    from escalada.metrics import Counters
    from escalada.metrics import counter_names

    counters = Counters()
    first = report(zd={"writes": 3, "notifications": 2, "notify_failures": 1, "conflicts": 1})
    first.desks[0].decisions = [_decision("standard", 1), _decision("standard", 1, False)]
    first.desks[0].breaches = ["1:respond"]  # standing at the first cycle: known, not counted
    counters.add(first)
    second = report(zd={"writes": 2, "notifications": 1})
    second.desks[0].decisions = [_decision("standard", 2), _decision("critical-outage", 1)]
    second.desks[0].breaches = ["1:respond", "2:resolve", "3:respond"]
    counters.add(second)
    families = parse_exposition(render(second, counters))
    for name in counter_names():
        assert families[name]["type"] == "counter" and name.endswith("_total")
    assert "escalada_tickets_seen" in families  # the gauges stay

    def value(name: str, **labels: str) -> float:
        (found,) = [v for n, got, v in families[name]["samples"] if got == labels]
        return found

    assert value("escalada_cycles_total") == 2
    assert value("escalada_escalations_total", desk="zd", path="standard", level="1") == 1
    assert value("escalada_escalations_total", desk="zd", path="standard", level="2") == 1
    assert value("escalada_escalations_total", desk="zd", path="critical-outage", level="1") == 1
    assert value("escalada_notifications_total", desk="zd", result="sent") == 3
    assert value("escalada_notifications_total", desk="zd", result="failed") == 1
    assert value("escalada_ticket_writes_total", desk="zd") == 5
    assert value("escalada_ticket_conflicts_total", desk="zd") == 1
    assert value("escalada_sla_breaches_total", desk="zd", target="respond") == 1
    assert value("escalada_sla_breaches_total", desk="zd", target="resolve") == 1
    parser = pytest.importorskip("prometheus_client.parser")
    names = {f.name for f in parser.text_string_to_metric_families(render(second, counters))}
    assert "escalada_escalations" in names  # the reference parser names counters without _total


def test_a_dry_run_counts_no_escalations() -> None:
    from escalada.metrics import Counters

    counters = Counters()
    cycle = report(zd={})
    cycle.dry_run = True
    cycle.desks[0].decisions = [_decision("standard", 1)]
    counters.add(cycle)
    assert "escalada_escalations_total{" not in render(cycle, counters)


def test_only_regular_files_are_replaced(tmp_path: Path) -> None:
    from escalada.errors import EscaladaError

    report = CycleReport(started=datetime(2026, 11, 23, tzinfo=timezone.utc), desks=[])
    (tmp_path / "file").write_text("x")
    cases: list[tuple[str | Path, str]] = [
        ("/dev/full", "not a regular file"),  # as root it was replaced (issue 12)
        (tmp_path, "not a regular file"),
        (tmp_path / "file" / "m.prom", "cannot write metrics to"),
    ]
    for path, why in cases:
        with pytest.raises(EscaladaError, match=why):
            write_textfile(path, report)
    assert Path("/dev/full").is_char_device()
