"""Read a normalized ticket written by a person (YAML or JSON, for `explain` and
`PolicyTest`) into `escalada.ticket.Ticket`, strictly.

Strict means: an unknown field, a timestamp without a UTC offset, a status or
priority the policy does not know, or a value of the wrong type is one
EscaladaError that names the field, where it is, and how to fix it. A test
that silently ignores a misspelt `respondd:` proves nothing.

When the ticket has no `escalation` mapping, its state is read from
escalada's marker tags (`escalada-critical-outage-2`, ...), as the runner does.
"""

from __future__ import annotations

import codecs
import difflib
import json
import sys
from collections.abc import Mapping
from datetime import date
from datetime import datetime
from typing import Any
from typing import TextIO

import yaml

from escalada import marker
from escalada.errors import EscaladaError
from escalada.instants import from_iso
from escalada.instants import supported
from escalada.instants import unsupported_text
from escalada.policy.model import Policy
from escalada.regularfile import read_regular
from escalada.regularfile import size_text
from escalada.ticket import STATUSES
from escalada.ticket import EscalationState
from escalada.ticket import Requester
from escalada.ticket import StatusChange
from escalada.ticket import Ticket

MAX_TICKET_BYTES = 1024 * 1024

TICKET_FIELDS = (
    "desk",
    "key",
    "url",
    "title",
    "description",
    "status",
    "priority",
    "impact",
    "urgency",
    "created",
    "updated",
    "responded",
    "resolved",
    "team",
    "assignee",
    "tags",
    "requester",
    "fields",
    "escalation",
    "latest_comment",
    "revision",
    "status_history",
)
REQUESTER_FIELDS = ("organization", "vip")
ESCALATION_FIELDS = ("path", "level", "since", "updated", "asked", "pending", "history", "policy")
STATUS_CHANGE_FIELDS = ("status", "since")
DEFAULT_DESK = "file"

Marks = Mapping[str, str]  # dotted field path -> "file:line:col"


class _Reader:
    def __init__(self, source: str, marks: Marks | None, policy: Policy | None) -> None:
        self.source = source
        self.marks = marks or {}
        self.policy = policy

    def fail(self, field: str, problem: str, hint: str | None = None) -> EscaladaError:
        where = self.marks.get(field) or self._nearest(field) or self.source
        return EscaladaError(f"ticket field {field!r}: {problem}", where=where, hint=hint)

    def _nearest(self, field: str) -> str | None:
        while "." in field:
            field = field.rsplit(".", 1)[0]
            if field in self.marks:
                return self.marks[field]
        return self.marks.get("")

    def mapping(self, field: str, value: Any, allowed: tuple[str, ...]) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(field or "ticket", f"must be a mapping, not {_kind(value)}")
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                name = f"{field}.{key}" if field else str(key)
                close = difflib.get_close_matches(str(key), allowed, n=1)
                hint = f"did you mean {close[0]!r}?" if close else f"known: {', '.join(allowed)}"
                raise self.fail(name, "unknown field", hint)
        return value

    def text(self, field: str, value: Any, *, required: bool = False) -> str | None:
        if value is None:
            if required:
                raise self.fail(field, "is required", "write it as a string")
            return None
        if isinstance(value, bool) or not isinstance(value, (str, int, float)):
            raise self.fail(field, f"must be a string, not {_kind(value)}")
        return str(value)

    def moment(self, field: str, value: Any, *, required: bool = False) -> datetime | None:
        if value is None:
            if required:
                raise self.fail(field, "is required", "e.g. 2026-11-23T09:40:00Z")
            return None
        hint = "write an ISO-8601 time with an offset, e.g. 2026-11-23T09:40:00Z or +01:00"
        if isinstance(value, datetime):
            moment = value
        elif isinstance(value, date):
            raise self.fail(field, f"{value.isoformat()} is a date without a time", hint)
        elif isinstance(value, str):
            moment = parse_time(value, lambda problem: self.fail(field, problem, hint))
        else:
            raise self.fail(field, f"must be a timestamp, not {_kind(value)}", hint)
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise self.fail(field, f"{moment.isoformat()} has no UTC offset", hint)
        if not supported(moment):
            raise self.fail(field, unsupported_text(moment), hint)
        return moment

    def choice(self, field: str, value: Any, allowed: tuple[str, ...] | None) -> str | None:
        text = self.text(field, value)
        if text is None or not allowed or text in allowed:
            return text
        close = difflib.get_close_matches(text, allowed, n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"one of: {', '.join(allowed)}"
        article = "an" if field[0] in "aeiou" else "a"
        source = "a status" if field == "status" else f"{article} {field} the policy defines"
        raise self.fail(field, f"{text!r} is not {source}", hint)


def parse_time(text: str, fail: Any = None) -> datetime:
    """An ISO-8601 instant with a UTC offset (`Z` allowed); ValueError otherwise."""
    try:
        moment = from_iso(text)
    except ValueError:
        problem = f"{text!r} is not an ISO-8601 time"
        raise (fail(problem) if fail else ValueError(problem)) from None
    if moment.tzinfo is None:
        problem = f"{text!r} has no UTC offset"
        raise fail(problem) if fail else ValueError(problem + ": add Z or +01:00")
    return moment


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    return {dict: "a mapping", list: "a list", bool: "a boolean", str: "a string"}.get(
        type(value), type(value).__name__
    )


def parse_ticket(
    data: Any,
    *,
    policy: Policy | None = None,
    source: str = "ticket",
    marks: Marks | None = None,
) -> Ticket:
    """A Ticket from plain data (a mapping as written); raises EscaladaError.

    With a policy, `priority`, `impact` and `urgency` must be values it knows."""
    r = _Reader(source, marks, policy)
    data = r.mapping("", data, TICKET_FIELDS)
    matrix = policy.matrix if policy is not None else None
    key = r.text("key", data.get("key"), required=True)
    created = r.moment("created", data.get("created"), required=True)
    assert key is not None and created is not None
    status = r.choice("status", data.get("status", "open"), STATUSES) or "open"
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        raise r.fail("tags", "must be a list of strings", "e.g. tags: [outage, vpn]")
    requester = _requester(r, data.get("requester"))
    fields = data.get("fields", {})
    if fields is None:
        fields = {}
    if not isinstance(fields, dict) or not all(isinstance(k, str) for k in fields):
        raise r.fail("fields", "must be a mapping of field names to values")
    if "escalation" in data:
        escalation = _escalation(r, data["escalation"])
    else:
        escalation = marker.decode(tags)
    return Ticket(
        desk=r.text("desk", data.get("desk")) or DEFAULT_DESK,
        key=key,
        title=r.text("title", data.get("title")) or "",
        created=created,
        status=status,  # type: ignore[arg-type]
        url=r.text("url", data.get("url")),
        description=r.text("description", data.get("description")) or "",
        priority=r.choice("priority", data.get("priority"), _names(matrix, "priorities")),
        impact=r.choice("impact", data.get("impact"), _names(matrix, "impact")),
        urgency=r.choice("urgency", data.get("urgency"), _names(matrix, "urgency")),
        updated=r.moment("updated", data.get("updated")),
        responded=r.moment("responded", data.get("responded")),
        resolved=r.moment("resolved", data.get("resolved")),
        team=r.text("team", data.get("team")),
        assignee=r.text("assignee", data.get("assignee")),
        tags=frozenset(tags),
        requester=requester,
        fields=dict(fields),
        escalation=escalation,
        latest_comment=r.text("latest_comment", data.get("latest_comment")),
        revision=r.text("revision", data.get("revision")),
        status_history=_status_history(r, data.get("status_history")),
    )


def _names(matrix: Any, attribute: str) -> tuple[str, ...] | None:
    if matrix is None:
        return None
    return tuple(getattr(matrix, attribute))


def _requester(r: _Reader, value: Any) -> Requester:
    if value is None:
        return Requester()
    value = r.mapping("requester", value, REQUESTER_FIELDS)
    vip = value.get("vip", False)
    if not isinstance(vip, bool):
        raise r.fail("requester.vip", f"must be true or false, not {_kind(vip)}")
    return Requester(
        organization=r.text("requester.organization", value.get("organization")), vip=vip
    )


def _escalation(r: _Reader, value: Any) -> EscalationState:
    if value is None:
        return EscalationState()
    value = r.mapping("escalation", value, ESCALATION_FIELDS)
    level = value.get("level", 0)
    if isinstance(level, bool) or not isinstance(level, int) or level < 0:
        raise r.fail("escalation.level", f"must be a whole number >= 0, not {level!r}")
    asked = value.get("asked", False)
    if not isinstance(asked, bool):
        raise r.fail("escalation.asked", "must be true or false")
    pending = value.get("pending", False)
    if not isinstance(pending, bool):
        raise r.fail("escalation.pending", "must be true or false")
    history = value.get("history", [])
    if not isinstance(history, list) or not all(isinstance(h, str) for h in history):
        raise r.fail("escalation.history", "must be a list of 'path:level' strings")
    path = r.text("escalation.path", value.get("path"))
    if path is None and level:
        raise r.fail("escalation.level", "a level needs a path", "add escalation.path")
    return EscalationState(
        path=path,
        level=level,
        since=r.moment("escalation.since", value.get("since")),
        updated=r.moment("escalation.updated", value.get("updated")),
        asked=asked,
        pending=pending,
        history=tuple(history),
        policy=r.text("escalation.policy", value.get("policy")),
    )


def _status_history(r: _Reader, value: Any) -> tuple[StatusChange, ...]:
    if value is None:
        return ()
    hint = "e.g. status_history: [{status: open, since: 2026-11-23T09:00:00Z}]"
    if not isinstance(value, list):
        raise r.fail("status_history", f"must be a list, not {_kind(value)}", hint)
    changes: list[StatusChange] = []
    for index, entry in enumerate(value):
        field = f"status_history[{index}]"
        entry = r.mapping(field, entry, STATUS_CHANGE_FIELDS)
        status = r.choice("status", entry.get("status"), STATUSES)
        if status is None:
            raise r.fail(f"{field}.status", "is required", f"one of: {', '.join(STATUSES)}")
        since = r.moment(f"{field}.since", entry.get("since"), required=True)
        assert since is not None
        if changes and since < changes[-1].since:
            raise r.fail(f"{field}.since", "is before the change above it", "oldest first")
        changes.append(StatusChange(status=status, since=since))  # type: ignore[arg-type]
    return tuple(changes)


# --- files --------------------------------------------------------------------


def load_ticket(path: str, *, policy: Policy | None = None, stdin: TextIO | None = None) -> Ticket:
    """Read a ticket from a YAML or JSON file, or from stdin when `path` is `-`."""
    if path == "-":
        return parse_ticket_text(_read_stdin(stdin), source="<stdin>", policy=policy)
    try:
        data = read_regular(path, MAX_TICKET_BYTES)
    except FileNotFoundError:
        raise EscaladaError(
            f"ticket file {path} does not exist", hint="give a YAML or JSON file, or - for stdin"
        ) from None
    except OSError as error:
        raise EscaladaError(
            f"cannot read ticket file {path}: {error.strerror or error}",
            hint="a ticket is a regular YAML or JSON file (or - for stdin)",
        ) from None
    return parse_ticket_text(_decode(data, path), source=path, policy=policy)


def _read_stdin(stdin: TextIO | None) -> str:
    """Standard input as text, refused past the size limit or when not UTF-8."""
    stream = stdin if stdin is not None else sys.stdin
    binary = getattr(stream, "buffer", None)
    if binary is None:  # a text stream given by a caller (tests)
        text = stream.read(MAX_TICKET_BYTES + 1)
        if len(text) > MAX_TICKET_BYTES:
            raise _too_large("<stdin>")
        return text
    data = binary.read(MAX_TICKET_BYTES + 1)
    if len(data) > MAX_TICKET_BYTES:
        raise _too_large("<stdin>")
    return _decode(data, "<stdin>")


def _decode(data: bytes, source: str) -> str:
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        raise EscaladaError(
            f"{source}: not UTF-8 text (byte 0x{data[error.start]:02x} at offset {error.start})",
            hint="save the ticket as UTF-8",
        ) from None


def _too_large(source: str) -> EscaladaError:
    return EscaladaError(
        f"{source}: the ticket is larger than the {size_text(MAX_TICKET_BYTES)} limit",
        hint="a ticket file holds one ticket",
    )


def parse_ticket_text(text: str, *, source: str, policy: Policy | None = None) -> Ticket:
    """Parse a ticket written as YAML or JSON (JSON is read by the YAML parser too,
    so both get file:line:col positions in errors)."""
    try:
        data, marks = _load_yaml(text, source)
    except EscaladaError:
        if not text.lstrip().startswith("{"):
            raise
        try:
            data, marks = json.loads(text), {}
        except json.JSONDecodeError as error:
            raise EscaladaError(
                f"not valid JSON: {error.msg}", where=f"{source}:{error.lineno}:{error.colno}"
            ) from None
        except RecursionError:
            raise EscaladaError("the ticket is nested too deeply to read", where=source) from None
        except ValueError as error:  # an integer of more than 4,300 digits
            raise EscaladaError(f"not valid JSON: {_first_line(error)}", where=source) from None
    return parse_ticket(data, policy=policy, source=source, marks=marks)


def _load_yaml(text: str, source: str) -> tuple[Any, dict[str, str]]:
    try:
        loader = yaml.SafeLoader(text)
    except yaml.YAMLError as error:  # the reader refuses control characters such as NUL
        raise EscaladaError(f"not valid YAML: {_first_line(error)}", where=source) from None
    try:
        node = loader.get_single_node()
        if node is None:
            raise EscaladaError(
                "the ticket file is empty", where=source, hint="write the ticket as a YAML mapping"
            )
        marks: dict[str, str] = {}
        _walk(node, "", source, marks)
        data = loader.construct_document(node)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark or error.context_mark
        where = f"{source}:{mark.line + 1}:{mark.column + 1}" if mark else source
        problem = error.problem or str(error)
        if "another document" in problem:
            problem = "expected a single document (one ticket per file), found another"
        raise EscaladaError(f"not valid YAML: {problem}", where=where) from None
    except yaml.YAMLError as error:
        raise EscaladaError(f"not valid YAML: {error}", where=source) from None
    except RecursionError:
        raise EscaladaError(
            "the ticket is nested too deeply to read",
            where=source,
            hint="a ticket is a mapping of fields a few levels deep",
        ) from None
    except (ValueError, OverflowError) as error:
        # a value YAML recognises but cannot build: 2026-02-30, an offset of +25:00,
        # an integer of more than 4,300 digits
        bad = _unbuildable(node, "") if node is not None else None
        if bad is None:
            raise EscaladaError(f"not a valid value: {_first_line(error)}", where=source) from None
        scalar, name, problem = bad
        mark = scalar.start_mark
        shown = scalar.value if len(scalar.value) <= 40 else f"{scalar.value[:40]}..."
        raise EscaladaError(
            f"{name or 'the ticket'}: {shown!r} is not a valid value ({problem})",
            where=f"{source}:{mark.line + 1}:{mark.column + 1}",
            hint="write a date and time that exists, e.g. 2026-02-28T10:00:00Z, or quote "
            "the value to keep it as text"
            if scalar.tag.endswith(":timestamp")
            else "write the value as a quoted string or a smaller number",
        ) from None
    finally:
        loader.dispose()
    return data, marks


def _unbuildable(node: yaml.Node, path: str) -> tuple[yaml.ScalarNode, str, str] | None:
    """The first scalar, in document order, that YAML resolves but Python cannot
    build, its field path and why (each scalar built alone, by a fresh constructor)."""
    if isinstance(node, yaml.ScalarNode):
        try:
            yaml.constructor.SafeConstructor().construct_object(node, deep=True)
        except (ValueError, OverflowError) as error:
            problem = _first_line(error)
            if problem.startswith("offset must be"):
                problem = "the UTC offset must be between -24:00 and +24:00"
            return node, path, problem
        return None
    if isinstance(node, yaml.MappingNode):
        children = [
            (value, f"{path}.{key.value}" if path else str(key.value)) for key, value in node.value
        ]
    elif isinstance(node, yaml.SequenceNode):
        children = [(item, f"{path}[{n}]") for n, item in enumerate(node.value)]
    else:
        return None
    for child, name in children:
        found = _unbuildable(child, name)
        if found is not None:
            return found
    return None


def _first_line(error: BaseException) -> str:
    text = str(error).split(";")[0].splitlines()
    return text[0] if text else type(error).__name__


def _walk(node: yaml.Node, path: str, source: str, marks: dict[str, str]) -> None:
    """Record where each mapping entry starts; reject duplicate keys."""
    marks.setdefault(path, f"{source}:{node.start_mark.line + 1}:{node.start_mark.column + 1}")
    if not isinstance(node, yaml.MappingNode):
        return
    seen: set[str] = set()
    for key_node, value_node in node.value:
        key = str(key_node.value)
        where = f"{source}:{key_node.start_mark.line + 1}:{key_node.start_mark.column + 1}"
        if key in seen:
            name = f"{path}.{key}" if path else key
            raise EscaladaError(
                f"ticket field {name!r} is written twice", where=where, hint="keep one"
            )
        seen.add(key)
        child = f"{path}.{key}" if path else key
        marks[child] = where
        if path.count(".") < 2:
            _walk(value_node, child, source, marks)
