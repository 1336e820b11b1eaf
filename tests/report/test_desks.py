"""The report from every desk's fake: the runner escalates the seeded tickets with
an audit log, the desk's window read is written as a ticket file (what `escalada
tickets export` writes), and the report reads both back, in every format."""

from __future__ import annotations

import io
import json
from zoneinfo import ZoneInfo

import pytest

from escalada.audit import AuditLog
from escalada.report.build import build_report
from escalada.report.inputs import read_audit
from escalada.report.inputs import read_tickets
from escalada.report.render import FORMATS
from escalada.report.render import renderer
from escalada.ticket_file import write_tickets
from tests.connectors.contract import NOW
from tests.runner_fixtures import H
from tests.runner_fixtures import RecordingNotifier
from tests.runner_fixtures import harness_params
from tests.runner_fixtures import open_desk
from tests.runner_fixtures import run
from tests.runner_fixtures import runner_policy
from tests.runner_fixtures import seed


@pytest.mark.parametrize("desk", harness_params())
def test_the_report_from_an_export_of_each_desks_fake(desk, tmp_path):
    with open_desk(desk, tmp_path) as h:
        keys = seed(h)
        policy = runner_policy(h.desk)
        audit_path = tmp_path / "audit.jsonl"
        audit = AuditLog(audit_path)
        run(h, policy, NOW, RecordingNotifier(), audit=audit)
        audit.close()
        connector = h.connector()
        if not callable(getattr(connector, "window", None)):
            pytest.skip(f"the {desk} connector cannot read its tickets' history yet")
        out = io.StringIO()
        write_tickets(list(connector.window(since=NOW - 24 * H)), out)  # type: ignore[attr-defined]
    export = tmp_path / "tickets.jsonl"
    export.write_text(out.getvalue(), encoding="utf-8")

    def report():
        return build_report(
            audit=read_audit([audit_path]),
            tickets=read_tickets(export),
            policy=policy,
            zone=ZoneInfo("UTC"),
            now=NOW + H,
        )

    data = json.loads(renderer("json")(report()))
    volume = data["audit"]["volume"]
    assert volume["total"] >= 3 and volume["by"]["desk"] == {h.desk.name: volume["total"]}
    assert volume["by_kind"]["trigger"] >= 1  # the VIP ticket jumps by its trigger
    assert data["tickets"]["tickets"] == len(keys)
    assert data["tickets"]["escalated"] >= 3
    assert {row["group"] for row in data["tickets"]["sla_by_priority"]} >= {"P1", "P3"}
    for name in FORMATS:
        assert renderer(name)(report())
