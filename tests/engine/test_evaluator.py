"""Time rules, state, updates and clearing, on 24x7 (P1's calendar)."""

from __future__ import annotations

from dataclasses import replace

import pytest

from escalada.engine.evaluator import Evaluator
from escalada.engine.evaluator import evaluate
from escalada.policy.model import EscalationPath
from escalada.policy.model import Level
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import Decision
from escalada.ticket import EscalationState
from escalada.ticket import NextStep
from escalada.ticket import Ticket
from tests.engine.fixtures import H
from tests.engine.fixtures import M
from tests.engine.fixtures import at
from tests.engine.fixtures import critical_outage
from tests.engine.fixtures import field
from tests.engine.fixtures import policy
from tests.engine.fixtures import state
from tests.engine.fixtures import ticket

EV = Evaluator(policy())


def decide(t: Ticket, now: str, ev: Evaluator = EV) -> Decision:
    return ev.evaluate(t, at(now))


def types(decision: Decision) -> list[str]:
    return [a.type for a in decision.actions]


def mark(decision: Decision) -> EscalationState:
    found = [a.state for a in decision.actions if a.type in ("mark", "clear")]
    assert len(found) == 1, types(decision)
    assert found[0] is not None
    return found[0]


def test_before_the_first_threshold_nothing_happens() -> None:
    d = decide(ticket(), "2026-11-23T09:10:00Z")
    assert (d.path, d.level, d.team, d.priority) == (
        "critical-outage",
        0,
        "service-desk-emea",
        "P1",
    )
    assert d.actions == ()
    assert d.next == NextStep(1, at("2026-11-23T09:15:00Z"))


def test_after_threshold_escalates_with_the_levels_actions_in_order() -> None:
    d = decide(ticket(), "2026-11-23T09:20:00Z")
    assert (d.level, d.team) == (1, "network-l2")
    assert types(d) == ["assign", "comment", "mark", "notify"]
    assign, _, _, notify = d.actions
    assert assign.team == "network-l2"
    assert (notify.team, notify.channels) == ("network-l2", ("net",))
    assert mark(d) == EscalationState(
        "critical-outage", 1, at("2026-11-23T09:20:00Z"), history=("critical-outage:1",)
    )
    assert d.next == NextStep(2, at("2026-11-23T12:00:00Z"))
    assert len({a.reason for a in d.actions}) == 1


def test_the_threshold_instant_itself_is_due() -> None:
    assert decide(ticket(), "2026-11-23T09:15:00Z").level == 1
    assert decide(ticket(), "2026-11-23T09:14:59Z").level == 0


def test_reason_gives_what_a_recipient_needs() -> None:
    t = ticket(escalation=state("critical-outage", 1, "2026-11-23T09:15:00Z"))
    d = decide(t, "2026-11-23T12:02:00Z")
    assert types(d) == ["comment", "mark", "notify"]  # level 2: default comment + notify
    assert d.actions[0].reason == (
        "Escalated to level 2 (network-architects) on critical-outage: 75% of the 4h resolve "
        'target for P1 passed (3h02m business time elapsed, 58m left). SD-123 "VPN down for '
        'Stockholm office" P1, impact extensive, requester Acme AB. Before: L0 service-desk, '
        "L1 network-l2."
    )


def test_after_rule_reason_names_the_target_it_runs_against() -> None:
    d = decide(ticket(), "2026-11-23T09:20:00Z")
    assert d.actions[0].reason.startswith(
        "Escalated to level 1 (network-l2) on critical-outage: 15m business time since opening "
        "without a response (20m business time elapsed, 5m overdue on the 15m respond target "
        "for P1)."
    )


def test_unless_responded_before_due_never_falls_due() -> None:
    t = ticket(responded=at("2026-11-23T09:10:00Z"))
    d = decide(t, "2026-11-23T09:20:00Z")
    assert (d.level, d.actions) == (0, ())
    assert d.next == NextStep(2, at("2026-11-23T12:00:00Z"))  # level 1 skipped: stopped


def test_responded_after_due_the_level_was_earned() -> None:
    t = ticket(responded=at("2026-11-23T09:16:00Z"))
    assert decide(t, "2026-11-23T09:20:00Z").level == 1


def test_catch_up_after_downtime_goes_straight_to_the_highest_due_level() -> None:
    d = decide(ticket(), "2026-11-23T16:05:00Z")
    assert d.level == 3
    assert types(d) == ["comment", "mark", "notify"]  # announced once
    reason = d.actions[0].reason
    assert "Escalated to level 3 (it-management)" in reason
    assert "Skipped: L1 network-l2 (due 2026-11-23 09:15Z), L2 network-architects " in reason
    assert "(due 2026-11-23 12:00Z)." in reason
    assert "Before: L0 service-desk." in reason
    assert d.next is None


def test_catch_up_from_a_stored_level_names_only_the_levels_in_between() -> None:
    t = ticket(escalation=state("critical-outage", 1, "2026-11-23T09:15:00Z"))
    reason = decide(t, "2026-11-23T16:05:00Z").actions[0].reason
    assert "Before: L0 service-desk, L1 network-l2. Skipped: L2 network-architects" in reason


def test_already_at_the_level_nothing_to_do() -> None:
    t = ticket(escalation=state("critical-outage", 1, "2026-11-23T09:20:00Z"))
    d = decide(t, "2026-11-23T09:50:00Z")
    assert (d.level, d.actions) == (1, ())


def test_never_descends_when_priority_drops() -> None:
    t = ticket(
        priority="P2",
        impact=None,
        urgency=None,
        escalation=state("critical-outage", 3, "2026-11-23T16:00:00Z"),
    )
    d = decide(t, "2026-11-23T16:30:00Z")
    assert (d.path, d.level, d.team, d.priority) == ("critical-outage", 3, "it-management", "P2")
    assert d.actions == ()


def test_a_stored_level_beyond_the_path_is_held_at_the_top_without_writing() -> None:
    t = ticket(escalation=state("critical-outage", 7, "2026-11-23T16:00:00Z"))
    d = decide(t, "2026-11-23T16:30:00Z")
    assert (d.level, d.team, d.actions) == (3, "it-management", ())


def test_marker_path_in_other_case_is_the_same_path() -> None:
    mixed = critical_outage(name="Critical-Outage")
    ev = Evaluator(policy(mixed))
    t = ticket(escalation=state("critical-outage", 1, "2026-11-23T09:15:00Z"))
    d = decide(t, "2026-11-23T09:30:00Z", ev)
    assert (d.path, d.level, d.actions) == ("Critical-Outage", 1, ())


def test_resolved_ticket_with_state_is_cleared() -> None:
    t = ticket(
        status="resolved",
        resolved=at("2026-11-23T10:00:00Z"),
        escalation=state("critical-outage", 1, "2026-11-23T09:15:00Z"),
    )
    d = decide(t, "2026-11-23T10:05:00Z")
    assert (d.path, d.level, d.team, d.next) == (None, 0, None, None)
    assert types(d) == ["clear"]
    assert mark(d) == NOT_ESCALATED
    assert d.actions[0].reason == (
        "Escalation of SD-123 cleared: the ticket is resolved (was level 1 on critical-outage)."
    )


def test_resolved_ticket_without_state_needs_nothing() -> None:
    d = decide(ticket(status="closed"), "2026-11-23T10:05:00Z")
    assert d.actions == () and d.path is None


def test_leaving_the_path_to_level_0_of_another_clears() -> None:
    t = ticket(tags=frozenset(), escalation=state("critical-outage", 1, "2026-11-23T09:15:00Z"))
    d = decide(t, "2026-11-23T09:14:00Z")  # standard path, not yet due there
    assert (d.path, d.level) == ("standard", 0)
    assert types(d) == ["clear"]
    assert "path standard now governs it at level 0" in d.actions[0].reason


def test_leaving_the_path_for_a_due_level_of_another_marks_there() -> None:
    t = ticket(tags=frozenset(), escalation=state("critical-outage", 1, "2026-11-23T09:15:00Z"))
    d = decide(t, "2026-11-23T09:30:00Z")
    assert (d.path, d.level) == ("standard", 1)
    assert mark(d).path == "standard"
    assert "Before: L1 on critical-outage, then L0 service-desk." in d.actions[0].reason


def test_no_path_matches_clears_the_state() -> None:
    only = critical_outage()
    t = ticket(tags=frozenset(), escalation=state("critical-outage", 2, "2026-11-23T12:00:00Z"))
    d = decide(t, "2026-11-23T12:30:00Z", Evaluator(policy(only)))
    assert (d.path, types(d)) == (None, ["clear"])
    assert "no escalation path matches it any more" in d.actions[0].reason


def test_a_path_removed_from_the_policy_is_left() -> None:
    t = ticket(escalation=state("old-path", 2, "2026-11-23T12:00:00Z"))
    d = decide(t, "2026-11-23T09:05:00Z")
    assert (d.path, d.level, types(d)) == ("critical-outage", 0, ["clear"])


def test_stakeholder_update_every_while_escalated() -> None:
    t = ticket(escalation=state("critical-outage", 1, "2026-11-23T09:15:00Z"))
    assert decide(t, "2026-11-23T10:14:59Z").actions == ()
    d = decide(t, "2026-11-23T10:15:00Z")
    assert types(d) == ["mark", "update"]
    assert mark(d) == replace(t.escalation, updated=at("2026-11-23T10:15:00Z"))
    update = d.actions[1]
    assert (update.team, update.channels) == ("network-l2", ("net",))
    assert update.reason.startswith(
        'Update on SD-123 "VPN down for Stockholm office": at level 1 (network-l2) on '
        "critical-outage since 2026-11-23 09:15Z; 1h15m business time elapsed, 2h45m left on "
        "the 4h resolve target for P1."
    )
    updated = replace(t, escalation=mark(d))
    assert decide(updated, "2026-11-23T11:14:00Z").actions == ()
    assert types(decide(updated, "2026-11-23T11:15:00Z")) == ["mark", "update"]


def test_missed_updates_are_sent_once() -> None:
    t = ticket(escalation=state("critical-outage", 1, "2026-11-23T09:15:00Z"))
    d = decide(t, "2026-11-23T11:50:00Z")  # two were missed
    assert types(d) == ["mark", "update"]


def test_no_update_at_level_0_or_without_update_every() -> None:
    t = ticket(escalation=state("critical-outage", 0, "2026-11-23T09:00:00Z", asked=True))
    assert decide(t, "2026-11-23T09:14:00Z").actions == ()
    p3 = ticket(
        priority="P3",
        impact=None,
        urgency=None,
        tags=frozenset(),
        escalation=state("standard", 1, "2026-11-23T09:00:00Z"),
    )
    assert decide(p3, "2026-11-25T09:00:00Z").actions == ()


def test_an_escalation_resets_the_update_clock() -> None:
    t = ticket(
        escalation=state(
            "critical-outage", 1, "2026-11-23T09:15:00Z", updated=at("2026-11-23T10:15:00Z")
        )
    )
    d = decide(t, "2026-11-23T12:00:00Z")
    assert types(d) == ["comment", "mark", "notify"]  # the announcement is the update
    new = mark(d)
    assert (new.level, new.since, new.updated) == (2, at("2026-11-23T12:00:00Z"), None)
    assert decide(replace(t, escalation=new), "2026-11-23T12:59:00Z").actions == ()
    assert types(decide(replace(t, escalation=new), "2026-11-23T13:00:00Z")) == ["mark", "update"]


def test_pending_notifications_state_is_left_alone() -> None:
    t = ticket(escalation=state("critical-outage", 1, "2026-11-23T09:20:00Z", pending=True))
    assert decide(t, "2026-11-23T09:30:00Z").actions == ()


def test_next_skips_levels_whose_stop_condition_is_met() -> None:
    t = ticket(
        responded=at("2026-11-23T09:05:00Z"),
        escalation=state("critical-outage", 0, "2026-11-23T09:00:00Z", asked=True),
    )
    assert decide(t, "2026-11-23T09:06:00Z").next == NextStep(2, at("2026-11-23T12:00:00Z"))


def test_levels_falling_due_together_name_the_highest() -> None:
    path = critical_outage(
        levels=(
            Level(0, "service-desk"),
            Level(1, "network-l2", after=30 * M),
            Level(2, "network-architects", after=30 * M),
            Level(3, "it-management", after=2 * H),
        ),
        triggers=(),
    )
    d = decide(ticket(), "2026-11-23T09:10:00Z", Evaluator(policy(path)))
    assert d.next == NextStep(2, at("2026-11-23T09:30:00Z"))


def test_trigger_only_levels_and_empty_actions() -> None:
    path = EscalationPath(
        "quiet",
        None,
        0,
        (
            Level(0, "service-desk"),
            Level(1, "network-l2", after=10 * M, actions=()),
            Level(2, "it-management"),  # reached by triggers only
        ),
    )
    d = decide(ticket(), "2026-11-23T09:30:00Z", Evaluator(policy(path)))
    assert (d.level, types(d), d.next) == (1, ["mark"], None)


def test_precedence_highest_first_and_ties_keep_the_written_order() -> None:
    a = EscalationPath("a", field("tags", "contains", "outage"), 10, (Level(0, "network-l2"),))
    b = EscalationPath("b", None, 10, (Level(0, "it-management"),))
    c = EscalationPath("c", None, 50, (Level(0, "compliance"),), ())
    assert decide(ticket(), "2026-11-23T09:30:00Z", Evaluator(policy(a, b))).path == "a"
    assert decide(ticket(), "2026-11-23T09:30:00Z", Evaluator(policy(b, a))).path == "b"
    assert decide(ticket(), "2026-11-23T09:30:00Z", Evaluator(policy(a, b, c))).path == "c"


def test_module_level_evaluate_matches_the_evaluator() -> None:
    p = policy()
    t = ticket()
    assert evaluate(p, t, at("2026-11-23T12:30:00Z")) == Evaluator(p).evaluate(
        t, at("2026-11-23T12:30:00Z")
    )


def test_naive_now_is_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        EV.evaluate(ticket(), at("2026-11-23T12:30:00Z").replace(tzinfo=None))
