from __future__ import annotations

from escalada.engine.readneeds import NO_POLICY
from escalada.engine.readneeds import read_needs
from tests.engine.fixtures import compliance
from tests.engine.fixtures import policy
from tests.engine.fixtures import ticket


def test_the_conditions_of_the_triggers_that_take_their_reason_from_the_latest_comment() -> None:
    requested = [
        t.condition
        for path in policy().paths.values()
        for t in path.triggers
        if t.name == "requested"
    ]
    assert len(requested) == 2 and read_needs(policy()).comment_conditions == tuple(requested)
    assert read_needs(policy()).comments
    assert not read_needs(policy(compliance())).comments
    assert not read_needs(None).comments and read_needs(None) == NO_POLICY


def test_a_comment_is_wanted_only_where_such_a_trigger_matches() -> None:
    asking = ticket(tags=frozenset({"outage", "escalate"}))
    assert read_needs(policy()).latest_comment(asking)
    assert not read_needs(policy()).latest_comment(ticket(tags=frozenset({"outage"})))
    assert not read_needs(policy(compliance())).latest_comment(asking)
    assert not NO_POLICY.latest_comment(asking)  # no policy: the connector cannot tell


def test_without_a_policy_responded_and_organisations_are_assumed_needed() -> None:
    assert NO_POLICY.responded and NO_POLICY.organizations and NO_POLICY.fields is None


def test_the_fields_are_those_the_conditions_test() -> None:
    needs = read_needs(policy())
    assert needs.fields is not None and "tags" in needs.fields
    assert needs.organizations == ("requester.organization" in needs.fields)
