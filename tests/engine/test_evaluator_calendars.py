"""Business time in the engine: Friday evenings, holidays, the nights clocks change,
and a path's own calendar. The office calendar is Europe/Stockholm, Mon-Fri
08:00-17:00, Swedish public holidays plus 24 and 31 December; P2 runs on it."""

from __future__ import annotations

from dataclasses import replace

from escalada.engine.evaluator import Evaluator
from escalada.policy.model import Calendar
from escalada.policy.model import EscalationPath
from escalada.policy.model import Level
from escalada.policy.model import SlaShare
from escalada.ticket import Decision
from escalada.ticket import NextStep
from escalada.ticket import Ticket
from tests.engine.fixtures import CALENDARS
from tests.engine.fixtures import H
from tests.engine.fixtures import M
from tests.engine.fixtures import at
from tests.engine.fixtures import policy
from tests.engine.fixtures import state
from tests.engine.fixtures import ticket

EV = Evaluator(policy())


def decide(t: Ticket, now: str, ev: Evaluator = EV) -> Decision:
    return ev.evaluate(t, at(now))


def types(decision: Decision) -> list[str]:
    return [a.type for a in decision.actions]


def p2(created: str, **changes: object) -> Ticket:
    return ticket(priority="P2", impact=None, urgency=None, created=at(created), **changes)


# --- Friday evening ------------------------------------------------------------------

FRIDAY = "2026-11-27T15:30:00Z"  # 16:30 in Stockholm, half an hour before closing


def test_friday_evening_ticket_waits_for_monday() -> None:
    assert decide(p2(FRIDAY), "2026-11-27T15:40:00Z").next == NextStep(
        1, at("2026-11-27T15:45:00Z")
    )
    d = decide(p2(FRIDAY), "2026-11-28T12:00:00Z")  # Saturday
    assert (d.level, types(d)) == (1, ["assign", "comment", "mark", "notify"])
    assert "(30m business time elapsed, 30m left on the 1h respond target for P2)" in (
        d.actions[0].reason
    )
    # 75% of 8h = 6h: 30m on Friday, 5h30m on Monday from 08:00 (07:00Z)
    assert d.next == NextStep(2, at("2026-11-30T12:30:00Z"))


def test_friday_evening_ticket_climbs_monday_at_the_business_instant() -> None:
    held = p2(FRIDAY, escalation=state("critical-outage", 1, "2026-11-30T10:00:00Z"))
    assert decide(held, "2026-11-30T12:29:00Z").actions == ()
    assert decide(held, "2026-11-30T12:30:00Z").level == 2


def test_stakeholder_updates_run_on_the_priority_calendar() -> None:
    held = p2(FRIDAY, escalation=state("critical-outage", 1, "2026-11-27T15:45:00Z"))
    assert "update" not in types(decide(held, "2026-11-27T19:45:00Z"))  # 4h later, closed
    # Friday 16:45-17:00 and Monday 08:00-11:45 (Stockholm): 4h of office time
    assert "update" not in types(decide(held, "2026-11-30T10:44:00Z"))
    assert "update" in types(decide(held, "2026-11-30T10:45:00Z"))


# --- holidays --------------------------------------------------------------------------


def test_christmas_is_closed() -> None:
    t = p2("2026-12-23T15:00:00Z")  # Wed 16:00; 24 (listed), 25 (public), weekend closed
    d = decide(t, "2026-12-24T10:00:00Z")
    assert d.level == 1
    assert d.next == NextStep(2, at("2026-12-28T12:00:00Z"))  # 1h Wed + 5h Mon


def test_new_year_holidays_stack() -> None:
    t = p2("2026-12-30T15:50:00Z")  # Wed 16:50; 31 Dec (listed) and 1 Jan (public) closed
    d = decide(t, "2026-12-30T15:55:00Z")
    assert d.next == NextStep(1, at("2027-01-04T07:05:00Z"))  # 10m on Wed, 5m on Monday


# --- the nights clocks change -------------------------------------------------------------

NIGHTS = Calendar("night-shift", "Europe/Stockholm", tuple(((0, 360),) for _ in range(7)))
NIGHT_OPS = EscalationPath(
    name="night-ops",
    match=None,
    precedence=0,
    calendar="night-shift",
    levels=(
        Level(0, "service-desk"),
        Level(1, "network-l2", after=6 * H),
        Level(2, "it-management", after=7 * H),
    ),
)
NIGHT_EV = Evaluator(policy(NIGHT_OPS, calendars={**CALENDARS, "night-shift": NIGHTS}))


def test_autumn_night_is_an_hour_longer() -> None:
    t = ticket(created=at("2026-10-24T22:00:00Z"))  # Sun 25 Oct 00:00 CEST; 03:00 -> 02:00
    d = decide(t, "2026-10-25T04:30:00Z", NIGHT_EV)  # 05:30 CET: 6h30m of night passed
    assert d.level == 1
    assert d.next == NextStep(2, at("2026-10-25T05:00:00Z"))  # 7h fit in that one night


def test_spring_night_is_an_hour_shorter() -> None:
    t = ticket(created=at("2026-03-28T23:00:00Z"))  # Sun 29 Mar 00:00 CET; 02:00 -> 03:00
    d = decide(t, "2026-03-29T12:00:00Z", NIGHT_EV)
    assert d.level == 0  # the night held only 5h
    assert d.next == NextStep(1, at("2026-03-29T23:00:00Z"))  # 1h into the next night


# --- 24x7 ------------------------------------------------------------------------------------


def test_p1_on_24x7_ignores_weekends() -> None:
    t = ticket(created=at("2026-11-28T12:00:00Z"))  # Saturday
    assert decide(t, "2026-11-28T12:15:00Z").level == 1
    assert decide(t, "2026-11-28T15:00:00Z").level == 2


# --- a path's own calendar -------------------------------------------------------------------


def test_path_calendar_governs_after_while_at_stays_on_the_priority_calendar() -> None:
    path = EscalationPath(
        name="office-only",
        match=None,
        precedence=0,
        calendar="office",
        levels=(
            Level(0, "service-desk"),
            Level(1, "network-l2", after=15 * M),
            Level(2, "it-management", at=SlaShare(50, "resolve")),
        ),
    )
    ev = Evaluator(policy(path))
    t = ticket(created=at("2026-11-28T12:00:00Z"))  # P1 on a Saturday
    d = decide(t, "2026-11-28T14:05:00Z", ev)
    assert d.level == 2  # 50% of 4h on 24x7: 14:00Z, although office is closed
    assert "Skipped: L1 network-l2." in d.actions[0].reason  # its office time is Monday
    fresh = decide(t, "2026-11-28T12:30:00Z", ev)
    assert fresh.next == NextStep(2, at("2026-11-28T14:00:00Z"))


def test_team_on_shift_follows_the_sun_at_decision_time() -> None:
    t = ticket()
    assert decide(t, "2026-11-23T09:05:00Z").team == "service-desk-emea"
    assert decide(replace(t, created=at("2026-11-23T17:00:00Z")), "2026-11-23T17:05:00Z").team == (
        "service-desk-amer"
    )
    assert decide(replace(t, created=at("2026-11-23T23:00:00Z")), "2026-11-23T23:05:00Z").team == (
        "service-desk-apac"
    )
