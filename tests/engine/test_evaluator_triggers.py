"""Triggers (VIP, functional, explicit requests), priority derivation and correction."""

from __future__ import annotations

from dataclasses import replace

from escalada.engine.evaluator import Evaluator
from escalada.policy.model import Trigger
from escalada.ticket import Decision
from escalada.ticket import EscalationState
from escalada.ticket import NextStep
from escalada.ticket import Requester
from escalada.ticket import Ticket
from tests.engine.fixtures import at
from tests.engine.fixtures import compliance
from tests.engine.fixtures import critical_outage
from tests.engine.fixtures import field
from tests.engine.fixtures import policy
from tests.engine.fixtures import standard
from tests.engine.fixtures import state
from tests.engine.fixtures import ticket

EV = Evaluator(policy())
MANAGED = Evaluator(policy(managed=True))


def decide(t: Ticket, now: str, ev: Evaluator = EV) -> Decision:
    return ev.evaluate(t, at(now))


def types(decision: Decision) -> list[str]:
    return [a.type for a in decision.actions]


def new_state(decision: Decision) -> EscalationState:
    found = [a.state for a in decision.actions if a.type in ("mark", "clear")]
    assert len(found) == 1 and found[0] is not None, types(decision)
    return found[0]


# --- VIP: goto N ---------------------------------------------------------------


def test_vip_jumps_to_level_2_at_once() -> None:
    t = ticket(requester=Requester("Acme AB", vip=True))
    d = decide(t, "2026-11-23T09:01:00Z")
    assert (d.level, d.team) == (2, "network-architects")
    assert types(d) == ["comment", "mark", "notify"]
    reason = d.actions[0].reason
    assert "on critical-outage: trigger vip-customer: A VIP customer is affected" in reason
    assert "(1m business time elapsed, 3h59m left on the 4h resolve target for P1)" in reason
    assert "Skipped: L1 network-l2." in reason  # not due yet: no due time named
    assert d.next == NextStep(3, at("2026-11-23T16:00:00Z"))
    again = decide(replace(t, escalation=new_state(d)), "2026-11-23T09:20:00Z")
    assert again.actions == ()  # level 1 falls due below where the ticket already is


def test_goto_beyond_the_top_is_held_at_the_top() -> None:
    path = critical_outage(
        triggers=(Trigger("sky", field("requester.vip", "equals", True), goto=9, reason="x"),)
    )
    d = decide(
        ticket(requester=Requester(vip=True)), "2026-11-23T09:01:00Z", Evaluator(policy(path))
    )
    assert d.level == 3


# --- functional: path X ----------------------------------------------------------


def test_functional_escalation_brings_in_the_target_path_at_once() -> None:
    t = ticket(description="A breach of personal data is suspected")
    d = decide(t, "2026-11-23T09:05:00Z")
    assert (d.path, d.level, d.team) == ("compliance", 0, "compliance")
    assert types(d) == ["assign", "comment", "mark", "notify"]  # level 0's actions
    reason = d.actions[0].reason
    assert reason.startswith(
        "Moved to path compliance at level 0 (compliance): functional escalation from "
        "critical-outage by trigger data-protection: Possible personal-data incident (5m "
        "business time elapsed, 3h55m left on the 4h resolve target for P1)."
    )
    assert reason.endswith("Before: L0 on critical-outage.")
    assert d.actions[3].channels == ("dpo",)
    assert new_state(d) == EscalationState(
        "compliance", 0, at("2026-11-23T09:05:00Z"), history=("compliance:0",)
    )
    assert d.next == NextStep(1, at("2026-11-23T11:00:00Z"))
    held = replace(t, escalation=new_state(d))
    assert decide(held, "2026-11-23T09:30:00Z").actions == ()  # held there by the trigger
    climbed = decide(held, "2026-11-23T11:00:00Z")
    assert (climbed.path, climbed.level) == ("compliance", 1)


def test_functional_escalation_from_an_escalated_ticket_names_where_it_was() -> None:
    t = ticket(
        description="GDPR request ignored",
        escalation=state("critical-outage", 1, "2026-11-23T09:15:00Z"),
    )
    reason = decide(t, "2026-11-23T09:40:00Z").actions[0].reason
    assert reason.endswith("Before: L1 on critical-outage.")


def test_functional_escalation_of_an_old_ticket_goes_to_its_highest_due_level() -> None:
    t = ticket(description="GDPR request ignored")
    d = decide(t, "2026-11-23T18:00:00Z")
    assert (d.path, d.level) == ("compliance", 2)
    assert "Skipped: L1 compliance-officer (due 2026-11-23 11:00Z)." in d.actions[0].reason


def test_functional_escalation_with_a_jump_on_the_target_path() -> None:
    t = ticket(description="GDPR request ignored", requester=Requester("Acme AB", vip=True))
    target = compliance()
    vip = Trigger("vip", field("requester.vip", "equals", True), goto=2, reason="VIP")
    ev = Evaluator(policy(critical_outage(), replace(target, triggers=(vip,)), standard()))
    d = decide(t, "2026-11-23T09:05:00Z", ev)
    assert (d.path, d.level) == ("compliance", 2)
    assert "by trigger data-protection: Possible personal-data incident; trigger vip: VIP" in (
        d.actions[0].reason
    )


def test_when_the_trigger_stops_the_ticket_returns_to_its_matching_path() -> None:
    t = ticket(escalation=state("compliance", 0, "2026-11-23T09:05:00Z"))
    d = decide(t, "2026-11-23T09:30:00Z")
    assert (d.path, d.level) == ("critical-outage", 1)
    assert new_state(d).path == "critical-outage"
    assert "Before: L0 on compliance, then L0 service-desk." in d.actions[0].reason


def test_path_trigger_loops_are_followed_once() -> None:
    back = critical_outage(
        name="compliance",
        match=None,
        precedence=1,
        triggers=(
            Trigger(
                "back", field("tags", "contains", "outage"), path="critical-outage", reason="b"
            ),
        ),
    )
    forth = critical_outage(
        triggers=(
            Trigger("forth", field("tags", "contains", "outage"), path="compliance", reason="f"),
        )
    )
    d = decide(ticket(), "2026-11-23T09:05:00Z", Evaluator(policy(forth, back)))
    assert (d.path, d.level) == ("compliance", 0)


def test_path_trigger_to_an_unknown_path_is_ignored() -> None:
    path = critical_outage(
        triggers=(Trigger("gone", field("tags", "contains", "outage"), path="nowhere", reason="x"),)
    )
    d = decide(ticket(), "2026-11-23T09:05:00Z", Evaluator(policy(path)))
    assert (d.path, d.level) == ("critical-outage", 0)


# --- explicit requests: goto next + reason_from ---------------------------------------


def test_a_request_without_a_reason_asks_for_one_once() -> None:
    t = ticket(tags=frozenset({"outage", "escalate"}))
    d = decide(t, "2026-11-23T09:05:00Z")
    assert (d.level, types(d)) == (0, ["ask_reason", "mark"])
    assert new_state(d) == EscalationState("critical-outage", 0, asked=True)
    assert d.actions[0].reason.startswith(
        'Escalation of SD-123 "VPN down for Stockholm office" was requested (requested) '
        "without a reason."
    )
    asked = replace(t, escalation=new_state(d))
    assert decide(asked, "2026-11-23T09:06:00Z").actions == ()


def test_a_request_with_a_reason_goes_one_level_up() -> None:
    t = ticket(
        tags=frozenset({"outage", "escalate"}),
        latest_comment="  Payroll for 3,000 staff fails at 14:00 ",
        escalation=EscalationState("critical-outage", 0, asked=True),
    )
    d = decide(t, "2026-11-23T09:05:00Z")
    assert (d.level, types(d)) == (1, ["assign", "comment", "mark", "notify"])
    assert "trigger requested: Payroll for 3,000 staff fails at 14:00 (" in d.actions[0].reason
    assert new_state(d).asked  # sticks: never asked twice while the state lives
    after = replace(t, escalation=new_state(d))
    assert decide(after, "2026-11-23T09:10:00Z").actions == ()  # announced once


def test_a_standing_request_keeps_the_ticket_one_level_ahead_of_its_schedule() -> None:
    t = ticket(
        tags=frozenset({"outage", "escalate"}),
        latest_comment="Payroll fails at 14:00",
        escalation=state("critical-outage", 1, "2026-11-23T09:05:00Z"),
    )
    assert decide(t, "2026-11-23T09:10:00Z").actions == ()
    d = decide(t, "2026-11-23T09:15:00Z")  # level 1 falls due by time: the request adds one
    assert (d.level, types(d)) == (2, ["comment", "mark", "notify"])


def test_a_goto_next_is_relative_to_goto_triggers_too() -> None:
    t = ticket(
        tags=frozenset({"outage", "escalate"}),
        latest_comment="Board meeting at 10",
        requester=Requester("Acme AB", vip=True),
    )
    assert decide(t, "2026-11-23T09:05:00Z").level == 3


def test_a_static_reason_needs_no_comment() -> None:
    path = critical_outage(
        triggers=(
            Trigger(
                "requested",
                field("tags", "contains", "escalate"),
                goto="next",
                reason="Escalation requested by the customer",
                reason_from="latest_comment",
            ),
        )
    )
    d = decide(
        ticket(tags=frozenset({"outage", "escalate"})),
        "2026-11-23T09:05:00Z",
        Evaluator(policy(path)),
    )
    assert d.level == 1 and "Escalation requested by the customer" in d.actions[0].reason


def test_a_path_trigger_without_reason_asks_and_stays() -> None:
    path = critical_outage(
        triggers=(
            Trigger(
                "legal",
                field("tags", "contains", "legal"),
                path="compliance",
                reason_from="latest_comment",
            ),
        )
    )
    ev = Evaluator(policy(path, compliance(), standard()))
    d = decide(ticket(tags=frozenset({"outage", "legal"})), "2026-11-23T09:05:00Z", ev)
    assert (d.path, types(d)) == ("critical-outage", ["ask_reason", "mark"])


# --- priority ------------------------------------------------------------------------


def test_priority_is_derived_from_impact_and_urgency() -> None:
    d = decide(ticket(priority=None), "2026-11-23T09:20:00Z")
    assert (d.priority, d.path, d.level) == ("P1", "critical-outage", 1)
    assert "set_priority" not in types(d)  # not managed: nothing written


def test_a_disagreeing_priority_is_kept_when_not_managed() -> None:
    t = ticket(priority="P3")  # matrix says P1
    d = decide(t, "2026-11-23T09:20:00Z")
    assert (d.priority, d.path) == ("P3", "standard")
    assert "set_priority" not in types(d)


def test_a_managed_matrix_corrects_the_priority_first() -> None:
    t = ticket(priority="P3")
    d = decide(t, "2026-11-23T09:20:00Z", MANAGED)
    assert (d.priority, d.path, d.level) == ("P1", "critical-outage", 1)
    assert types(d) == ["set_priority", "assign", "comment", "mark", "notify"]
    fix = d.actions[0]
    assert fix.priority == "P1"
    assert fix.reason == (
        "Priority set to P1 (was P3): impact extensive x urgency critical gives P1 in the "
        "default matrix."
    )
    applied = replace(t, priority="P1", team="network-l2", escalation=new_state(d))
    assert decide(applied, "2026-11-23T09:20:00Z", MANAGED).actions == ()


def test_managed_priority_without_a_path_or_escalation() -> None:
    t = ticket(priority=None, impact="minor", urgency="low", tags=frozenset())
    d = decide(t, "2026-11-23T09:01:00Z", MANAGED)
    assert (d.priority, types(d)) == ("P4", ["set_priority"])
    assert d.actions[0].reason.startswith("Priority set to P4 (was none)")


def test_unknown_impact_keeps_the_written_priority() -> None:
    t = ticket(priority="P2", impact=None)
    d = decide(t, "2026-11-23T09:01:00Z", MANAGED)
    assert (d.priority, types(d)) == ("P2", [])


def test_resolved_tickets_are_not_reprioritised() -> None:
    t = ticket(priority="P3", status="resolved")
    assert decide(t, "2026-11-23T09:01:00Z", MANAGED).actions == ()


def test_without_priority_at_rules_never_fall_due_and_after_runs_on_24x7() -> None:
    t = ticket(priority=None, impact=None, urgency=None, tags=frozenset())
    d = decide(t, "2026-11-30T09:00:00Z")
    assert (d.priority, d.path, d.level, d.next) == (None, "standard", 0, None)
    reason_free = decide(replace(t, tags=frozenset({"outage"})), "2026-11-23T09:20:00Z")
    assert reason_free.path == "standard"  # critical-outage needs P1/P2
