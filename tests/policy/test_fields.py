"""The one list of condition fields and operators, as the engine, the checks and
the schema read it."""

from __future__ import annotations

import re
from typing import get_args

import pytest

from escalada.policy.conditions import getter
from escalada.policy.fields import CONDITION_FIELDS
from escalada.policy.fields import CONDITION_OPS
from escalada.policy.fields import field_is_known
from escalada.policy.model import ConditionOp
from escalada.schemas.defs import CONDITION_FIELD_PATTERN


@pytest.mark.parametrize("name", [*CONDITION_FIELDS, "fields.region"])
def test_every_listed_field_is_read_by_the_engine_and_accepted_by_the_schema(name: str) -> None:
    assert field_is_known(name)
    assert callable(getter(name))
    assert re.match(CONDITION_FIELD_PATTERN, name)


@pytest.mark.parametrize("name", ["assignee", "fields.", "requester", "Priority", ""])
def test_other_names_are_refused_everywhere(name: str) -> None:
    assert not field_is_known(name)
    with pytest.raises(ValueError, match="unknown condition field"):
        getter(name)
    assert not re.match(CONDITION_FIELD_PATTERN, name)


def test_the_operators_are_the_models() -> None:
    assert CONDITION_OPS == get_args(ConditionOp)
    assert CONDITION_OPS == ("equals", "in", "contains", "matches", "exists", "gte", "lte")
