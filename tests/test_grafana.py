"""deploy/grafana/escalada.json draws only series escalada writes, counters through
rate()/increase() (a counter's raw value restarts with the process)."""

from __future__ import annotations

import json
import re

from escalada.metrics import counter_names
from escalada.metrics import metric_names
from tests.paths import ROOT

DASHBOARD = ROOT / "deploy" / "grafana" / "escalada.json"
WRITTEN = {
    *metric_names(),
    *counter_names(),
    "escalada_desk_up",
    "escalada_cycle_seconds",
    "escalada_last_cycle_timestamp_seconds",
}


def test_every_query_names_written_series_and_rates_the_counters():
    dashboard = json.loads(DASHBOARD.read_text(encoding="utf-8"))
    exprs = [t["expr"] for panel in dashboard["panels"] for t in panel["targets"]]
    assert exprs
    used = set()
    for expr in exprs:
        names = set(re.findall(r"\bescalada_[a-z_]+", expr))
        assert names and names <= WRITTEN, expr
        used |= names
        for name in names & set(counter_names()):
            assert re.search(rf"(rate|increase)\({name}\b", expr), f"{name} not rated: {expr}"
    assert set(counter_names()) - {"escalada_cycles_total"} <= used
