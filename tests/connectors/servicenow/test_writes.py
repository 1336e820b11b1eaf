"""ServiceNow's batched re-reads before writing and its Batch API clearing of
pending tokens (escalada.connectors.servicenow.writes), counted on the fake."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from escalada.errors import ConflictError
from escalada.ticket import Action
from escalada.ticket import EscalationState
from tests.connectors.contract import NOW
from tests.connectors.contract import OPENED
from tests.connectors.servicenow.harness import ServiceNowHarness
from tests.connectors.servicenow.harness import open_harness

PENDING = EscalationState(path="critical-outage", level=1, since=NOW, pending=True)


@pytest.fixture(params=["u_escalada", None], ids=["marker-field", "work-notes"])
def h(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ServiceNowHarness]:
    with open_harness(tmp_path, marker_field=request.param) as harness:
        yield harness


def test_150_writes_cost_two_rereads_and_a_patch_each_then_two_batch_calls(h):
    for i in range(150):
        h.add_ticket(title=f"t{i}", created=OPENED)
    sn = h.connector()
    read = {t.key: t for t in sn.candidates()}
    keys = list(read)  # written in the candidates' order, as the runner does
    before = h.calls
    written = []
    for key in keys:
        result = sn.apply(read[key], [Action("mark", "level 1", state=PENDING)])
        written.append(replace(read[key], escalation=PENDING, revision=result.revision))
    assert len(h.fake.patches) == 150
    assert h.calls - before == 2 + 150  # sys_idIN re-reads of 100 and 50, one PATCH each
    before = h.calls
    cleared = sn.clear_pending(written)
    assert h.calls - before == 2  # one Batch API call per 100, no re-read
    assert [t.key for t in cleared] == keys
    assert all(not t.escalation.pending for t in cleared)
    assert all(h.view(k).escalation == replace(PENDING, pending=False) for k in keys)
    assert all(
        t.revision == f"{h.incident(t.key)['sys_id']}:{h.incident(t.key)['sys_mod_count']}"
        for t in cleared
    )


def test_a_ticket_edited_before_its_reread_is_a_conflict_and_the_next_one_is_written(h):
    for i in range(2):
        h.add_ticket(title=f"t{i}", created=OPENED)
    sn = h.connector()
    read = {t.key: t for t in sn.candidates()}
    first, second = read  # the candidates' order
    h.edit(first, title="edited by a human")
    with pytest.raises(ConflictError):
        sn.apply(read[first], [Action("mark", "level 1", state=PENDING)])
    before = h.calls
    sn.apply(read[second], [Action("mark", "level 1", state=PENDING)])
    assert h.calls - before == 1  # re-read with the first: the PATCH alone
