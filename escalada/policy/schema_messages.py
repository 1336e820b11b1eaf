"""Wording shared by the schema findings: where (`spec.levels[1].after`), what
a value is (`a list`, `true/false`), and the name a typo most likely meant."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any

TYPES = {
    "object": "a mapping",
    "array": "a list",
    "string": "text",
    "integer": "a whole number",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def closest(word: str, choices: Iterable[str]) -> str | None:
    """The choice a typo most likely meant, or None."""
    options = list(choices)
    lowered = {choice.lower(): choice for choice in options}
    if word.lower() in lowered:
        return lowered[word.lower()]
    matches = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return matches[0] if matches else None


def loc(path: tuple[Any, ...]) -> str:
    if not path:
        return "the document"
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def a_valid(path: tuple[Any, ...]) -> str:
    """`a valid type (spec.type)`, or for a list item `allowed in spec.actions[2]`."""
    if path and isinstance(path[-1], str):
        return f"a valid `{path[-1]}` ({loc(path)})"
    return f"allowed in {loc(path)}"


def last(path: tuple[Any, ...]) -> str:
    named = [part for part in path if isinstance(part, str)]
    return named[-1] if named else "value"


def kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    for python, name in ((dict, "object"), (list, "array"), (str, "string"), (int, "integer")):
        if isinstance(value, python):
            return TYPES[name]
    return TYPES["number"]


def show(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 60 else text[:57] + "..."
