"""No policy makes `validate_paths` raise: documents shaped like real ones, with
any node replaced by null, a list, a number, a string or a mapping (or a key
dropped), come back as findings with positions and documented codes.

The regression that started this: `triggers: [null]` crashed the schema pass
(`TypeError: argument of type 'NoneType' is not iterable`, exit 3)."""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from escalada.policy.load.files import load_paths
from escalada.policy.validate import ValidationResult
from escalada.policy.validate import validate_paths
from escalada.schemas.examples import EXAMPLES
from tests.paths import ROOT

EXAMPLE = ROOT / "examples" / "policy"
_TABLE = (ROOT / "docs" / "validate.md").read_text(encoding="utf-8")
DOCUMENTED = set(re.findall(r"^\| `([a-z0-9-]+)` \| (?:error|warning) \|", _TABLE, re.M))
PATH = (
    "apiVersion: escalada/v1\nkind: EscalationPath\nmetadata: {name: p}\nspec:\n"
    "  levels: [{team: desk}, {team: l2, after: 1h}]\n"
)


def validate_text(text: str) -> ValidationResult:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "policy.yaml"
        path.write_text(text, encoding="utf-8")
        result = validate_paths([str(path)])
    lines = text.count("\n") + 1
    for finding in result.findings:
        assert finding.code in DOCUMENTED, finding
        assert 1 <= finding.where.line <= lines and finding.where.column >= 1, finding
        assert finding.message and finding.severity in ("error", "warning"), finding
    return result


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("  triggers: [null]\n", "spec.triggers[0] must be a mapping, not null"),
        ("  triggers: [3]\n", "spec.triggers[0] must be a mapping, not a whole number"),
        ("  triggers: [[]]\n", "spec.triggers[0] must be a mapping, not a list"),
        ("  match: null\n", "spec.match must be a mapping, not null"),
        ("  match: {all: [null]}\n", "spec.match.all[0] must be a mapping, not null"),
        ("  match: {not: x}\n", "spec.match.not must be a mapping, not text"),
        (
            "  triggers: [{name: t, if: null, goto: 1, reason: r}]\n",
            "spec.triggers[0].if must be a mapping, not null",
        ),
    ],
)
def test_a_node_of_the_wrong_type_is_one_finding_not_a_crash(spec: str, message: str):
    result = validate_text(PATH + spec)
    assert [(f.code, f.where.line, f.message) for f in result.findings] == [("schema", 6, message)]


# --- the fuzz ---------------------------------------------------------------------

# kind -> documents of that kind: the example policy's and each schema's example
SEEDS: dict[str, list[Any]] = {}
for _document in [*(d.data for d in load_paths([EXAMPLE]).documents), *EXAMPLES.values()]:
    SEEDS.setdefault(_document["kind"], []).append(_document)
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["", "x", "P1", "1h", "next", "(", "24x7", "mon-fri", "2026-02-30"]),
    st.text(max_size=8),
)
NODES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["field", "in", "all", "team", "after", "name", "x"]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)


def _spots(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _spots(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _spots(value, (*path, index))
    return found


def _replaced(data: Any, path: tuple[Any, ...], new: Any, drop: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        if drop and not rest:
            return {k: v for k, v in data.items() if k != head}
        return {k: (_replaced(v, rest, new, drop) if k == head else v) for k, v in data.items()}
    return [(_replaced(v, rest, new, drop) if i == head else v) for i, v in enumerate(data)]


@pytest.mark.parametrize("kind", sorted(EXAMPLES))
def test_every_node_of_each_kinds_example_may_be_any_type(kind: str):
    """Every single-node replacement, exhaustively: one file of variants per value."""
    example = EXAMPLES[kind]
    value: object
    for value in (None, [], 0, 1.5, "x", {}, True):
        variants = [_replaced(example, spot, value, False) for spot in _spots(example)[1:]]
        validate_text(yaml.safe_dump_all(variants, sort_keys=False))


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_no_document_shaped_like_a_policy_makes_validate_raise(data: Any):
    """A few documents of any kinds, each node equally likely to be hit."""
    kinds = data.draw(st.lists(st.sampled_from(sorted(SEEDS)), min_size=1, max_size=3))
    documents = [data.draw(st.sampled_from(SEEDS[kind])) for kind in kinds]
    for _ in range(data.draw(st.integers(1, 6))):
        index = data.draw(st.integers(0, len(documents) - 1))
        spot = data.draw(st.sampled_from(_spots(documents[index])[1:] or [()]))
        new = data.draw(NODES)
        documents[index] = _replaced(documents[index], spot, new, data.draw(st.booleans()))
    text = yaml.safe_dump_all(documents, sort_keys=False, allow_unicode=True)
    validate_text(text)
