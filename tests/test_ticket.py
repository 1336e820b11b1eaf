from __future__ import annotations

import pickle
from dataclasses import FrozenInstanceError
from dataclasses import dataclass
from dataclasses import fields
from dataclasses import replace
from datetime import datetime
from datetime import timezone

import pytest

from escalada.ticket import NOT_ESCALATED
from escalada.ticket import Action
from escalada.ticket import Decision
from escalada.ticket import EscalationState
from escalada.ticket import NextStep

AT = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)


@dataclass(frozen=True, slots=True)
class PlainAction:
    """Action as @dataclass alone builds it, to compare the slot-set __init__ with."""

    type: str
    reason: str
    team: str | None = None
    channels: tuple[str, ...] = ()
    priority: str | None = None
    state: EscalationState | None = None


def values(obj: object) -> tuple[object, ...]:
    return tuple(getattr(obj, f.name) for f in fields(obj))  # type: ignore[arg-type]


def test_slot_init_builds_what_the_dataclass_init_builds() -> None:
    for args, kwargs in (
        (("comment", "why"), {}),
        (("notify", "why"), {"team": "l2", "channels": ("ops",)}),
        ((), {"type": "mark", "reason": "why", "state": NOT_ESCALATED}),
        (("set_priority", "why", None, (), "P1"), {}),
    ):
        assert values(Action(*args, **kwargs)) == values(PlainAction(*args, **kwargs))


def test_slot_init_keeps_defaults_equality_and_hashing() -> None:
    assert EscalationState() == NOT_ESCALATED
    assert EscalationState(path="p", level=1, since=AT, history=("p:1",)).pending is False
    decision = Decision("SD-1", "P1", "p", 1, "l2", (Action("comment", "x"),), NextStep(2, AT))
    assert decision.timeline == ()
    same = Decision("SD-1", "P1", "p", 1, "l2", (Action("comment", "x"),), NextStep(2, AT))
    assert decision == same and hash(decision) == hash(same)


def test_slot_init_keeps_the_dataclass_contract() -> None:
    action = Action("comment", "why")
    with pytest.raises(FrozenInstanceError):
        action.reason = "other"  # type: ignore[misc]
    with pytest.raises(TypeError, match="missing 1 required positional argument: 'reason'"):
        Action("comment")  # type: ignore[call-arg]
    with pytest.raises(TypeError, match="unexpected keyword argument 'colour'"):
        NextStep(1, AT, colour="red")  # type: ignore[call-arg]
    assert replace(action, team="l2") == Action("comment", "why", team="l2")
    assert pickle.loads(pickle.dumps(action)) == action
    assert Action.__init__.__qualname__ == "Action.__init__"
