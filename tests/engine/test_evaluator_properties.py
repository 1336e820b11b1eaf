"""Properties of the engine over generated tickets and instants:

- idempotent: evaluating a ticket right after its decision's actions were
  applied yields no actions, and the same path, level and team;
- a decision writes at most one state change (mark or clear), and a mark
  exactly when the state differs;
- over a run of increasing instants, a ticket never descends on its path and no
  level is announced twice.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from datetime import timedelta

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from escalada.engine.evaluator import Evaluator
from escalada.policy.validate import load_policy
from escalada.ticket import Decision
from escalada.ticket import EscalationState
from escalada.ticket import Requester
from escalada.ticket import Status
from escalada.ticket import Ticket
from tests.engine.fixtures import CALENDARS
from tests.engine.fixtures import UTC
from tests.engine.fixtures import policy
from tests.engine.test_evaluator_calendars import NIGHT_OPS
from tests.engine.test_evaluator_calendars import NIGHTS
from tests.paths import EXAMPLE

PATHS = policy().paths
WITH_NIGHTS = {**PATHS, NIGHT_OPS.name: NIGHT_OPS}
EVALUATORS = [
    Evaluator(policy()),
    Evaluator(policy(managed=True)),
    Evaluator(
        policy(*WITH_NIGHTS.values(), managed=True, calendars={**CALENDARS, "night-shift": NIGHTS})
    ),
]

EVALUATORS.append(Evaluator(load_policy([str(EXAMPLE)])))
START = datetime(2026, 3, 20, tzinfo=UTC)  # spans both DST changes and Christmas

minutes = st.integers(min_value=0, max_value=300 * 24 * 60)
offsets = st.integers(min_value=0, max_value=12 * 24 * 60).map(lambda m: timedelta(minutes=m))
maybe = st.none() | st.just(True)


@st.composite
def states(draw: st.DrawFn, created: datetime) -> EscalationState:
    kind = draw(st.sampled_from(["none", "path", "stray"]))
    if kind == "none":
        return EscalationState()
    since = draw(st.none() | offsets.map(lambda d: created + d))
    updated = draw(st.none() | offsets.map(lambda d: created + d))
    path = draw(st.sampled_from([*WITH_NIGHTS, "old-path", "CRITICAL-OUTAGE"]))
    return EscalationState(
        path=path if kind == "path" else None,
        level=draw(st.integers(0, 5)) if kind == "path" else 0,
        since=since,
        updated=updated,
        asked=draw(st.booleans()),
        pending=draw(st.booleans()),
    )


@st.composite
def tickets(draw: st.DrawFn) -> Ticket:
    created = START + timedelta(minutes=draw(minutes))
    responded = draw(st.none() | offsets.map(lambda d: created + d))
    status: Status = draw(st.sampled_from(["open", "open", "pending", "resolved", "closed"]))
    resolved = draw(st.none() | offsets.map(lambda d: created + d)) if status != "open" else None
    return Ticket(
        desk="test",
        key=f"T-{draw(st.integers(1, 999))}",
        title="VPN down",
        description=draw(st.sampled_from(["", "GDPR breach suspected", "printer jam"])),
        created=created,
        status=status,
        priority=draw(st.sampled_from([None, "P1", "P2", "P3", "P4"])),
        impact=draw(st.sampled_from([None, "extensive", "significant", "moderate", "minor"])),
        urgency=draw(st.sampled_from([None, "critical", "high", "medium", "low"])),
        responded=responded,
        resolved=resolved,
        tags=frozenset(
            draw(st.sets(st.sampled_from(["outage", "escalate", "privacy", "compliance", "vpn"])))
        ),
        requester=Requester(draw(st.sampled_from([None, "Acme AB"])), draw(st.booleans())),
        latest_comment=draw(st.sampled_from([None, "", "Payroll fails at 14:00"])),
        escalation=draw(states(created)),
    )


def apply(ticket: Ticket, decision: Decision) -> Ticket:
    """What a runner does with a decision's actions (the state a connector reads back)."""
    for action in decision.actions:
        if action.type == "set_priority":
            ticket = replace(ticket, priority=action.priority)
        elif action.type == "assign":
            ticket = replace(ticket, team=action.team)
        elif action.type in ("mark", "clear"):
            assert action.state is not None
            ticket = replace(ticket, escalation=action.state)
    return ticket


@settings(max_examples=400, deadline=None)
@given(tickets(), offsets, st.sampled_from(range(len(EVALUATORS))))
def test_evaluating_after_applying_yields_no_actions(
    ticket: Ticket, offset: timedelta, which: int
) -> None:
    ev = EVALUATORS[which]
    now = ticket.created + offset
    first = ev.evaluate(ticket, now)
    kinds = [a.type for a in first.actions]
    assert kinds.count("mark") + kinds.count("clear") <= 1
    for action in first.actions:
        assert action.reason, action
    changes = [a.state for a in first.actions if a.type in ("mark", "clear")]
    if changes:
        assert changes[0] != ticket.escalation
    second = ev.evaluate(apply(ticket, first), now)
    assert second.actions == ()
    assert (second.path, second.level, second.team, second.next) == (
        first.path,
        first.level,
        first.team,
        first.next,
    )


@settings(max_examples=150, deadline=None)
@given(
    tickets(),
    st.lists(offsets, min_size=2, max_size=8),
    st.sampled_from(range(len(EVALUATORS))),
)
def test_over_time_never_descends_and_announces_each_level_once(
    ticket: Ticket, steps: list[timedelta], which: int
) -> None:
    ev = EVALUATORS[which]
    ticket = replace(ticket, escalation=EscalationState(), status="open", resolved=None)
    announced: set[tuple[str, int]] = set()
    last: tuple[str | None, int] = (None, 0)
    for step in sorted(steps):
        decision = ev.evaluate(ticket, ticket.created + step)
        if decision.path is not None and decision.path == last[0]:
            assert decision.level >= last[1]
        for action in decision.actions:
            if (
                action.type == "mark"
                and action.state
                and action.state.since == ticket.created + step
            ):
                key = (action.state.path or "", action.state.level)
                assert key not in announced
                announced.add(key)
        ticket = apply(ticket, decision)
        last = (decision.path, decision.level)
        if decision.next is not None:
            assert decision.next.at > ticket.created + step
            assert decision.next.level > decision.level
