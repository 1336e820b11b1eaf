"""Check documents against their kind's JSON Schema and turn each error into a
finding a person understands, at the offending node's file:line:col.

jsonschema's own messages echo the instance and name keywords (`'x' was
unexpected`); here each keyword gets a sentence that names the key, the place
(`spec.priorities.P1`) and the fix, with a did-you-mean for typos. Errors under
a titled definition (see `escalada.schemas.defs`) get a specific code:
`bad-duration`, `literal-secret` (whose value is never echoed); a mistake the
semantic checks catch too gets their code (`bad-regex`, `duplicate-value`,
`unknown-field`, `desk-option`, ...: `schema_messages.code`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import date
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema import FormatChecker
from jsonschema.exceptions import ValidationError

from escalada.instants import from_iso
from escalada.policy.check.messages import TYPES as _TYPES
from escalada.policy.check.messages import a_valid as _a_valid
from escalada.policy.check.messages import bounds as _bounds
from escalada.policy.check.messages import closest
from escalada.policy.check.messages import code as _code
from escalada.policy.check.messages import kind_of as _kind_of
from escalada.policy.check.messages import last as _last
from escalada.policy.check.messages import loc as _loc
from escalada.policy.check.messages import show as _show
from escalada.policy.fields import CONDITION_FIELDS
from escalada.policy.fields import CONDITION_OPS
from escalada.policy.load.documents import Document
from escalada.policy.load.documents import Finding
from escalada.policy.model import API_VERSION
from escalada.policy.model import KINDS
from escalada.policy.regex import HINT as REGEX_HINT
from escalada.policy.regex import RegexError
from escalada.policy.regex import compile_regex
from escalada.schemas import kind_schema
from escalada.schemas.defs import CLOSED_DAY_PATTERN
from escalada.schemas.defs import COMBINATORS
from escalada.schemas.defs import DATE_PATTERN
from escalada.schemas.defs import DATE_TIME_PATTERN
from escalada.schemas.defs import PYTHON_REGEX

LITERAL_SECRET_HINT = "write {env: NAME} or {file: PATH}; never commit a token"
QUOTE_HINT = "YAML reads unquoted yes/no/on/off and digits as true/false and numbers; quote text"
_LABELS = {
    "Name": "name",
    "Duration": "duration",
    "Date": "date (YYYY-MM-DD)",
    "ClosedDay": "date (YYYY-MM-DD, or MM-DD for every year)",
    "DateTime": "date and time",
    "TimeRange": "time range",
    "DaySpec": "day",
    "ConditionField": "condition field",
}
FORMATS = FormatChecker(formats=())


def _is_date(value: object) -> bool:
    return not isinstance(value, str) or bool(
        re.match(DATE_PATTERN, value) and date.fromisoformat(value)
    )


def _is_closed_day(value: object) -> bool:
    if not isinstance(value, str) or len(value) != 5:
        return _is_date(value)
    return bool(re.match(CLOSED_DAY_PATTERN, value) and date.fromisoformat(f"2024-{value}"))


def _is_date_time(value: object) -> bool:
    return not isinstance(value, str) or bool(
        re.match(DATE_TIME_PATTERN, value) and from_iso(value)
    )


def _is_regex(value: object) -> bool:
    return not isinstance(value, str) or bool(compile_regex(value))


FORMATS.checks("date", raises=ValueError)(_is_date)
FORMATS.checks("date-time", raises=ValueError)(_is_date_time)
FORMATS.checks("closed-day", raises=ValueError)(_is_closed_day)
FORMATS.checks(PYTHON_REGEX, raises=RegexError)(_is_regex)

_VALIDATORS: dict[str, Draft202012Validator] = {}


def validator(kind: str) -> Draft202012Validator:
    """The validator of one kind, built once per process."""
    found = _VALIDATORS.get(kind)
    if found is None:
        found = _VALIDATORS[kind] = Draft202012Validator(kind_schema(kind), format_checker=FORMATS)
    return found


def check_document(document: Document) -> list[Finding]:
    """Schema findings for one document: its envelope, then its kind's schema."""
    data = document.data
    kind = data.get("kind")
    if kind not in KINDS:
        return _envelope(document)
    findings: dict[tuple[str, str, str], Finding] = {}
    for error in validator(kind).iter_errors(data):
        for finding in _translate(error, document):
            findings.setdefault((finding.code, str(finding.where), finding.message), finding)
    return list(findings.values())


def _envelope(document: Document) -> list[Finding]:
    """A document whose kind is missing or unknown: say only that (and apiVersion)."""
    data = document.data
    findings = []
    if "apiVersion" in data and data["apiVersion"] != API_VERSION:
        findings.append(_api_version(document, data["apiVersion"]))
    elif "apiVersion" not in data:
        findings.append(
            _error(
                "schema",
                document,
                (),
                "missing required key `apiVersion`",
                f"start the document with apiVersion: {API_VERSION}",
            )
        )
    if "kind" not in data:
        findings.append(
            _error(
                "schema",
                document,
                (),
                "missing required key `kind`",
                "add kind: one of " + ", ".join(KINDS),
            )
        )
    else:
        kind = data["kind"]
        guess = closest(kind, KINDS) if isinstance(kind, str) else None
        findings.append(
            _error(
                "unknown-kind",
                document,
                ("kind",),
                f"unknown kind `{_show(kind)}`",
                (f"did you mean `{guess}`? " if guess else "") + "kinds: " + ", ".join(KINDS),
            )
        )
    return findings


def _api_version(document: Document, value: object) -> Finding:
    return _error(
        "unknown-api-version",
        document,
        ("apiVersion",),
        f"apiVersion `{_show(value)}` is not supported",
        f"write apiVersion: {API_VERSION}",
    )


def _translate(
    error: ValidationError, doc: Document, outer_hint: str | None = None
) -> Iterable[Finding]:
    """One jsonschema error as findings (several for several unknown keys)."""
    keyword = error.validator
    path = tuple(error.absolute_path)
    schema = error.schema if isinstance(error.schema, dict) else {}
    title = schema.get("title")
    value = error.instance
    loc = _loc(path)
    hint = schema.get("description", outer_hint)
    code = _code(doc.kind, path, str(keyword), title, error.validator_value)
    if "propertyNames" in error.relative_schema_path:
        label = _LABELS.get(title or "", "key")
        yield _error(
            code,
            doc,
            (*path, value),
            f"`{_show(value)}` is not a valid {label} (a key in {loc})",
            hint,
            key=True,
        )
    elif title == "Secret" and keyword == "type" and isinstance(value, (str, int, float)):
        yield _error("literal-secret", doc, path, f"a literal secret in {loc}", LITERAL_SECRET_HINT)
    elif keyword == "additionalProperties":
        known = list(schema.get("properties", {}))
        for key in value:
            if key not in known:
                guess = closest(key, known)
                yield _error(
                    code,
                    doc,
                    (*path, key),
                    f"unknown key `{_show(key)}` in {loc}",
                    f"did you mean `{guess}`?" if guess else "valid keys: " + ", ".join(known),
                    key=True,
                )
    elif keyword == "required":
        properties = schema.get("properties", {})
        for key in error.validator_value:
            if key not in value:
                described = properties.get(key, {}).get("description", hint)
                if doc.kind == "Desk" and (*path, key) == ("spec", "url"):
                    # at the type that needs it, where the desk checks report it
                    yield _error(
                        "desk-url",
                        doc,
                        ("spec", "type"),
                        f"missing required key `url` in {loc}",
                        described,
                        key=True,
                    )
                    continue
                yield _error(
                    code,
                    doc,
                    path,
                    f"missing required key `{key}` in {loc}",
                    described,
                    key=True,
                )
    elif keyword == "type":
        wanted = error.validator_value
        wanted = [wanted] if isinstance(wanted, str) else wanted
        expected = " or ".join(_TYPES.get(t, t) for t in wanted)
        if "string" in wanted and isinstance(value, (bool, int, float)):
            hint = f'{QUOTE_HINT}, e.g. {_last(path)}: "NO"'
        elif wanted == ["boolean"] and isinstance(value, str):
            hint = f"write true or false without quotes, e.g. {_last(path)}: true"
        yield _error(code, doc, path, f"{loc} must be {expected}, not {_kind_of(value)}", hint)
    elif keyword == "const" and path == ("apiVersion",):
        yield _api_version(doc, value)
    elif keyword in ("enum", "const"):
        choices = error.validator_value if keyword == "enum" else [error.validator_value]
        guess = closest(value, [str(c) for c in choices]) if isinstance(value, str) else None
        yield _error(
            code,
            doc,
            path,
            f"`{_show(value)}` is not {_a_valid(path)}",
            (f"did you mean `{guess}`? " if guess else "")
            + "use one of: "
            + ", ".join(str(c) for c in choices),
        )
    elif keyword in ("pattern", "format"):
        yield _pattern(error, doc, path, title, hint, code)
    elif keyword in ("oneOf", "anyOf"):
        yield from _alternatives(error, doc, path, schema, code)
    elif keyword == "uniqueItems" and isinstance(value, list):
        again = next((i for i, item in enumerate(value) if item in value[:i]), len(value) - 1)
        yield _error(
            code,
            doc,
            (*path, again),
            f"{loc} lists `{_show(value[again])}` more than once",
            hint,
        )
    elif keyword == "not":
        both = (
            error.validator_value.get("required")
            if isinstance(error.validator_value, dict)
            else None
        )
        if both and isinstance(value, dict):
            named = " and ".join(f"`{key}`" for key in both)
            yield _error(code, doc, path, f"{loc} has both {named}; keep one", hint)
        else:
            yield _error(code, doc, path, f"`{_show(value)}` is not allowed as {loc}", hint)
    else:
        yield _error(
            code,
            doc,
            path,
            _bounds(str(keyword), error.validator_value, error.instance, loc, error.message),
            hint,
        )


def _pattern(
    error: ValidationError,
    doc: Document,
    path: tuple[Any, ...],
    title: Any,
    hint: str | None,
    code: str,
) -> Finding:
    value = error.instance
    loc = _loc(path)
    if title == "Duration":
        return _error(code, doc, path, f"`{_show(value)}` is not a duration ({loc})", hint)
    if error.validator_value == PYTHON_REGEX:
        try:
            compile_regex(value)
        except RegexError as problem:
            return _error(
                code,
                doc,
                path,
                f"{loc} is not a valid regular expression: {problem}",
                REGEX_HINT + "; `(?i)` ignores case",
            )
    if title == "ConditionField":
        guess = closest(value, CONDITION_FIELDS)
        if guess:
            hint = f"did you mean `{guess}`? {hint}"
    if title in _LABELS:
        return _error(
            code, doc, path, f"`{_show(value)}` is not a valid {_LABELS[title]} ({loc})", hint
        )
    return _error(code, doc, path, f"`{_show(value)}` is not {_a_valid(path)}", hint)


def _alternatives(
    error: ValidationError,
    doc: Document,
    path: tuple[Any, ...],
    schema: dict[str, Any],
    code: str,
) -> Iterable[Finding]:
    value = error.instance
    loc = _loc(path)
    branches = error.validator_value
    if schema.get("title") == "Condition" or all(
        isinstance(b, dict) and set(b) == {"required"} for b in branches
    ):
        if not isinstance(value, dict):
            return  # not a mapping: the `type` error says so, once
    if schema.get("title") == "Condition":
        if set(value) <= set(schema.get("properties", {})):  # typos are reported on their own
            yield _condition(doc, path, value, schema.get("description"))
        return
    if all(isinstance(b, dict) and set(b) == {"required"} for b in branches):
        keys = [key for branch in branches for key in branch["required"]]
        named = ", ".join(f"`{key}`" for key in keys)
        present = [key for key in keys if key in value]
        properties = schema.get("properties", {})
        hint = "; ".join(
            f"{k}: {properties[k]['description'].rstrip('.')}" for k in keys if k in properties
        )
        if error.validator == "anyOf":
            message = f"{loc} needs one of {named}"
        elif present:
            message = f"{loc} has {' and '.join(f'`{key}`' for key in present)}; keep one"
        else:
            message = f"{loc} needs exactly one of {named}"
        yield _error("schema", doc, path, message, hint or None)
        return
    # Report the alternative whose type fits the value (a list, or a single text).
    fitting: dict[int, list[ValidationError]] = {}
    misfit: set[int] = set()
    for sub in error.context or ():
        branch = sub.relative_schema_path[0]
        if not sub.relative_path and sub.validator in ("type", "const", "enum"):
            misfit.add(branch)
        fitting.setdefault(branch, []).append(sub)
    candidates = [branch for branch in fitting if branch not in misfit]
    if len(candidates) == 1:
        for sub in fitting[candidates[0]]:
            yield from _translate(sub, doc, schema.get("description"))
        return
    yield _error(
        code, doc, path, f"`{_show(value)}` is not valid for {loc}", schema.get("description")
    )


def _condition(doc: Document, path: tuple[Any, ...], value: dict[str, Any], hint: Any) -> Finding:
    loc = _loc(path)
    operators = [key for key in CONDITION_OPS if key in value]
    combinator = next((key for key in COMBINATORS if key in value), None)
    if not value:
        message = f"{loc} is an empty condition"
    elif combinator and len(value) > 1:
        others = ", ".join(f"`{key}`" for key in value if key != combinator)
        message = f"`{combinator}` must stand alone in a condition ({loc} also has {others})"
        hint = (
            f"put the other tests inside it: {{{combinator}: [{{field: ..., equals: ...}}, ...]}}"
        )
    elif "field" in value and not operators:
        message = f"the condition on `{_show(value['field'])}` in {loc} has no operator"
        hint = "add one of: " + ", ".join(CONDITION_OPS)
    elif "field" in value:
        named = ", ".join(f"`{key}`" for key in operators)
        message = f"{loc} has several operators ({named}); a condition has exactly one"
        hint = "combine several tests with all: [...] or any: [...]"
    else:
        message = f"operator `{operators[0]}` in {loc} needs a `field`"
        hint = f"write {{field: priority, {operators[0]}: ...}}"
    return _error("schema", doc, path, message, hint)


def _error(
    code: str, doc: Document, path: tuple[Any, ...], message: str, hint: Any, *, key: bool = False
) -> Finding:
    where = (doc.where_key(*path) if key else doc.where(*path)) if path else doc.start
    return Finding("error", code, where, message, hint if isinstance(hint, str) else None)
