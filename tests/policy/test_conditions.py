from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escalada.policy.conditions import _fast
from escalada.policy.conditions import _general
from escalada.policy.conditions import _keywords
from escalada.policy.conditions import compile_condition
from escalada.policy.conditions import describe
from escalada.policy.conditions import field_value
from escalada.policy.conditions import getter
from escalada.policy.conditions import matches
from escalada.policy.conditions import scales
from escalada.policy.fields import field_is_known
from escalada.policy.model import AllOf
from escalada.policy.model import AnyOf
from escalada.policy.model import NotOf
from escalada.policy.regex import compile_regex
from escalada.ticket import Requester
from tests.engine.fixtures import field
from tests.engine.fixtures import matrix
from tests.engine.fixtures import ticket

T = ticket(
    description="Users in Stockholm cannot connect since 09:00",
    tags=frozenset({"outage", "vpn"}),
    requester=Requester("Acme AB", vip=True),
    fields={"region": "emea", "seats": 120, "sites": ["sto", "got"]},
    team="network-l2",
)


@pytest.mark.parametrize(
    ("name", "op", "value", "expected"),
    [
        ("priority", "equals", "P1", True),
        ("priority", "equals", "P2", False),
        ("priority", "in", ["P1", "P2"], True),
        ("priority", "in", ["P3"], False),
        ("impact", "equals", "extensive", True),
        ("urgency", "in", ["critical"], True),
        ("status", "equals", "open", True),
        ("team", "equals", "network-l2", True),
        ("tags", "contains", "outage", True),
        ("tags", "contains", "out", False),  # a tag, not a substring
        ("tags", "in", ["vpn", "dns"], True),
        ("tags", "in", ["dns"], False),
        ("tags", "equals", ["vpn", "outage"], True),
        ("tags", "equals", ["vpn"], False),
        ("tags", "matches", "^vp", True),
        ("tags", "exists", True, True),
        ("title", "contains", "VPN down", True),
        ("title", "contains", "vpn down", False),  # case-sensitive
        ("title", "matches", "(?i)vpn down", True),
        ("description", "matches", r"since \d\d:\d\d", True),
        ("text", "matches", "(?i)stockholm office\nusers", True),
        ("text", "contains", "cannot connect", True),
        ("requester.organization", "equals", "Acme AB", True),
        ("requester.vip", "equals", True, True),
        ("requester.vip", "equals", 1, False),  # a boolean is not a number
        ("fields.region", "equals", "emea", True),
        ("fields.region", "exists", True, True),
        ("fields.missing", "exists", False, True),
        ("fields.missing", "equals", "x", False),
        ("fields.seats", "gte", 100, True),
        ("fields.seats", "lte", 100, False),
        ("fields.seats", "lte", 120, True),
        ("fields.region", "gte", 1, False),  # not a number: never matches
        ("fields.sites", "contains", "got", True),
        ("fields.sites", "in", ["x", "sto"], True),
    ],
)
def test_field_operators(name: str, op: str, value: object, expected: bool) -> None:
    assert matches(field(name, op, value), T, matrix=matrix()) is expected


@pytest.mark.parametrize(
    ("name", "op", "value", "priority", "expected"),
    [
        ("priority", "gte", "P2", "P1", True),  # P1 is higher than P2
        ("priority", "gte", "P2", "P2", True),
        ("priority", "gte", "P2", "P3", False),
        ("priority", "lte", "P2", "P3", True),
        ("priority", "lte", "P2", "P1", False),
        ("priority", "gte", "P9", "P1", False),  # unknown limit never matches
        ("priority", "gte", "P2", None, False),
    ],
)
def test_ordered_fields_follow_the_policy_order(
    name: str, op: str, value: str, priority: str | None, expected: bool
) -> None:
    predicate = compile_condition(field(name, op, value), scales(matrix()))
    assert predicate(T, priority) is expected


def test_impact_order_from_the_matrix() -> None:
    ranks = scales(matrix())
    assert compile_condition(field("impact", "gte", "significant"), ranks)(T, "P1")
    minor = ticket(impact="minor")
    assert not compile_condition(field("impact", "gte", "significant"), ranks)(minor, "P1")


def test_priority_is_the_effective_one_not_the_written_one() -> None:
    written_p3 = ticket(priority="P3")
    predicate = compile_condition(field("priority", "equals", "P1"))
    assert predicate(written_p3, "P1")
    assert not predicate(written_p3, "P3")


def test_combinators() -> None:
    outage = field("tags", "contains", "outage")
    p4 = field("priority", "equals", "P4")
    assert matches(AllOf((outage, NotOf(p4))), T)
    assert not matches(AllOf((outage, p4)), T)
    assert matches(AnyOf((p4, outage)), T)
    assert not matches(AnyOf((p4, NotOf(outage))), T)
    assert matches(AllOf((outage, outage, NotOf(p4))), T)
    assert matches(None, T)


def test_missing_values_never_match_text_operators() -> None:
    bare = ticket(requester=Requester(), impact=None)
    assert not matches(field("requester.organization", "contains", "Acme"), bare)
    assert not matches(field("requester.organization", "matches", "."), bare)
    assert not matches(field("impact", "in", ["extensive"]), bare)
    assert matches(field("impact", "exists", False), bare)


def test_unknown_field_is_refused_with_the_known_ones() -> None:
    with pytest.raises(ValueError, match="unknown condition field 'requester.name'.*fields.<name>"):
        compile_condition(field("requester.name", "equals", "x"))
    assert field_is_known("fields.region")
    assert not field_is_known("fields.")
    assert not field_is_known("assignee")


def test_field_value_and_describe() -> None:
    assert field_value(T, "fields.region") == "emea"
    assert field_value(T, "priority", "P2") == "P2"
    condition = AllOf(
        (
            field("priority", "in", ["P1", "P2"]),
            AnyOf((field("tags", "contains", "outage"), field("text", "matches", "(?i)down"))),
            NotOf(field("requester.vip", "equals", False)),
        )
    )
    assert describe(condition) == (
        "priority in [P1, P2] and (tags contains outage or text matches /(?i)down/) "
        "and not requester.vip equals false"
    )
    assert describe(None) == "every ticket"


CASES = st.sampled_from(
    [
        ("tags", "contains", "outage"),
        ("tags", "in", ["vpn", "dns"]),
        ("requester.vip", "equals", True),
        ("requester.vip", "equals", False),
        ("priority", "equals", "P1"),
        ("impact", "in", ["extensive", "minor"]),
        ("title", "contains", "VPN"),
        ("title", "contains", ""),
        ("requester.organization", "contains", "Acme"),
        ("requester.organization", "equals", "Acme AB"),
        ("text", "matches", "(?i)gdpr|down"),
        ("description", "matches", "^$"),
        ("status", "in", ["open", "pending"]),
    ]
)
TEXTS = st.sampled_from(["", "VPN down", "GDPR request", "printer"])


@given(
    CASES,
    st.sets(st.sampled_from(["outage", "vpn", "dns", "x"])),
    st.booleans(),
    st.sampled_from([None, "Acme AB", "Acme", "Other"]),
    TEXTS,
    TEXTS,
    st.sampled_from([None, "extensive", "minor", "moderate"]),
    st.sampled_from(["open", "pending", "resolved"]),
    st.sampled_from([None, "P1", "P2"]),
)
def test_fast_predicates_mean_the_same_as_the_general_ones(
    case: tuple[str, str, object],
    tags: set[str],
    vip: bool,
    organization: str | None,
    title: str,
    description: str,
    impact: str | None,
    status: str,
    priority: str | None,
) -> None:
    name, op, value = case
    t = ticket(
        tags=frozenset(tags),
        requester=Requester(organization, vip),
        title=title,
        description=description,
        impact=impact,
        status=status,
    )
    condition = field(name, op, value)
    fast = _fast(condition, getter(name))
    assert fast is not None, case
    assert fast(t, priority) == _general(condition, getter(name), {})(t, priority)


# Characters whose case rules differ between str.lower() and the regex engine's
# ignore-case matching (long s, Kelvin sign, dotted and dotless i, sharp s).
ODD = ["\u017f", "\u212a", "\u0130", "\u0131", "\u00df", "\u00e9"]
WORDS = st.lists(st.text(alphabet="abkisDEF _-12", min_size=1, max_size=5), min_size=1, max_size=4)


@st.composite
def keyword_texts(draw: st.DrawFn, words: list[str]) -> str:
    """Text that often holds one of the words, in a random case or spelled with odd letters."""
    alphabet = st.sampled_from([*"abkisDEFKIS _-12\n", *ODD])
    text = draw(st.text(alphabet=alphabet, max_size=12))
    if words and draw(st.booleans()):  # type: ignore[arg-type]  # inferred from `words`
        word = draw(st.sampled_from(words))
        spelled = "".join(draw(st.sampled_from([c, c.upper(), c.lower()])) for c in word)
        if draw(st.booleans()):
            spelled = spelled.replace("s", "\u017f").replace("k", "\u212a").replace("i", "\u0131")
        text = draw(st.text(alphabet=alphabet, max_size=6)) + spelled + text
    return text


@given(st.data(), WORDS, st.booleans())
def test_keyword_patterns_search_as_the_regex_does(
    data: st.DataObject, words: list[str], ignore_case: bool
) -> None:
    regex = compile_regex(("(?i)" if ignore_case else "") + "|".join(words))
    contains = _keywords(regex, getter("text"))
    assert contains is not None
    title, description = data.draw(keyword_texts(words)), data.draw(keyword_texts(words))
    t = ticket(title=title, description=description)
    assert contains(t, None) == regex.search(f"{title}\n{description}")


def test_only_plain_words_become_substring_tests() -> None:
    assert _keywords(compile_regex("(?i)gdpr|personal data|data breach"), getter("text"))
    assert _keywords(compile_regex("(?i)outage"), getter("title"))
    for pattern in ("a.b", "(?i)x|", "^vpn", "vpn$", "[ab]", "a+", "(?i)(a|b)"):
        assert _keywords(compile_regex(pattern), getter("title")) is None, pattern
    assert _keywords(compile_regex("(?m)vpn"), getter("title")) is None
    assert _keywords(compile_regex("(?s)vpn"), getter("title")) is None
