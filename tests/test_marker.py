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


def test_the_policy_revision_travels_as_a_token_and_old_markers_read_without_it():
    state = EscalationState("standard", 2, policy="3f2a9c0d1b7e")
    assert "escalada-rev-3f2a9c0d1b7e" in marker.encode(state)
    assert marker.decode(marker.encode(state)) == state
    assert marker.decode_note(marker.note_line(state)) == state
    # an all-digit revision is not read as a level of a path named "rev"
    digits = EscalationState("standard", 1, policy="123456789012")
    assert marker.decode(marker.encode(digits)) == digits
    assert marker.decode(["escalada-standard-2"]).policy is None
