"""When a connector reads a ticket's latest comment: only for the triggers that
take their reason from it (`reason_from: latest_comment`, an explicit escalation
request), since a comment costs calls on most desks. Policy knowledge the
connectors share; the desk calls stay in each connector."""

from __future__ import annotations

from escalada.policy.model import Policy
from escalada.policy.model import Trigger
from escalada.ticket import Ticket


def comment_triggers(policy: Policy | None) -> tuple[Trigger, ...]:
    """The policy's triggers that take their reason from the latest comment
    (none without a policy: the connector cannot tell, and reads no comments)."""
    if policy is None:
        return ()
    return tuple(
        trigger
        for path in policy.paths.values()
        for trigger in path.triggers
        if trigger.reason_from == "latest_comment"
    )


def wants_latest_comment(policy: Policy | None, ticket: Ticket) -> bool:
    """Whether such a trigger matches the ticket, so its latest comment must be read."""
    triggers = comment_triggers(policy)
    if not triggers:
        return False
    from escalada.policy.conditions import matches

    assert policy is not None
    return any(matches(t.condition, ticket, matrix=policy.matrix) for t in triggers)
