"""Every request a fake serves and every reply it gives, held to the vendor's
contract (tests/contracts/*.json|yaml, see trim.py).

A request is checked for: a known operation (method and path), no query
parameter the operation does not declare, every required one present, values
of the declared type/enum (a repeated parameter only where it is an array),
and the JSON body against the operation's request schema. A 2xx reply must be
a status the operation declares, and a JSON reply with a declared schema must
match it, so a fake cannot invent a shape.

Problems are collected in VIOLATIONS; tests/conftest.py fails the test that
caused them (a test that sends off-contract requests on purpose is marked
`off_contract`)."""

from __future__ import annotations

import functools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import jsonschema
import yaml

HERE = Path(__file__).resolve().parent
FILES = {
    "jira": ("jira.json", "jira_servicedesk.yaml"),
    "zendesk": ("zendesk.yaml",),
    "servicenow": ("servicenow.yaml",),
}
VIOLATIONS: list[str] = []
CHECKED: dict[str, int] = {}  # exchanges checked, by desk (reported at the end of the run)


@dataclass(frozen=True)
class Operation:
    operation_id: str
    method: str
    path: str
    pattern: re.Pattern[str]
    parameters: tuple[dict[str, Any], ...]
    request: dict[str, Any] | None
    responses: dict[str, Any]
    components: dict[str, Any]

    def schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        """`schema` with the contract's components beside it, so its $refs resolve."""
        return {**schema, "components": self.components}


def _pattern(path: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", path)
    regex = "".join(f"(?P<{p[1:-1]}>[^/]+)" if p.startswith("{") else re.escape(p) for p in parts)
    return re.compile(f"^{regex}$")


def _load(name: str) -> dict[str, Any]:
    text = (HERE / name).read_text(encoding="utf-8")
    return json.loads(text) if name.endswith(".json") else yaml.safe_load(text)


@functools.cache
def operations(desk: str) -> tuple[Operation, ...]:
    found = []
    for name in FILES[desk]:
        doc = _load(name)
        components = doc.get("components") or {}
        for op in doc["operations"]:
            found.append(
                Operation(
                    op["operationId"],
                    op["method"],
                    op["path"],
                    _pattern(op["path"]),
                    tuple(op.get("parameters") or ()),
                    op.get("request"),
                    op.get("responses") or {},
                    components,
                )
            )
    return tuple(found)


def find(desk: str, method: str, path: str) -> tuple[Operation, dict[str, str]] | None:
    # The most specific template first: literal segments beat {placeholders}.
    for op in sorted(operations(desk), key=lambda o: o.path.count("{")):
        match = op.pattern.match(path)
        if op.method == method and match:
            return op, match.groupdict()
    return None


_VALIDATORS: dict[int, tuple[dict[str, Any], Any]] = {}


def _errors(schema: dict[str, Any], value: Any, op: Operation) -> list[str]:
    # One validator per schema object; the cache keeps the schema alive, so its id
    # cannot be reused by another object.
    cached = _VALIDATORS.get(id(schema))
    if cached is None or cached[0] is not schema:
        cached = (schema, jsonschema.Draft202012Validator(op.schema(schema)))
        _VALIDATORS[id(schema)] = cached
    validator = cached[1]
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message[:200]}"
        for e in sorted(validator.iter_errors(value), key=lambda e: list(e.absolute_path))[:5]
    ]


def _coerce(raw: str, schema: dict[str, Any]) -> Any:
    kind = schema.get("type")
    kinds = kind if isinstance(kind, list) else [kind]
    if "integer" in kinds:
        return int(raw) if re.fullmatch(r"-?\d+", raw) else raw
    if "boolean" in kinds:
        return {"true": True, "false": False}.get(raw, raw)
    return raw


def _param_problems(
    op: Operation, name: str, values: list[str], schema: dict[str, Any]
) -> list[str]:
    if schema.get("type") == "array":
        items = schema.get("items") or {}
        given = [_coerce(v, items) for raw in values for v in raw.split(",")]
        return [f"parameter {name}: {p}" for p in _errors(schema, given, op)]
    if len(values) > 1:
        return [f"parameter {name} is repeated but not an array"]
    return [f"parameter {name}: {p}" for p in _errors(schema, _coerce(values[0], schema), op)]


def check_request(
    desk: str, method: str, url: str, body: Any
) -> tuple[Operation | None, list[str]]:
    parts = urlsplit(url)
    found = find(desk, method, parts.path)
    if found is None:
        return None, [f"unknown endpoint {method} {parts.path}"]
    op, path_values = found
    problems = []
    declared = {p["name"]: p for p in op.parameters if p["in"] == "query"}
    given = parse_qs(parts.query, keep_blank_values=True)
    for name, values in given.items():
        if name not in declared:
            problems.append(f"unknown query parameter {name!r}")
        else:
            problems.extend(_param_problems(op, name, values, declared[name].get("schema") or {}))
    for name, p in declared.items():
        if p.get("required") and name not in given:
            problems.append(f"missing required query parameter {name!r}")
    for p in op.parameters:
        if p["in"] == "path" and p["name"] in path_values:
            problems.extend(
                _param_problems(op, p["name"], [path_values[p["name"]]], p.get("schema") or {})
            )
    if op.request and op.request.get("form"):
        pass  # a form-encoded body (OAuth): not JSON
    elif body not in (None, b"", ""):
        if not op.request:
            problems.append("a body where the operation takes none")
        else:
            try:
                data = json.loads(body)
            except ValueError:
                problems.append("the body is not JSON")
            else:
                problems.extend(f"body {p}" for p in _errors(op.request["schema"], data, op))
    elif op.request and op.request.get("required", True) and method in ("POST", "PUT", "PATCH"):
        problems.append("no body where the operation needs one")
    return op, problems


def check_response(op: Operation, status: int, text: str) -> list[str]:
    declared = op.responses.get(str(status))
    if declared is None and status < 300:
        return [f"status {status} is not one the operation answers"]
    schema = (declared or {}).get("schema") if declared else None
    if not schema or not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return ["the reply is not JSON"]
    return [f"reply {p}" for p in _errors(schema, data, op)]


def observe(desk: str, method: str, url: str, body: Any, status: int, text: str) -> None:
    """Check one served exchange; record its problems in VIOLATIONS."""
    CHECKED[desk] = CHECKED.get(desk, 0) + 1
    op, problems = check_request(desk, method, url, body)
    if op is not None:
        problems += check_response(op, status, text)
    where = f"{desk} {method} {urlsplit(url).path}"
    if op is not None:
        where += f" ({op.operation_id})"
    VIOLATIONS.extend(f"{where}: {p}" for p in problems)
