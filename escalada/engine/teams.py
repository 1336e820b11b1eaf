"""Which team takes a level's work at an instant (follow-the-sun rotations).

A team without `rotation` is itself. A team with a rotation hands the work to
the regional team on shift:

1. the first regional team, in the order written, whose calendar is open at
   that instant;
2. when none is open (a weekend, a holiday in every region), the one whose
   calendar opens next (`BusinessClock.next_open`); on a tie, the first written.

Notifications go to the rotation team's channels and then the regional team's
(duplicates dropped), so the leads who own the rotation hear of every
escalation and the region on shift hears of its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from escalada.engine.calendars import BusinessClock
from escalada.engine.calendars import clock_for
from escalada.errors import EscaladaError
from escalada.policy.model import BUILTIN_24X7
from escalada.policy.model import BUILTIN_CALENDAR
from escalada.policy.model import Calendar
from escalada.policy.model import Policy
from escalada.policy.model import Team


@dataclass(frozen=True, slots=True)
class ResolvedTeam:
    """The team that takes the work, and how it was chosen."""

    name: str  # the team that takes the work (a regional team for a rotation)
    team: str  # the team the policy names on the level
    channels: tuple[str, ...]  # notify channels, rotation's first
    shift: str | None = None  # e.g. "emea open" / "none open; amer opens first at ..."


def calendar_named(policy: Policy, name: str) -> Calendar:
    """The calendar a policy names; `24x7` is built in."""
    found = policy.calendars.get(name)
    if found is not None:
        return found
    if name == BUILTIN_CALENDAR:
        return BUILTIN_24X7
    raise EscaladaError(
        f"calendar {name!r} is not defined in the policy",
        hint="add a Calendar document with that metadata.name, or use 24x7",
    )


class TeamResolver:
    """Resolves team names for one policy; clocks are shared through `clock_for`."""

    def __init__(self, policy: Policy, clock: Callable[[str], BusinessClock] | None = None) -> None:
        self.policy = policy
        self._clock = clock or (lambda name: clock_for(calendar_named(policy, name)))
        self._static: dict[str, ResolvedTeam] = {}
        # (instant, rotations resolved at it), swapped as one tuple so threads
        # sharing a resolver at different instants never read each other's
        self._rotated: tuple[datetime | None, dict[str, ResolvedTeam]] = (None, {})

    def resolve(self, name: str, at: datetime) -> ResolvedTeam:
        """The team that takes `name`'s work at `at`."""
        static = self._static.get(name)
        if static is not None:
            return static
        team = self.policy.teams.get(name)
        if team is None or not team.rotation:
            resolved = ResolvedTeam(name, name, team.notify if team else ())
            self._static[name] = resolved
            return resolved
        known, rotated = self._rotated
        if at != known:  # a runner cycle evaluates every ticket at one instant
            rotated = {}
            self._rotated = (at, rotated)
        found = rotated.get(name)
        if found is None:
            found = rotated[name] = self._rotate(team, at)
        return found

    def region_open(self, team: Team, region: str, at: datetime) -> bool:
        """Whether a regional team of `team`'s rotation is on shift at `at`."""
        return any(self._clock(s.calendar).is_open(at) for s in team.rotation if s.team == region)

    def _rotate(self, team: Team, at: datetime) -> ResolvedTeam:
        for shift in team.rotation:
            if self._clock(shift.calendar).is_open(at):
                return self._pick(team, shift.team, f"{shift.calendar} open")
        best = None
        for shift in team.rotation:
            opens = self._clock(shift.calendar).next_open(at)
            if best is None or opens < best[0]:
                best = (opens, shift)
        assert best is not None  # a rotation has at least one shift
        opens, shift = best
        when = opens.strftime("%Y-%m-%d %H:%MZ")
        return self._pick(team, shift.team, f"no region open; {shift.calendar} opens first, {when}")

    def _pick(self, team: Team, regional: str, shift: str) -> ResolvedTeam:
        own = self.policy.teams.get(regional)
        channels = tuple(dict.fromkeys(team.notify + (own.notify if own else ())))
        return ResolvedTeam(regional, team.name, channels, shift)


def resolve_team(policy: Policy, name: str, at: datetime) -> ResolvedTeam:
    """The team that takes `name`'s work at `at` (see the module docstring)."""
    return TeamResolver(policy).resolve(name, at)
