"""The option types of escalada/cli/options.py: text in, a value out, a usage error otherwise."""

from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import timezone

import click
import pytest

from escalada.cli import DurationType
from escalada.cli import ShardType
from escalada.cli import TimeType
from escalada.connectors.base import Shard

UTC = timezone.utc


@pytest.mark.parametrize(
    ("kind", "text", "value"),
    [
        (DurationType(), "1h30m", 5400.0),
        (ShardType(), "1/4", Shard(1, 4)),
        (TimeType(), "2026-11-23T10:00:00Z", datetime(2026, 11, 23, 10, tzinfo=UTC)),
        (
            TimeType(),
            " 2026-11-23T11:00:00+01:00 ",
            datetime(2026, 11, 23, 11, tzinfo=timezone(timedelta(hours=1))),
        ),
    ],
)
def test_text_is_parsed_and_a_parsed_value_passes_as_it_is(
    kind: click.ParamType[object], text: str, value: object
) -> None:
    assert kind.convert(text, None, None) == value
    assert kind.convert(value, None, None) is value


@pytest.mark.parametrize(
    ("kind", "text", "message"),
    [
        (DurationType(), "soon", "'soon' is not a duration"),
        (ShardType(), "4/4", "'4/4' is not a shard"),
        (TimeType(), "monday", "'monday' is not a time: write e.g. 2026-11-23T10:00:00Z"),
        (TimeType(), "2026-11-23T10:00:00", "has no timezone: add Z or an offset"),
        (TimeType(), "0001-01-01T00:00:00Z", "outside the years 1900-2999"),
        (TimeType(), "9999-12-31T23:59:59-01:00", "outside the years 1900-2999"),
        (DurationType(), "99999999999w", "longer than 3660d"),
        (DurationType(), "٣m", "is not a duration"),
        (ShardType(), "1/99999999999999999999999", "is not a shard"),
    ],
)
def test_bad_text_is_a_usage_error_that_says_how_to_write_it(
    kind: click.ParamType[object], text: str, message: str
) -> None:
    with pytest.raises(click.BadParameter, match=message) as caught:
        kind.convert(text, None, None)
    assert caught.value.exit_code == 2
