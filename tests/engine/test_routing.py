"""Follow-the-sun routing: `assign` on a rotation team assigns to the region on
shift, at level 0 too; a hand-over moves a region's open tickets on when its
shift ends."""

from __future__ import annotations

from dataclasses import replace

from escalada.engine.evaluator import Evaluator
from tests.engine.fixtures import TEAMS
from tests.engine.fixtures import at
from tests.engine.fixtures import critical_outage
from tests.engine.fixtures import policy
from tests.engine.fixtures import state
from tests.engine.fixtures import ticket


def routed(*, handover: bool = False) -> Evaluator:
    path = critical_outage()
    levels = (replace(path.levels[0], actions=("assign",)), *path.levels[1:])
    teams = {**TEAMS, "service-desk": replace(TEAMS["service-desk"], handover=handover)}
    return Evaluator(policy(replace(path, levels=levels), teams=teams))


MONDAY_MORNING = "2026-11-23T09:05:00Z"  # 10:05 Stockholm: emea on shift


def test_level_0_assign_routes_a_new_ticket_to_the_region_on_shift() -> None:
    fresh = ticket(created=at("2026-11-23T09:00:00Z"))
    decision = routed().evaluate(fresh, at(MONDAY_MORNING))
    assert decision.level == 0
    (assign,) = decision.actions
    assert (assign.type, assign.team) == ("assign", "service-desk-emea")
    assert "emea open" in assign.reason


def test_routing_is_done_once_the_ticket_is_with_the_region() -> None:
    there = ticket(created=at("2026-11-23T09:00:00Z"), team="service-desk-emea")
    assert routed().evaluate(there, at(MONDAY_MORNING)).actions == ()


def test_a_ticket_someone_gave_another_team_is_left_alone() -> None:
    elsewhere = ticket(created=at("2026-11-23T09:00:00Z"), team="network-l2")
    assert routed().evaluate(elsewhere, at(MONDAY_MORNING)).actions == ()


def test_without_assign_level_0_routes_nothing() -> None:
    fresh = ticket(created=at("2026-11-23T09:00:00Z"))
    assert Evaluator(policy()).evaluate(fresh, at(MONDAY_MORNING)).actions == ()


def test_a_region_keeps_its_tickets_when_its_shift_ends_without_hand_over() -> None:
    late = ticket(
        created=at("2026-11-23T15:50:00Z"),
        team="service-desk-emea",
        responded=at("2026-11-23T15:55:00Z"),
    )
    # 18:05 Stockholm: emea closed, amer on shift
    assert routed().evaluate(late, at("2026-11-23T17:05:00Z")).actions == ()


def test_hand_over_moves_a_region_s_open_tickets_when_its_shift_ends() -> None:
    late = ticket(
        created=at("2026-11-23T15:50:00Z"),
        team="service-desk-emea",
        responded=at("2026-11-23T15:55:00Z"),
    )
    decision = routed(handover=True).evaluate(late, at("2026-11-23T17:05:00Z"))
    (assign,) = [a for a in decision.actions if a.type == "assign"]
    assert assign.team == "service-desk-amer"
    assert "hand-over from service-desk-emea" in assign.reason
    # during emea's shift nothing moves
    early = replace(late, created=at("2026-11-23T09:00:00Z"), responded=at("2026-11-23T09:01:00Z"))
    assert routed(handover=True).evaluate(early, at(MONDAY_MORNING)).actions == ()


def test_hand_over_applies_to_escalated_levels_that_assign_a_rotation() -> None:
    path = critical_outage()
    levels = (*path.levels[:1], replace(path.levels[1], team="service-desk"), *path.levels[2:])
    teams = {**TEAMS, "service-desk": replace(TEAMS["service-desk"], handover=True)}
    ev = Evaluator(policy(replace(path, levels=levels), teams=teams))
    held = ticket(
        created=at("2026-11-23T15:00:00Z"),
        team="service-desk-emea",
        escalation=state("critical-outage", 1, "2026-11-23T15:15:00Z"),
    )
    decision = ev.evaluate(held, at("2026-11-23T17:05:00Z"))
    assert decision.level == 1
    assert [(a.type, a.team) for a in decision.actions if a.type == "assign"] == [
        ("assign", "service-desk-amer")
    ]
