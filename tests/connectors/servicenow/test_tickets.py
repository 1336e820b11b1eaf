"""ServiceNow values <-> escalada values, without HTTP."""

from __future__ import annotations

from datetime import datetime
from datetime import timezone

import pytest

from escalada.connectors.servicenow.options import candidate_query
from escalada.connectors.servicenow.options import parse_options
from escalada.connectors.servicenow.tickets import choose_cell
from escalada.connectors.servicenow.tickets import latest_markers
from escalada.connectors.servicenow.tickets import plan_write
from escalada.errors import DeskError
from escalada.errors import EscaladaError
from escalada.marker import note_line
from escalada.policy.model import Desk
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import Action
from escalada.ticket import EscalationState

SINCE = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
LEVEL1 = EscalationState(path="outage", level=1, since=SINCE)
BASE = {
    ("1", "1"): "1",
    ("1", "2"): "2",
    ("1", "3"): "3",
    ("2", "1"): "2",
    ("2", "2"): "3",
    ("2", "3"): "4",
    ("3", "1"): "3",
    ("3", "2"): "4",
    ("3", "3"): "5",
}


def desk(**spec: object) -> Desk:
    return Desk(name="sn", type="servicenow", url="https://acme.service-now.com", **spec)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("scope", "query"),
    [
        (None, "active=true^stateNOT IN6,7,8"),
        ("category=network", "category=network^active=true^stateNOT IN6,7,8"),
        ("category=network^EQ", "category=network^active=true^stateNOT IN6,7,8"),
    ],
)
def test_candidate_query(scope: str | None, query: str) -> None:
    sn = desk(scope=scope)
    assert candidate_query(sn, parse_options(sn)) == query


def test_custom_states_decide_what_is_done() -> None:
    sn = desk(options={"states": {"1": "open", "10": "pending", "20": "resolved"}})
    assert candidate_query(sn, parse_options(sn)) == "active=true^stateNOT IN20"


@pytest.mark.parametrize("scope", ["a=1^NQb=2", "a=1^ORDERBYnumber", "NQa=1"])
def test_scope_that_would_escape_the_and_is_refused(scope: str) -> None:
    sn = desk(scope=scope)
    with pytest.raises(EscaladaError, match="spec.scope"):
        candidate_query(sn, parse_options(sn))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"page_sise": 10}, "unknown servicenow option"),
        ({"page_size": 20_000}, "out of range"),
        ({"page_size": 0}, "out of range"),
        ({"states": {"1": "waiting"}}, "options.states"),
        ({"marker_field": 5}, "options.marker_field"),
    ],
)
def test_bad_options_are_one_clear_error(options: dict[str, object], message: str) -> None:
    with pytest.raises(EscaladaError, match=message):
        parse_options(desk(options=options))


def test_choose_cell_changes_the_fewest_fields_and_keeps_impact_on_a_tie() -> None:
    assert choose_cell("2", BASE, "2", "3") == ("2", "1")  # urgency only
    assert choose_cell("3", BASE, "2", "1") == ("2", "2")  # tie with (3, 1): keep impact
    assert choose_cell("1", BASE, "3", "3") == ("1", "1")
    assert choose_cell("9", BASE, "1", "1") is None


def test_latest_marker_per_ticket_and_same_second_rules() -> None:
    pending = EscalationState(path="outage", level=1, since=SINCE, pending=True)
    level2 = EscalationState(path="outage", level=2, since=SINCE)
    rows = [
        ("a", "2026-11-23 10:00:00", note_line(pending)),
        ("a", "2026-11-23 10:00:00", note_line(LEVEL1)),  # confirmation, same second
        ("b", "2026-11-23 10:00:00", note_line(level2)),
        ("b", "2026-11-23 10:00:00", note_line(LEVEL1)),  # a racing runner: level 2 wins
        ("c", "2026-11-23 10:00:00", note_line(LEVEL1)),
        ("c", "2026-11-23 11:00:00", note_line(NOT_ESCALATED) + "\n\nleft the path"),
        ("d", "2026-11-23 09:00:00", "escalada-marker-ish text, not a marker"),
    ]
    assert latest_markers(rows) == {"a": LEVEL1, "b": level2, "c": NOT_ESCALATED}


def test_notes_share_one_work_note_with_the_marker_line_first() -> None:
    sn = desk()
    write = plan_write(
        sn,
        parse_options(sn),
        [
            Action("comment", "No response in 15m"),
            Action("notify", "sent by the runner", channels=("sd-leads",)),
            Action("update", "Still escalated"),
            Action("ask_reason", "Why?"),
            Action("mark", "l1", state=LEVEL1),
        ],
        {},
        group_id=lambda name: "x",
        cells=lambda: BASE,
    )
    assert write.fields == {
        "work_notes": f"{note_line(LEVEL1)}\n\nNo response in 15m\n\nStill escalated",
        "comments": "Why?",
    }
    assert write.written == ("comment", "update", "ask_reason", "mark")


def test_unmapped_team_or_priority_is_a_desk_error() -> None:
    sn = desk(teams={"l2": "Network L2"}, priorities={"P1": "1"})
    options = parse_options(sn)
    kwargs = {"group_id": lambda name: "x", "cells": lambda: BASE}
    with pytest.raises(DeskError, match="team 'l3'"):
        plan_write(sn, options, [Action("assign", "r", team="l3")], {}, **kwargs)
    with pytest.raises(DeskError, match="priority 'P2'"):
        plan_write(sn, options, [Action("set_priority", "r", priority="P2")], {}, **kwargs)
