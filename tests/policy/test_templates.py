from __future__ import annotations

from escalada.policy.templates import DEFAULTS
from escalada.policy.templates import PLACEHOLDERS
from escalada.policy.templates import placeholders
from escalada.policy.templates import render
from escalada.policy.templates import unknown_placeholders


def test_render_fills_a_flat_mapping() -> None:
    text = render("$key is at level ${level} ($team)", {"key": "SD-1", "level": "2", "team": "l2"})
    assert text == "SD-1 is at level 2 (l2)"


def test_unknown_placeholders_stay_as_written() -> None:
    assert render("$key: $nosuch", {"key": "SD-1"}) == "SD-1: $nosuch"


def test_no_attribute_traversal_or_expressions() -> None:
    values = {"ticket": "T"}
    assert render("${ticket.title}", values) == "${ticket.title}"
    assert render("${ticket.__class__}", values) == "${ticket.__class__}"
    assert render("$ticket.title", values) == "T.title"  # a placeholder then plain text


def test_dollar_escape() -> None:
    assert render("costs $$5 for $key", {"key": "SD-1"}) == "costs $5 for SD-1"
    assert placeholders("costs $$5 for $key") == ["key"]


def test_placeholders_and_unknown_ones() -> None:
    assert placeholders("$key ${title} $rule") == ["key", "title", "rule"]
    assert unknown_placeholders("$key $tittle ${elapsed}") == ["tittle"]


def test_defaults_use_only_known_placeholders() -> None:
    for name, text in DEFAULTS.items():
        assert unknown_placeholders(text) == [], name
    escalate = set(placeholders(DEFAULTS["escalate"]))
    # what a recipient needs to decide fast
    assert {"rule", "elapsed", "left", "title", "priority", "impact", "organization"} <= escalate
    assert {"before", "skipped", "team", "path", "level"} <= escalate
    assert set(PLACEHOLDERS) >= escalate
