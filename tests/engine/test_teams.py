from __future__ import annotations

from dataclasses import replace

import pytest

from escalada.engine.teams import TeamResolver
from escalada.engine.teams import calendar_named
from escalada.engine.teams import resolve_team
from escalada.errors import EscaladaError
from escalada.policy.model import RotationShift
from escalada.policy.model import Team
from tests.engine.fixtures import TEAMS
from tests.engine.fixtures import at
from tests.engine.fixtures import policy


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-11-23T09:00:00Z", "service-desk-emea"),  # Mon 10:00 Stockholm
        ("2026-11-23T15:00:00Z", "service-desk-emea"),  # emea and amer open: first written
        ("2026-11-23T17:00:00Z", "service-desk-amer"),  # 18:00 Stockholm, 12:00 New York
        ("2026-11-24T02:00:00Z", "service-desk-apac"),  # Tue 10:00 Singapore
        ("2026-11-23T23:00:00Z", "service-desk-apac"),  # none open: Singapore opens first
        ("2026-11-28T12:00:00Z", "service-desk-apac"),  # Saturday: Monday comes to Asia first
    ],
)
def test_follow_the_sun_picks_the_region_on_shift(moment: str, expected: str) -> None:
    resolved = resolve_team(policy(), "service-desk", at(moment))
    assert resolved.name == expected
    assert resolved.team == "service-desk"


def test_none_open_names_the_next_opening() -> None:
    resolved = resolve_team(policy(), "service-desk", at("2026-11-23T23:00:00Z"))
    assert resolved.shift == "no region open; apac opens first, 2026-11-24 00:00Z"
    on_shift = resolve_team(policy(), "service-desk", at("2026-11-23T17:00:00Z"))
    assert on_shift.shift == "amer open"


def test_a_tie_on_next_opening_goes_to_the_first_written() -> None:
    twins = Team(
        "twins",
        rotation=(
            RotationShift("service-desk-amer", "emea"),
            RotationShift("service-desk-emea", "emea"),
        ),
    )
    teams = {**TEAMS, "twins": twins}
    resolved = resolve_team(policy(teams=teams), "twins", at("2026-11-28T12:00:00Z"))
    assert resolved.name == "service-desk-amer"


def test_channels_are_the_rotation_then_the_region() -> None:
    emea = resolve_team(policy(), "service-desk", at("2026-11-23T09:00:00Z"))
    assert emea.channels == ("sd-leads", "sd-emea")
    amer = resolve_team(policy(), "service-desk", at("2026-11-23T17:00:00Z"))
    assert amer.channels == ("sd-leads",)


def test_a_team_without_rotation_is_itself() -> None:
    resolver = TeamResolver(policy())
    resolved = resolver.resolve("network-l2", at("2026-11-28T03:00:00Z"))
    assert (resolved.name, resolved.team, resolved.channels, resolved.shift) == (
        "network-l2",
        "network-l2",
        ("net",),
        None,
    )
    assert resolver.resolve("not-defined", at("2026-11-28T03:00:00Z")).channels == ()


def test_unknown_calendar_is_one_clear_error() -> None:
    with pytest.raises(EscaladaError, match="calendar 'moon' is not defined"):
        calendar_named(policy(), "moon")
    assert calendar_named(replace(policy(), calendars={}), "24x7").always_open
