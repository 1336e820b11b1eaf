"""connectors.mapping: one read-back of desk values to policy names for every desk."""

from __future__ import annotations

from escalada.connectors.mapping import ReadBack
from escalada.connectors.mapping import read_back

PRIORITIES = {"P1": "Highest", "P2": "High", "P3": "3"}


def test_an_exact_match_reads_back():
    assert read_back(PRIORITIES, "High") == "P2"
    assert read_back(PRIORITIES, "3") == "P3"


def test_a_value_in_another_case_reads_back_when_no_exact_match():
    assert read_back(PRIORITIES, "HIGH") == "P2"
    assert read_back(PRIORITIES, "highest") == "P1"


def test_an_exact_match_beats_a_case_insensitive_one():
    mapping = {"loud": "URGENT", "quiet": "urgent"}  # validate rejects this; the order is fixed
    assert read_back(mapping, "urgent") == "quiet"
    assert read_back(mapping, "Urgent") == "loud"  # no exact match: the first written


def test_of_several_candidates_the_first_written_entry_wins():
    # Jira names a priority by its name and its id: whichever the mapping uses
    assert read_back(PRIORITIES, "Highest", "3") == "P1"
    assert read_back(PRIORITIES, "3", "Highest") == "P1"
    assert read_back(PRIORITIES, "nope", "3") == "P3"


def test_where_names_share_a_desk_value_the_first_written_wins():
    assert read_back({"high": "1", "critical": "1"}, "1") == "high"


def test_nothing_reads_back_from_an_unmapped_none_or_empty_value():
    assert read_back(PRIORITIES, "Low") is None
    assert read_back(PRIORITIES, None, "") is None
    assert read_back({"blank": ""}, "") is None
    assert read_back({}, "High") is None


def test_a_readback_built_once_answers_like_the_function():
    read = ReadBack(PRIORITIES)
    for value in ("High", "high", "3", "Low", None):
        assert read(value) == read_back(PRIORITIES, value)
