"""`escalada desks check` on Zendesk (connectors/zendesk/check.py) against the stateful fake:
every misconfiguration is a failed CheckItem, never an exception."""

from __future__ import annotations

from dataclasses import replace

import pytest
import responses

from tests.connectors.zendesk.harness import ZendeskHarness
from tests.fakes.zendesk import ZendeskFake


@pytest.fixture
def h():
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield ZendeskHarness(ZendeskFake(mock))


def items(h, connector=None):
    return {i.item: i for i in (connector or h.connector()).check()}


def test_check_passes_on_a_well_mapped_desk(h):
    found = items(h)
    assert all(i.ok for i in found.values()), [i for i in found.values() if not i.ok]
    assert {"credentials", "group Network L2", f"impact field {h.impact_field}"} <= set(found)


def test_check_reports_bad_credentials_without_raising(h):
    h.fake.token = "rotated"
    (item,) = h.connector().check()
    assert item.item == "credentials" and not item.ok
    assert "HTTP 401" in item.detail and "token" in item.detail


def test_check_reports_roles(h):
    h.fake.role = "agent"
    found = items(h)
    assert found["credentials"].ok and not found["role admin (reconcile)"].ok
    h.fake.role = "end-user"
    (item,) = h.connector().check()
    assert not item.ok and "end-user" in item.detail


def test_check_reports_missing_groups_fields_options_and_priorities(h):
    del h.fake.groups[h.fake.group_id("IT Management")]
    h.fake.ticket_fields[h.impact_field]["custom_field_options"].pop()
    h.desk = replace(
        h.desk,
        priorities={**h.desk.priorities, "P4": "lowest"},
        fields={"vip": "vip", "region": "999"},
    )
    found = items(h)
    assert not found["group IT Management"].ok
    assert "missing option values min" in found[f"impact field {h.impact_field}"].detail
    assert not found["field region 999"].ok
    assert not found["priority P4 -> lowest"].ok
    assert found["group Network L2"].ok


def test_check_survives_the_desk_being_down(h):
    h.fake.inject("503", times=1000)
    (item,) = h.connector().check()
    assert not item.ok and "503" in item.detail
