"""Build plain data and positions from libyaml's events, refusing hostile input.

`_Builder` reads the parser's event stream itself instead of PyYAML's composer
and constructor, so:

- nothing but mappings, lists, strings, numbers, booleans and null comes out
  (tags that build objects, or that YAML does not define, are refused);
- nesting deeper than MAX_DEPTH abandons the file at once: libyaml's C composer
  recurses and crashes on ~100k nested brackets, and its scanner is quadratic in
  flow nesting, so reading on would take minutes;
- aliases are counted while building: past MAX_ALIASES aliases, or expansion past
  MAX_ALIAS_NODES nodes, the document is refused (a billion-laughs file stops
  after a few dozen events and is never expanded);
- duplicate keys are refused at the second key;
- timestamps stay strings, so JSON Schema `format: date` applies to them.

Scalars resolve as in PyYAML's SafeLoader (YAML 1.1: `yes`/`no` are booleans);
mapping keys always stay the text written."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from typing import cast

import yaml
from yaml.resolver import Resolver

from escalada.policy.load.documents import Document
from escalada.policy.load.documents import Finding
from escalada.policy.load.documents import Path
from escalada.policy.load.scalars import SCALAR_TAGS as _SCALAR_TAGS
from escalada.policy.load.scalars import YAML_TAG as _Y
from escalada.policy.load.scalars import construct as _construct
from escalada.policy.model import Where

try:  # libyaml; PyYAML's pure-Python parser produces the same events, only slower
    from yaml._yaml import CParser as _Parser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    from yaml.loader import BaseLoader as _Parser  # type: ignore[assignment,unused-ignore]

MAX_DEPTH = 64
MAX_ALIASES = 100
MAX_ALIAS_NODES = 10_000

_IMPLICIT = Resolver.yaml_implicit_resolvers


def build_documents(text: str, file: str) -> tuple[list[Document], list[Finding]]:
    """Every document of one YAML text, and a finding for each one refused.

    A syntax error ends the file; the documents before it are kept."""
    builder = _Builder(text, file)
    try:
        builder.run()
    except yaml.YAMLError as error:
        builder.findings.append(_syntax_finding(error, text, file))
    return builder.documents, builder.findings


class _Refusal(Exception):
    """Stops building a document; `fatal` also stops reading its file."""

    def __init__(self, finding: Finding, *, fatal: bool = False) -> None:
        super().__init__(finding.message)
        self.finding = finding
        self.fatal = fatal


class _Marks(Mapping[Path, Where]):
    """Positions kept as the parser's marks; a `Where` is made only when asked."""

    __slots__ = ("_file", "_marks")

    def __init__(self, file: str, marks: dict[Path, Any]) -> None:
        self._file = file
        self._marks = marks

    def __getitem__(self, path: Path) -> Where:
        mark = self._marks[path]
        return Where(self._file, mark.line + 1, mark.column + 1)

    def __contains__(self, path: object) -> bool:
        return path in self._marks

    def __iter__(self) -> Iterator[Path]:
        return iter(self._marks)

    def __len__(self) -> int:
        return len(self._marks)

    def __repr__(self) -> str:
        return f"<{len(self._marks)} positions in {self._file}>"


@dataclass(frozen=True, slots=True)
class _Anchor:
    value: Any
    path: Path
    size: int  # nodes, aliases expanded
    marks: tuple[int, int]  # slice of _Builder.marks written while building it
    key_marks: tuple[int, int]


class _Builder:
    """Builds documents from the parser's events (see the module docstring)."""

    def __init__(self, text: str, file: str) -> None:
        self.parser = _Parser(text)
        self.file = file
        self.documents: list[Document] = []
        self.findings: list[Finding] = []

    def _get_event(self) -> Callable[[], yaml.Event]:
        """The parser's next event; typed Event | None, None only once the stream has
        ended, which the builder never reads past."""
        return cast("Callable[[], yaml.Event]", self.parser.get_event)

    def run(self) -> None:
        get = self._get_event()
        get()  # StreamStartEvent
        index = -1
        while not isinstance(get(), yaml.StreamEndEvent):  # a DocumentStartEvent
            index += 1
            self._reset()
            root = get()
            try:
                data, _ = self._node(root, (), 1)
            except _Refusal as refusal:
                self.findings.append(refusal.finding)
                if refusal.fatal:
                    return
                while not isinstance(get(), yaml.DocumentEndEvent):
                    pass
                continue
            get()  # DocumentEndEvent
            if self.refused:
                continue
            if data is None:
                continue  # an empty document
            if not isinstance(data, dict):
                self.findings.append(
                    _finding(
                        "not-a-mapping",
                        self._where(root.start_mark),
                        f"a policy document is a mapping, not {_a(data)}",
                        "start each document with apiVersion: escalada/v1, kind, metadata and spec",
                    )
                )
                continue
            start = self._where(root.start_mark)
            marks = dict(self.marks)
            self.documents.append(
                Document(
                    file=self.file,
                    index=index,
                    data=data,
                    start=start,
                    marks=_Marks(self.file, marks),
                    key_marks=_Marks(self.file, dict(self.key_marks)),
                )
            )

    def _reset(self) -> None:
        self.marks: list[tuple[Path, Any]] = []
        self.key_marks: list[tuple[Path, Any]] = []
        self.anchors: dict[str, _Anchor] = {}
        self.aliases = 0
        self.expanded = 0
        self.refused = False

    def _where(self, mark: Any) -> Where:
        return Where(self.file, mark.line + 1, mark.column + 1)

    def _refuse(self, code: str, mark: Any, message: str, hint: str | None) -> None:
        self.refused = True
        self.findings.append(_finding(code, self._where(mark), message, hint))

    def _node(self, event: Any, path: Path, depth: int) -> tuple[Any, int]:
        """Build the node that starts with `event`; return its value and size."""
        kind = type(event)
        if kind is yaml.AliasEvent:
            return self._alias(event, path)
        if depth > MAX_DEPTH:
            raise _Refusal(
                _finding(
                    "too-deep",
                    self._where(event.start_mark),
                    f"nesting deeper than {MAX_DEPTH} levels; the rest of the file is not read",
                    "policies are shallow; this looks like generated or hostile input",
                ),
                fatal=True,
            )
        marks_from, keys_from = len(self.marks), len(self.key_marks)
        self.marks.append((path, event.start_mark))
        if kind is yaml.ScalarEvent:
            value, size = self._scalar(event), 1
        elif kind is yaml.MappingStartEvent:
            value, size = self._mapping(event, path, depth)
        else:
            value, size = self._sequence(event, path, depth)
        if event.anchor is not None:
            self.anchors[event.anchor] = _Anchor(
                value,
                path,
                size,
                (marks_from, len(self.marks)),
                (keys_from, len(self.key_marks)),
            )
        return value, size

    def _alias(self, event: Any, path: Path) -> tuple[Any, int]:
        anchor = self.anchors.get(event.anchor)
        if anchor is None:
            raise _Refusal(
                _finding(
                    "yaml-syntax",
                    self._where(event.start_mark),
                    f"alias *{event.anchor} refers to no anchor before it in this document",
                    f"define &{event.anchor} earlier in the same document",
                )
            )
        self.aliases += 1
        self.expanded += anchor.size
        if self.aliases > MAX_ALIASES or self.expanded > MAX_ALIAS_NODES:
            raise _Refusal(
                _finding(
                    "alias-limit",
                    self._where(event.start_mark),
                    f"aliases expand past the limit ({MAX_ALIASES} aliases, "
                    f"{MAX_ALIAS_NODES} nodes); the document is refused",
                    "write the values out, or use fewer anchors and aliases",
                )
            )
        self._copy_marks(anchor.path, path, self.marks, *anchor.marks)
        self._copy_marks(anchor.path, path, self.key_marks, *anchor.key_marks)
        # The value is shared, not copied: loaded data is read, never modified.
        return anchor.value, anchor.size

    @staticmethod
    def _copy_marks(
        old: Path, new: Path, marks: list[tuple[Path, Any]], start: int, end: int
    ) -> None:
        cut = len(old)
        marks.extend([(new + path[cut:], mark) for path, mark in marks[start:end]])

    def _scalar(self, event: Any) -> Any:
        value: str = event.value
        tag = event.tag
        if tag is None:
            if not event.implicit[0]:
                return value  # quoted
            for resolved, pattern in _IMPLICIT.get(value[:1], ()):
                if pattern.match(value):
                    return _construct(resolved, value)
            return value
        if tag == "!":
            return value
        if tag in _SCALAR_TAGS:
            return _construct(tag, value)
        self._unsafe_tag(event)
        return value

    def _unsafe_tag(self, event: Any) -> None:
        self._refuse(
            "unsafe-tag",
            event.start_mark,
            f"tag `{_short_tag(event.tag)}` is not allowed",
            "policies are plain data: mappings, lists, strings, numbers, booleans; remove the tag",
        )

    def _sequence(self, start: Any, path: Path, depth: int) -> tuple[list[Any], int]:
        if start.tag not in (None, "!", _Y + "seq"):
            self._unsafe_tag(start)
        get = self._get_event()
        items: list[Any] = []
        size = 1
        event = get()
        while type(event) is not yaml.SequenceEndEvent:
            value, count = self._node(event, (*path, len(items)), depth + 1)
            items.append(value)
            size += count
            event = get()
        return items, size

    def _mapping(self, start: Any, path: Path, depth: int) -> tuple[dict[str, Any], int]:
        if start.tag not in (None, "!", _Y + "map"):
            self._unsafe_tag(start)
        get = self._get_event()
        result: dict[str, Any] = {}
        first: dict[str, Any] = {}
        merges: list[tuple[Any, Any, tuple[int, int]]] = []
        size = 1
        event = get()
        while type(event) is not yaml.MappingEndEvent:
            if type(event) is not yaml.ScalarEvent:
                self._refuse(
                    "bad-key",
                    event.start_mark,
                    "a mapping key must be a plain name, not a list, mapping or alias",
                    "write the key as a string",
                )
                self._node(event, (*path, "?"), depth + 1)
                self._node(get(), (*path, "?"), depth + 1)
                event = get()
                continue
            key: str = event.value
            if key == "<<" and event.tag is None and event.implicit[0]:
                starts = (len(self.marks), len(self.key_marks))
                value, count = self._node(get(), (*path, "<<"), depth + 1)
                merges.append((event, value, starts))
                size += count
                event = get()
                continue
            if event.tag is not None and event.tag != "!" and event.tag not in _SCALAR_TAGS:
                self._unsafe_tag(event)
            if key in first:
                mark = first[key]
                self._refuse(
                    "duplicate-key",
                    event.start_mark,
                    f"duplicate key `{key}` (first at line {mark.line + 1}, "
                    f"column {mark.column + 1})",
                    "a key may appear once per mapping; remove or merge one of them",
                )
            first[key] = event.start_mark
            self.key_marks.append(((*path, key), event.start_mark))
            value, count = self._node(get(), (*path, key), depth + 1)
            result[key] = value
            size += count
            event = get()
        for event, value, starts in merges:
            self._merge(event, result, value, path, starts)
        return result, size

    def _merge(
        self, event: Any, result: dict[str, Any], value: Any, path: Path, starts: tuple[int, int]
    ) -> None:
        """`<<: *defaults` or `<<: [*a, *b]`: keys written here win, then earlier sources."""
        sources = [(value, (*path, "<<"))]
        if isinstance(value, list):
            sources = [(item, (*path, "<<", i)) for i, item in enumerate(value)]
        for source, prefix in sources:
            if not isinstance(source, dict):
                self._refuse(
                    "yaml-syntax",
                    event.start_mark,
                    "`<<` merges a mapping or a list of mappings",
                    "write `<<: *anchor` where the anchor is a mapping",
                )
                return
            added = {key for key in source if key not in result}
            for key in source:
                if key in added:
                    result[key] = source[key]
            cut = len(prefix)
            for marks, start in zip((self.marks, self.key_marks), starts, strict=True):
                marks.extend(
                    [
                        ((*path, *p[cut:]), mark)
                        for p, mark in marks[start:]
                        if len(p) > cut and p[:cut] == prefix and p[cut] in added
                    ]
                )


def _short_tag(tag: str) -> str:
    return "!!" + tag[len(_Y) :] if tag.startswith(_Y) else tag


def _a(value: Any) -> str:
    if isinstance(value, list):
        return "a list"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, (int, float)):
        return "a number"
    return "a string"


def _finding(code: str, where: Where, message: str, hint: str | None) -> Finding:
    return Finding("error", code, where, message, hint)


def _syntax_finding(error: yaml.YAMLError, text: str, file: str) -> Finding:
    if isinstance(error, yaml.MarkedYAMLError) and error.problem_mark is not None:
        mark = error.problem_mark
        problem = error.problem or "invalid YAML"
        if "maximum nesting depth" in problem:
            # libyaml >= 0.2.5 as bundled with PyYAML 6.0.4 caps nesting itself, and
            # its scanner runs ahead of our own MAX_DEPTH check in flow collections.
            return _finding(
                "too-deep",
                Where(file, mark.line + 1, mark.column + 1),
                f"nesting deeper than {MAX_DEPTH} levels; the rest of the file is not read",
                "policies are shallow; this looks like generated or hostile input",
            )
        if error.context:
            problem += f" ({error.context}"
            if error.context_mark is not None:
                problem += f" at line {error.context_mark.line + 1}"
            problem += ")"
        return _finding(
            "yaml-syntax",
            Where(file, mark.line + 1, mark.column + 1),
            problem,
            "fix the YAML syntax at this position",
        )
    if isinstance(error, yaml.reader.ReaderError):
        return _finding(
            "yaml-syntax",
            byte_where(file, text.encode("utf-8", "surrogatepass"), error.position),
            f"character U+{error.character:04X} is not allowed in YAML ({error.reason})",
            "remove control characters from the file",
        )
    return _finding("yaml-syntax", Where(file, 1, 1), str(error), None)


def byte_where(file: str, data: bytes, offset: int) -> Where:
    """The line and column (in characters) of a byte offset into UTF-8 `data`."""
    offset = max(0, min(offset, len(data)))
    line_start = data.rfind(b"\n", 0, offset) + 1
    column = len(data[line_start:offset].decode("utf-8", "replace")) + 1
    return Where(file, data.count(b"\n", 0, offset) + 1, column)
