"""A service level's own targets drive `at:` shares: first match wins, the
matrix's targets for every ticket no level matches."""

from __future__ import annotations

from dataclasses import replace

from escalada.engine.evaluator import Evaluator
from escalada.policy.model import Policy
from escalada.policy.model import ServiceLevel
from escalada.ticket import Requester
from tests.engine.fixtures import H
from tests.engine.fixtures import at
from tests.engine.fixtures import field
from tests.engine.fixtures import policy
from tests.engine.fixtures import ticket


def with_levels(base: Policy, *levels: tuple[str, object, dict[str, dict[str, object]]]) -> Policy:
    matrix = base.matrix
    assert matrix is not None
    built = []
    for name, match, overrides in levels:
        merged = dict(matrix.priorities)
        for key, changes in overrides.items():
            merged[key] = replace(merged[key], **changes)  # type: ignore[arg-type]
        built.append(ServiceLevel(name, match, merged, frozenset(overrides)))  # type: ignore[arg-type]
    return replace(base, matrix=replace(matrix, service_levels=tuple(built)))


ACME = field("requester.organization", "equals", "Acme AB")
CONTRACT = with_levels(
    policy(),
    ("acme-contract", ACME, {"P1": {"resolve_within": 2 * H}}),
    ("everyone-acme", field("tags", "contains", "outage"), {"P1": {"resolve_within": 10 * H}}),
)
EV = Evaluator(CONTRACT)


def test_a_contract_customer_reaches_the_share_of_its_own_target() -> None:
    # critical-outage level 2 is `at: 75% resolve`: 1h30m of Acme's 2h, not 3h of 4h
    decision = EV.evaluate(ticket(), at("2026-11-23T10:31:00Z"))
    assert (decision.path, decision.level) == ("critical-outage", 2)
    comment = next(a for a in decision.actions if a.type == "comment")
    assert "75% of the 2h resolve target for P1 (service level acme-contract)" in comment.reason


def test_a_ticket_no_level_matches_keeps_the_matrix_targets() -> None:
    other = ticket(requester=Requester("Globex"), tags=frozenset({"outage"}))
    # the second level matches (tags contains outage): 75% of 10h, not due at 10:31
    assert EV.evaluate(other, at("2026-11-23T10:31:00Z")).level == 1
    plain = Evaluator(policy())
    assert plain.evaluate(ticket(), at("2026-11-23T10:31:00Z")).level == 1


def test_the_first_matching_level_wins() -> None:
    # Acme's ticket also carries `outage` (the second level's condition): the first wins
    assert EV.service_level(ticket(), "P1") == "acme-contract"
    other = ticket(requester=Requester("Globex"))
    assert EV.service_level(other, "P1") == "everyone-acme"
    assert EV.service_level(replace(other, tags=frozenset()), "P1") is None


def test_next_step_uses_the_levels_target() -> None:
    decision = EV.evaluate(ticket(), at("2026-11-23T09:20:00Z"))
    assert decision.next is not None
    assert (decision.next.level, decision.next.at) == (2, at("2026-11-23T10:30:00Z"))
