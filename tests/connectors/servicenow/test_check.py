"""`desks check` on ServiceNow: each misconfiguration is one failed item with its fix."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from escalada.policy.model import ValueMapping
from tests.connectors.servicenow.harness import ServiceNowHarness
from tests.connectors.servicenow.harness import open_harness


@pytest.fixture
def h(tmp_path: Path) -> Iterator[ServiceNowHarness]:
    with open_harness(tmp_path) as harness:
        yield harness


def results(h: ServiceNowHarness) -> dict[str, tuple[bool, str]]:
    sn = h.connector()
    items = sn.check()
    assert all(item.desk == h.desk.name for item in items)
    return {item.item: (item.ok, item.detail) for item in items}


def test_a_well_configured_desk_passes_in_five_queries(h: ServiceNowHarness) -> None:
    sn = h.connector()
    items = sn.check()
    assert [i.item for i in items if not i.ok] == []
    assert {i.item for i in items} == {
        "credentials",
        "read incident",
        "group IT Management",
        "group Network L2",
        "group Service Desk",
        "field impact",
        "field urgency",
        "field u_escalada",
        "priority values",
        "impact values",
        "urgency values",
    }
    assert sn.calls == 5
    (creds,) = [i for i in items if i.item == "credentials"]
    assert creds.detail == "authenticated as escalada.integration"


def test_refused_credentials_stop_the_check_with_the_fix(h: ServiceNowHarness) -> None:
    h.fake.password = "rotated"
    found = results(h)
    assert list(found) == ["credentials"]
    ok, detail = found["credentials"]
    assert not ok and "User Not Authenticated" in detail and "credentials" in detail


def test_no_read_access_to_sys_user_still_proves_the_login(h: ServiceNowHarness) -> None:
    h.fake.denied.add(("GET", "sys_user"))
    found = results(h)
    assert found["credentials"][0] and "may not read sys_user" in found["credentials"][1]
    assert found["read incident"][0]


def test_no_read_access_to_incidents(h: ServiceNowHarness) -> None:
    h.fake.denied.add(("GET", "incident"))
    ok, detail = results(h)["read incident"]
    assert not ok and "itil" in detail


def test_missing_inactive_and_ambiguous_groups(h: ServiceNowHarness) -> None:
    h.fake.tables["sys_user_group"][h.groups["Network L2"]]["active"] = "false"
    del h.fake.tables["sys_user_group"][h.groups["IT Management"]]
    h.fake.insert("sys_user_group", name="Service Desk", active=True)
    found = results(h)
    assert found["group Network L2"] == (False, "exists but is inactive")
    assert not found["group IT Management"][0]
    assert "create it" in found["group IT Management"][1]
    assert found["group Service Desk"] == (
        False,
        "2 active groups share this name: rename all but one",
    )


def test_a_marker_field_the_admin_has_not_created(tmp_path: Path) -> None:
    with open_harness(tmp_path) as h:
        for row in h.fake.find("sys_dictionary", element="u_escalada"):
            del h.fake.tables["sys_dictionary"][row["sys_id"]]
        ok, detail = results(h)["field u_escalada"]
        assert not ok and "remove options.marker_field" in detail


def test_impact_and_priority_values_must_be_choices(h: ServiceNowHarness) -> None:
    h.desk = dataclasses.replace(
        h.desk,
        impact=ValueMapping("impact", {"high": "1", "medium": "2", "low": "4"}),
        priorities={"P1": "1", "P2": "2", "P3": "3", "P4": "Low"},
    )
    found = results(h)
    assert found["impact values"] == (
        False,
        "not choices of impact: low -> 4 (its values: 1, 2, 3)",
    )
    assert found["priority values"][0] is False and "P4 -> Low" in found["priority values"][1]
    assert found["urgency values"][0]
