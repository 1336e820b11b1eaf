from __future__ import annotations

from escalada.connectors.comments import comment_triggers
from escalada.connectors.comments import wants_latest_comment
from tests.engine.fixtures import compliance
from tests.engine.fixtures import policy
from tests.engine.fixtures import ticket


def test_the_triggers_that_take_their_reason_from_the_latest_comment() -> None:
    assert [t.name for t in comment_triggers(policy())] == ["requested", "requested"]
    assert comment_triggers(policy(compliance())) == ()
    assert comment_triggers(None) == ()


def test_a_comment_is_wanted_only_where_such_a_trigger_matches() -> None:
    asking = ticket(tags=frozenset({"outage", "escalate"}))
    assert wants_latest_comment(policy(), asking)
    assert not wants_latest_comment(policy(), ticket(tags=frozenset({"outage"})))
    assert not wants_latest_comment(policy(compliance()), asking)
    assert not wants_latest_comment(None, asking)  # no policy: the connector cannot tell
