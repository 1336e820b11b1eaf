"""SLA clock semantics as the desks have them (issue 11): pausing statuses,
reopened tickets, updates on the priority's calendar, renamed paths, and the
engine defects the issue lists."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from datetime import datetime
from zoneinfo import ZoneInfo

from escalada.engine.evaluator import Evaluator
from escalada.policy.model import Calendar
from escalada.policy.model import EscalationPath
from escalada.policy.model import Level
from escalada.ticket import Decision
from escalada.ticket import StatusChange
from escalada.ticket import Ticket
from tests.engine.fixtures import CALENDARS
from tests.engine.fixtures import H
from tests.engine.fixtures import at
from tests.engine.fixtures import compliance
from tests.engine.fixtures import critical_outage
from tests.engine.fixtures import matrix
from tests.engine.fixtures import policy
from tests.engine.fixtures import standard
from tests.engine.fixtures import state
from tests.engine.fixtures import ticket

EV = Evaluator(policy())


def decide(t: Ticket, now: str | datetime, ev: Evaluator = EV) -> Decision:
    return ev.evaluate(t, at(now) if isinstance(now, str) else now)


def history(*entries: tuple[str, str]) -> tuple[StatusChange, ...]:
    return tuple(StatusChange(status, at(since)) for status, since in entries)  # type: ignore[arg-type]


def types(decision: Decision) -> list[str]:
    return [a.type for a in decision.actions]


# --- pause ------------------------------------------------------------------------


def test_a_pending_ticket_is_not_escalated_by_time() -> None:
    waiting = ticket(status="pending")  # P1 critical-outage: L1 after 15m
    decision = decide(waiting, "2026-11-23T09:30:00Z")
    assert (decision.level, decision.actions, decision.next) == (0, (), None)


def test_on_hold_pauses_by_default_and_a_policy_can_say_otherwise() -> None:
    assert decide(ticket(status="on-hold"), "2026-11-23T09:30:00Z").level == 0
    never = policy(matrix=replace(matrix(), pause=frozenset()))
    ev = Evaluator(replace(never, matrix=_pause_all(never.matrix, frozenset())))
    assert decide(ticket(status="pending"), "2026-11-23T09:30:00Z", ev).level == 1


def _pause_all(m, pause):
    priorities = {name: replace(p, pause=pause) for name, p in m.priorities.items()}
    return replace(m, pause=pause, priorities=priorities)


def test_a_priority_can_override_the_matrix_pause() -> None:
    m = matrix()
    p1 = replace(m.priorities["P1"], pause=frozenset({"on-hold"}))
    ev = Evaluator(policy(matrix=replace(m, priorities={**m.priorities, "P1": p1})))
    assert decide(ticket(status="pending"), "2026-11-23T09:30:00Z", ev).level == 1
    assert decide(ticket(status="on-hold"), "2026-11-23T09:30:00Z", ev).level == 0


def test_triggers_still_fire_on_a_pending_ticket() -> None:
    vip = ticket(status="pending", requester=replace(ticket().requester, vip=True))
    assert decide(vip, "2026-11-23T09:30:00Z").level == 2


def test_paused_time_before_now_comes_from_the_status_history() -> None:
    paused = ticket(
        status_history=history(
            ("open", "2026-11-23T09:00:00Z"),
            ("pending", "2026-11-23T09:05:00Z"),
            ("open", "2026-11-23T10:05:00Z"),
        )
    )
    early = decide(paused, "2026-11-23T10:14:00Z")
    assert early.level == 0
    assert early.next is not None and early.next.at == at("2026-11-23T10:15:00Z")
    assert decide(paused, "2026-11-23T10:15:00Z").level == 1


def test_explain_shows_the_paused_business_time() -> None:
    from escalada.commands.explain import explain
    from escalada.commands.explain import render_text

    paused = ticket(
        status="pending",
        status_history=history(
            ("open", "2026-11-23T09:00:00Z"), ("pending", "2026-11-23T09:05:00Z")
        ),
    )
    text = render_text(explain(policy(), paused, at("2026-11-23T10:05:00Z")))
    assert "paused" in text and "1h00m" in text, text


# --- reopen -----------------------------------------------------------------------


def test_a_reopened_ticket_climbs_again() -> None:
    reopened = ticket(resolved=at("2026-11-23T09:10:00Z"), responded=at("2026-11-23T09:05:00Z"))
    # the status decides: open, so `unless: resolved` levels are not stopped
    assert decide(reopened, "2026-11-23T16:30:00Z").level == 3


def test_time_spent_resolved_counts_as_paused() -> None:
    reopened = ticket(
        resolved=at("2026-11-23T09:10:00Z"),
        responded=at("2026-11-23T09:05:00Z"),
        status_history=history(
            ("open", "2026-11-23T09:00:00Z"),
            ("resolved", "2026-11-23T09:10:00Z"),
            ("open", "2026-11-23T12:00:00Z"),
        ),
    )
    # 10m + 4h30m running: L2 (75% of 4h = 3h) is due, L3 (7h) is not
    decision = decide(reopened, "2026-11-23T16:30:00Z")
    assert decision.level == 2
    assert decision.next is not None and decision.next.level == 3
    assert decision.next.at == at("2026-11-23T18:50:00Z")


# --- updates on the priority's calendar -------------------------------------------


def test_updates_count_on_the_priority_calendar() -> None:
    p2 = ticket(
        priority="P2", impact="extensive", urgency="medium", created=at("2026-11-27T14:00:00Z")
    )  # P2: office (Mon-Fri 08-17 Stockholm), an update every 4h
    held = replace(p2, escalation=state("critical-outage", 1, "2026-11-27T15:00:00Z"))  # Fri 16:00
    assert "update" not in types(decide(held, "2026-11-28T02:00:00Z"))  # Saturday 03:00
    assert "update" in types(decide(held, "2026-11-30T10:00:00Z"))  # Monday 11:00: 1h + 3h


# --- renamed paths ----------------------------------------------------------------


def test_a_marker_of_a_former_name_is_the_new_path_s() -> None:
    general = replace(standard(), name="general", moved_from=("standard",))
    ev = Evaluator(policy(critical_outage(), compliance(), general))
    plain = ticket(tags=frozenset(), priority="P3", impact="minor", urgency="critical")
    held = replace(plain, escalation=state("standard", 1, "2026-11-23T13:00:00Z", asked=True))
    decision = decide(replace(held, tags=frozenset({"escalate"})), "2026-11-23T14:00:00Z", ev)
    assert (decision.path, decision.level, decision.actions) == ("general", 1, ())


# --- defects ------------------------------------------------------------------------


def test_next_keeps_a_level_whose_response_lies_after_the_instant() -> None:
    path = EscalationPath(
        "slow",
        None,
        0,
        (
            Level(0, "service-desk"),
            Level(1, "network-l2", after=4 * H, unless="responded"),
            Level(2, "it-management", after=5 * H),
        ),
    )
    ev = Evaluator(policy(path))
    later = ticket(created=at("2026-11-23T08:00:00Z"), responded=at("2026-11-23T15:00:00Z"))
    decision = decide(later, "2026-11-23T10:00:00Z", ev)
    assert decision.next is not None
    assert (decision.next.level, decision.next.at) == (1, at("2026-11-23T12:00:00Z"))


def test_triggers_do_not_fire_on_a_ticket_created_after_the_instant() -> None:
    vip = ticket(requester=replace(ticket().requester, vip=True))
    decision = decide(vip, "2026-11-23T08:00:00Z")
    assert (decision.level, decision.actions) == (0, ())


def test_a_response_exactly_at_the_threshold_is_on_time() -> None:
    on_time = ticket(responded=at("2026-11-23T09:15:00Z"))  # L1: 15m unless responded
    assert decide(on_time, "2026-11-23T10:00:00Z").level == 0


def test_a_move_into_a_due_level_names_the_time_rule() -> None:
    breach = ticket(description="personal data exposed")  # data-protection -> compliance
    decision = decide(breach, "2026-11-23T11:30:00Z")
    assert (decision.path, decision.level) == ("compliance", 1)
    comment = next(a.reason for a in decision.actions if a.type == "comment")
    assert "functional escalation from critical-outage" in comment
    assert "2h business time since opening" in comment, comment


def test_24x7_arithmetic_is_real_time_with_zoneinfo_instants() -> None:
    sto = ZoneInfo("Europe/Stockholm")  # 2026-10-25 03:00 CEST becomes 02:00 CET
    created = datetime(2026, 10, 25, 1, 0, tzinfo=sto)  # 23:00Z
    now = datetime(2026, 10, 25, 3, 0, tzinfo=sto)  # 02:00Z: 3h later, 2h on the wall
    assert decide(ticket(created=created), now).level == 2  # L2: 75% of 4h = 3h


def test_explain_of_a_ticket_created_after_the_instant() -> None:
    from escalada.commands.explain import explain
    from escalada.commands.explain import render_text

    text = render_text(explain(policy(), ticket(), at("2026-11-23T08:00:00Z")))
    assert "in the future ago" not in text
    assert "1h00m after the instant" in text, text


def test_recurring_closed_days_close_every_year() -> None:
    from escalada.engine.calendars import BusinessClock
    from escalada.engine.calendars import closed_days

    office = replace(CALENDARS["emea"], holiday_days=frozenset({(12, 24)}))
    clock = BusinessClock(office)
    eve = datetime(2027, 12, 24, 10, tzinfo=ZoneInfo("Europe/Stockholm"))  # a Friday
    assert not clock.is_open(eve)
    assert date(2028, 12, 24) in closed_days(office, (2027, 2028))
    assert isinstance(office, Calendar)


def test_a_calendar_lists_days_closed_every_year() -> None:
    from escalada.policy.build import build_policy
    from escalada.policy.check.schema import validator
    from escalada.policy.load.documents import Document
    from escalada.policy.model import NOWHERE

    spec = {"timezone": "Europe/Stockholm", "holidays": {"dates": ["12-24", "2026-05-01"]}}
    data = {"apiVersion": "escalada/v1", "kind": "Calendar", "metadata": {"name": "c"}}
    assert validator("Calendar").is_valid({**data, "spec": spec})
    bad = {**data, "spec": {**spec, "holidays": {"dates": ["13-01"]}}}
    assert not validator("Calendar").is_valid(bad)
    where = Document("c.yaml", 0, {}, NOWHERE).start
    built, findings = build_policy([Document("c.yaml", 0, {**data, "spec": spec}, where)])
    assert not findings
    calendar = built.calendars["c"]
    assert calendar.holiday_days == {(12, 24)} and calendar.holiday_dates == {date(2026, 5, 1)}
