from __future__ import annotations

from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest

from escalada.instants import from_iso


@pytest.mark.parametrize(
    "text",
    ["2026-11-23T10:00:00Z", "2026-11-23t10:00:00z", " 2026-11-23T10:00:00+00:00 "],
)
def test_a_trailing_z_is_utc_on_every_python(text):
    assert from_iso(text) == datetime(2026, 11, 23, 10, tzinfo=timezone.utc)


def test_offsets_are_kept_and_a_missing_one_comes_back_naive():
    assert from_iso("2026-11-23T11:00:00+01:00").utcoffset() == timedelta(hours=1)
    assert from_iso("2026-11-23T10:00:00").tzinfo is None


def test_text_that_is_not_iso_is_a_value_error():
    with pytest.raises(ValueError):
        from_iso("next tuesday")


def test_to_iso_writes_utc_with_a_z_whatever_the_zone():
    from zoneinfo import ZoneInfo

    from escalada.instants import to_iso

    stockholm = datetime(2026, 11, 23, 11, 0, 30, 500, tzinfo=ZoneInfo("Europe/Stockholm"))
    assert to_iso(stockholm) == "2026-11-23T10:00:30Z"
    assert to_iso(datetime(2026, 11, 23, 10, tzinfo=timezone.utc)) == "2026-11-23T10:00:00Z"
    assert to_iso(datetime(2026, 11, 23, 10)) == "2026-11-23T10:00:00Z"  # naive: UTC
    assert to_iso(datetime(1, 1, 1, tzinfo=timezone.utc)) == "0001-01-01T00:00:00Z"


def test_stamp_and_human_are_for_people():
    from escalada.instants import human
    from escalada.instants import stamp

    plus_one = timezone(timedelta(hours=1))
    assert stamp(datetime(2026, 11, 23, 10, 55, tzinfo=plus_one)) == "2026-11-23 09:55Z"
    assert [human(timedelta(minutes=m)) for m in (58, 182, 3065)] == ["58m", "3h02m", "2d 3h05m"]
    assert human(-timedelta(minutes=5)) == "5m"
