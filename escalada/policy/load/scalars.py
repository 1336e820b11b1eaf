"""Plain scalars resolved as PyYAML's SafeLoader resolves them (YAML 1.1:
`yes`/`no`/`on`/`off` are booleans, `0x1f` and `1:30` are numbers), except that
timestamps stay text."""

from __future__ import annotations

from typing import Any

YAML_TAG = "tag:yaml.org,2002:"
SCALAR_TAGS = frozenset(YAML_TAG + t for t in ("str", "int", "float", "bool", "null", "timestamp"))
_Y = YAML_TAG
_BOOLS = {"yes": True, "no": False, "true": True, "false": False, "on": True, "off": False}


def construct(tag: str, value: str) -> Any:
    """The value of a plain scalar resolved to `tag` (YAML 1.1, as PyYAML's SafeLoader)."""
    try:
        if tag == _Y + "bool":
            return _BOOLS[value.lower()]
        if tag == _Y + "int":
            return _int(value)
        if tag == _Y + "float":
            return _float(value)
        if tag == _Y + "null":
            return None
    except (ValueError, KeyError):
        pass  # an explicit !!int on text that is not a number stays text
    return value  # str, timestamp (kept as text), merge and value markers


def _int(text: str) -> int:
    value = text.replace("_", "")
    sign = -1 if value[:1] == "-" else 1
    if value[:1] in "+-":
        value = value[1:]
    if value == "0":
        return 0
    if value.startswith("0b"):
        return sign * int(value[2:], 2)
    if value.startswith("0x"):
        return sign * int(value[2:], 16)
    if value.startswith("0") and value.isdigit():
        return sign * int(value, 8)
    if ":" in value:
        return sign * _sexagesimal(value)
    return sign * int(value)


def _float(text: str) -> float:
    value = text.replace("_", "").lower()
    sign = -1.0 if value[:1] == "-" else 1.0
    if value[:1] in "+-":
        value = value[1:]
    if value == ".inf":
        return sign * float("inf")
    if value == ".nan":
        return float("nan")
    if ":" in value:
        return sign * float(_sexagesimal(value))
    return sign * float(value)


def _sexagesimal(value: str) -> int:
    total = 0
    for part in value.split(":"):
        total = total * 60 + int(part)
    return total
