"""The ticket file writer is the exact inverse of parse_ticket, and bad lines say where."""

from __future__ import annotations

import io
import os
from datetime import datetime
from datetime import timedelta
from datetime import timezone

import pytest
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from escalada.errors import EscaladaError
from escalada.policy.ticket_input import parse_ticket
from escalada.ticket import STATUSES
from escalada.ticket import EscalationState
from escalada.ticket import Requester
from escalada.ticket import StatusChange
from escalada.ticket import Ticket
from escalada.ticket_file import parse_lines
from escalada.ticket_file import read_tickets
from escalada.ticket_file import record
from escalada.ticket_file import write_tickets

zones = st.sampled_from([timezone.utc, timezone(timedelta(hours=1)), timezone(timedelta(hours=-5))])
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2100, 1, 1), timezones=zones
)
text = st.text(max_size=20)
names = st.none() | st.text(min_size=1, max_size=12)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**40), 2**40) | text,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(text, inner, max_size=3),
    max_leaves=6,
)


@st.composite
def states(draw: st.DrawFn) -> EscalationState:
    path = draw(st.none() | st.from_regex(r"[a-z][a-z0-9-]{0,10}", fullmatch=True))
    return EscalationState(
        path=path,
        level=draw(st.integers(0, 6)) if path else 0,
        since=draw(st.none() | moments),
        updated=draw(st.none() | moments),
        asked=draw(st.booleans()),
        pending=draw(st.booleans()),
        history=tuple(draw(st.lists(st.from_regex(r"[a-z]{1,6}:[0-9]", fullmatch=True)))),
        policy=draw(st.none() | st.from_regex(r"[0-9a-f]{12}", fullmatch=True)),
    )


@st.composite
def tickets(draw: st.DrawFn) -> Ticket:
    changes = sorted(draw(st.lists(moments, max_size=4)))
    return Ticket(
        desk=draw(st.text(min_size=1, max_size=10)),
        key=draw(st.text(min_size=1, max_size=10)),
        title=draw(text),
        created=draw(moments),
        status=draw(st.sampled_from(STATUSES)),
        url=draw(names),
        description=draw(text),
        priority=draw(names),
        impact=draw(names),
        urgency=draw(names),
        updated=draw(st.none() | moments),
        responded=draw(st.none() | moments),
        resolved=draw(st.none() | moments),
        team=draw(names),
        assignee=draw(names),
        tags=frozenset(draw(st.lists(st.text(min_size=1, max_size=8), max_size=4))),
        requester=Requester(draw(names), draw(st.booleans())),
        fields=draw(st.dictionaries(text, json_values, max_size=3)),
        escalation=draw(states()),
        latest_comment=draw(names),
        revision=draw(names),
        status_history=tuple(
            StatusChange(draw(st.sampled_from(STATUSES)), moment) for moment in changes
        ),
    )


@settings(max_examples=60, deadline=None)
@given(tickets())
def test_parse_ticket_reads_back_exactly_what_record_wrote(ticket):
    assert parse_ticket(record(ticket)) == ticket


@settings(max_examples=30, deadline=None)
@given(st.lists(tickets(), max_size=4))
def test_a_file_of_lines_reads_back_in_order(written):
    out = io.StringIO()
    assert write_tickets(written, out) == len(written)
    assert out.getvalue().count("\n") == len(written)
    assert list(parse_lines(out.getvalue().splitlines(), source="t.jsonl")) == written


def test_a_bad_line_names_its_file_and_line():
    good = '{"key": "T-1", "created": "2026-11-23T09:00:00Z"}'
    with pytest.raises(EscaladaError) as error:
        list(parse_lines([good, "", '{"key": "T-2"'], source="t.jsonl"))
    assert str(error.value).startswith("t.jsonl:3:")
    with pytest.raises(EscaladaError) as error:
        list(parse_lines([good, '{"key": "T-2", "created": "2026-11-23"}'], source="t.jsonl"))
    assert str(error.value).startswith("t.jsonl:2:1: ticket field 'created'")


def test_a_marker_from_before_revisions_reads_with_no_revision():
    data = {"key": "T-1", "created": "2026-11-23T09:00:00Z", "tags": ["escalada-standard-2"]}
    assert parse_ticket(data).escalation == EscalationState(path="standard", level=2)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        # once RecursionError and ValueError: `simulate --tickets` exited 3 (issue 12)
        ('{"key": ' + "[" * 5000 + "]" * 5000 + "}", r"t.jsonl:2:1: the line is nested too"),
        ('{"key": "T-2", "n": ' + "9" * 5000 + "}", r"t.jsonl:2:1: not valid JSON: Exceeds"),
    ],
)
def test_a_line_too_deep_or_with_too_many_digits_is_one_clear_error(line: str, message: str):
    good = '{"key": "T-1", "created": "2026-11-23T09:00:00Z"}'
    with pytest.raises(EscaladaError, match=message):
        list(parse_lines([good, line], source="t.jsonl"))


def test_read_tickets_refuses_a_fifo_and_a_device(tmp_path):
    fifo = tmp_path / "tickets.jsonl"
    os.mkfifo(fifo)  # `simulate --tickets fifo` once waited forever for a writer
    with pytest.raises(EscaladaError, match=r"not a regular file \(it is a FIFO\)"):
        read_tickets(str(fifo))
    with pytest.raises(EscaladaError, match=r"not a regular file \(it is a device\)"):
        read_tickets("/dev/zero")
    with pytest.raises(EscaladaError, match=r"does not exist \(write one with `escalada tickets"):
        read_tickets(str(tmp_path / "none.jsonl"))
