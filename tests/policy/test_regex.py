"""Policy patterns match in linear time; what the engine cannot express is refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from escalada.policy.regex import MAX_PATTERN
from escalada.policy.regex import RegexError
from escalada.policy.regex import compile_regex
from escalada.policy.validate import validate_paths
from tests.paths import EXAMPLE


def test_a_catastrophic_pattern_is_searched_in_linear_time() -> None:
    # Python's re takes minutes on this text (each extra "a" doubles the work);
    # RE2 answers at once. No timing is asserted: the test finishes or hangs.
    regex = compile_regex("(a+)+$")
    assert not regex.search("a" * 5000 + "!")
    assert regex.search("a" * 5000)


@pytest.mark.parametrize(
    ("pattern", "why"),
    [
        ("(a)\\1", "linear-time engine"),
        ("(?=a)b", "linear-time engine"),
        ("(?<!a)b", "linear-time engine"),
        ("a{1001}", "linear-time engine"),
        ("a{99999999999}", "too large"),
        ("(" * 2000 + ")" * 2000, "recursion"),
        ("x" * (MAX_PATTERN + 1), "characters long"),
        ("(", "missing )"),
    ],
)
def test_what_cannot_be_matched_in_linear_time_is_refused(pattern: str, why: str) -> None:
    with pytest.raises(RegexError, match=why.replace("(", r"\(").replace(")", r"\)")):
        compile_regex(pattern)


def test_inline_flags_are_kept() -> None:
    assert compile_regex("(?i)vpn").search("VPN down")
    assert not compile_regex("vpn").search("VPN down")


def test_validate_refuses_a_backreference_with_the_hint(tmp_path: Path) -> None:
    policy = Path(shutil.copytree(EXAMPLE, tmp_path / "policy"))
    (policy / "z.yaml").write_text(
        "apiVersion: escalada/v1\nkind: EscalationPath\nmetadata: {name: echo}\n"
        "spec:\n  match: {field: description, matches: '(a)\\1'}\n"
        "  levels: [{team: service-desk}]\n"
    )
    result = validate_paths([str(policy)])
    found = [(Path(f.where.file).name, f.where.line, f.code) for f in result.findings]
    assert found == [("z.yaml", 5, "bad-regex")]
    assert "RE2" in (result.findings[0].hint or "")
