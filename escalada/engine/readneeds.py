"""What a desk read needs from a policy, computed once on the policy side and
handed to `connect`, so no connector reads the Policy.

A comment, a first-reply time or an organisation name costs calls on most
desks; a connector fetches each only where the policy can use it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from escalada.policy.conditions import matches
from escalada.policy.model import AllOf
from escalada.policy.model import AnyOf
from escalada.policy.model import Condition
from escalada.policy.model import FieldCondition
from escalada.policy.model import NotOf
from escalada.policy.model import Policy
from escalada.policy.model import PriorityMatrix
from escalada.ticket import Ticket


@dataclass(frozen=True, slots=True)
class ReadNeeds:
    """What a candidate read must fetch. The defaults are "no policy": the
    connector cannot tell, so it assumes first-reply times and organisations are
    needed, and reads no comments (it cannot tell which tickets ask for one).

    - `responded`: a level stops on `unless: responded`.
    - `fields`: the ticket fields the policy's conditions test (None: unknown).
    - `comment_conditions`: the conditions of the triggers that take their reason
      from the latest comment (`reason_from: latest_comment`).
    - `matrix`: the priority matrix, which those conditions may test and which a
      desk that derives priority from impact and urgency writes through."""

    responded: bool = True
    fields: frozenset[str] | None = None
    comment_conditions: tuple[Condition, ...] = ()
    matrix: PriorityMatrix | None = None

    @property
    def organizations(self) -> bool:
        """Whether a condition tests `requester.organization` (a name to resolve while reading)."""
        return self.fields is None or "requester.organization" in self.fields

    @property
    def comments(self) -> bool:
        """Whether any ticket may need its latest comment."""
        return bool(self.comment_conditions)

    def latest_comment(self, ticket: Ticket) -> bool:
        """Whether a trigger taking its reason from the latest comment matches the ticket."""
        return any(matches(c, ticket, matrix=self.matrix) for c in self.comment_conditions)


def read_needs(policy: Policy | None) -> ReadNeeds:
    """The needs of a policy's reads (the defaults without one)."""
    if policy is None:
        return ReadNeeds()
    conditions: list[Condition] = []
    for path in policy.paths.values():
        if path.match is not None:
            conditions.append(path.match)
        conditions.extend(trigger.condition for trigger in path.triggers)
    return ReadNeeds(
        responded=any(
            level.unless == "responded" for path in policy.paths.values() for level in path.levels
        ),
        fields=frozenset(_fields(conditions)),
        comment_conditions=tuple(
            trigger.condition
            for path in policy.paths.values()
            for trigger in path.triggers
            if trigger.reason_from == "latest_comment"
        ),
        matrix=policy.matrix,
    )


def _fields(conditions: Iterable[Condition]) -> Iterable[str]:
    pending = list(conditions)
    while pending:
        condition = pending.pop()
        if isinstance(condition, FieldCondition):
            yield condition.field
        elif isinstance(condition, (AllOf, AnyOf)):
            pending.extend(condition.items)
        elif isinstance(condition, NotOf):
            pending.append(condition.item)


NO_POLICY = ReadNeeds()  # what a connector built without a policy assumes
