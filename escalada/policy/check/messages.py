"""Wording shared by the schema findings: where (`spec.levels[1].after`), what
a value is (`a list`, `true/false`), the name a typo most likely meant, and
the code of a finding (the semantic checks' own code where they catch the same
mistake, so a user sees one code per mistake whichever layer reports it)."""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterable
from typing import Any

from escalada.errors import printable
from escalada.schemas.defs import PYTHON_REGEX
from escalada.secrets import shown_url
from escalada.secrets import url_credentials

# A titled definition (escalada.schemas.defs, kinds) -> the code of a value that
# does not fit it; the semantic checks use the same codes.
CODE_BY_TITLE = {
    "Duration": "bad-duration",
    "ConditionField": "unknown-field",
    "Date": "bad-date",
    "ClosedDay": "bad-date",
    "DateTime": "bad-date",
    "TimeRange": "bad-hours",
    "DaySpec": "bad-hours",
    "SlaShare": "bad-threshold",
}
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
    """A value as a finding quotes it: shortened, and a URL that carries a
    credential without it (`https://u:PW@host` -> `https://host`)."""
    if isinstance(value, str) and "://" in value and url_credentials(value):
        return shown_url(value)
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = printable(text)
    return text if len(text) <= 60 else text[:57] + "..."


def code(kind: str | None, path: tuple[Any, ...], keyword: str, title: Any, rule: Any) -> str:
    """The finding code of a schema error (`rule` is the keyword's value)."""
    if kind == "Desk" and path[:2] == ("spec", "options"):
        return "desk-option"
    if kind == "Desk" and path == ("spec", "url"):
        return "desk-url"
    if kind == "Calendar" and path == ("metadata", "name") and keyword == "not":
        return "duplicate-name"  # the built-in 24x7
    if keyword == "uniqueItems":
        return "duplicate-value"
    if keyword == "format" and rule == PYTHON_REGEX:
        return "bad-regex"
    if isinstance(title, str) and keyword in ("pattern", "format", "type"):
        return CODE_BY_TITLE.get(title, "schema")
    return "schema"


def bounds(keyword: str, limit: Any, value: Any, where: str, fallback: str) -> str:
    """A size or range limit, said plainly (`spec.levels needs at least 1 item`)."""
    if keyword == "minItems":
        return f"{where} needs at least {limit} item{'s' * (limit != 1)}"
    if keyword == "maxItems":
        return f"{where} allows at most {limit} item{'s' * (limit != 1)}"
    if keyword == "minProperties":
        return f"{where} needs at least {limit} entr{'ies' if limit != 1 else 'y'}"
    if keyword == "maxProperties":
        return f"{where} allows at most {limit} key{'s' * (limit != 1)}, found {len(value)}"
    if keyword == "minLength":
        return f"{where} must not be empty" if limit == 1 else f"{where} needs {limit}+ characters"
    if keyword in ("minimum", "exclusiveMinimum"):
        return f"{where} must be at least {limit}"
    if keyword in ("maximum", "exclusiveMaximum"):
        return f"{where} must be at most {limit}"
    return f"{where}: {fallback}"
