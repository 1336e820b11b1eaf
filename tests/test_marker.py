from __future__ import annotations

from datetime import datetime
from datetime import timezone

from hypothesis import given
from hypothesis import strategies as st

from escalada import marker
from escalada.ticket import EscalationState

UTC = timezone.utc
names = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,20}[a-z0-9])?", fullmatch=True)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


@given(
    path=st.none() | names,
    level=st.integers(0, 20),
    since=st.none() | moments,
    updated=st.none() | moments,
    asked=st.booleans(),
    pending=st.booleans(),
)
def test_state_round_trips_through_tokens(path, level, since, updated, asked, pending):
    level = level if path is not None else 0  # a level means nothing without a path
    state = EscalationState(path, level, since, updated, asked, pending)
    tokens = marker.encode(state)
    assert all(t == t.lower() and " " not in t and t.startswith("escalada-") for t in tokens)
    assert marker.decode([*tokens, "outage", "VIP"]) == state
    assert marker.decode_note(f"Escalated.\n{marker.note_line(state)}") == state


def test_a_reason_request_is_remembered_without_a_path():
    state = EscalationState(asked=True)
    assert marker.encode(state) == ("escalada-asked",)
    assert marker.decode(marker.encode(state)) == state


def test_no_state_means_no_tokens_and_other_tags_are_ignored():
    assert marker.encode(EscalationState()) == ()
    assert marker.decode(["outage", "escalate"]) == EscalationState()
    assert marker.decode_note("no marker here") is None


def test_several_level_tokens_resolve_to_the_highest():
    state = marker.decode(["escalada-standard-1", "escalada-standard-3", "escalada-standard-2"])
    assert (state.path, state.level) == ("standard", 3)


def test_retag_adds_and_removes_only_marker_tokens():
    new = EscalationState("critical-outage", 2)
    add, remove = marker.retag(["outage", "escalada-critical-outage-1", "escalada-asked"], new)
    assert add == {"escalada-critical-outage-2"}
    assert remove == {"escalada-critical-outage-1", "escalada-asked"}
