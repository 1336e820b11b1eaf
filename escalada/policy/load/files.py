"""Find and read policy files, refusing oversized and non-UTF-8 files before
parsing; `escalada.policy.load.events` builds the documents safely."""

from __future__ import annotations

import codecs
import errno
import os
from collections.abc import Iterator
from collections.abc import Sequence
from dataclasses import dataclass

from escalada.policy.load.documents import Document
from escalada.policy.load.documents import Finding
from escalada.policy.load.events import build_documents
from escalada.policy.load.events import byte_where
from escalada.policy.model import Where
from escalada.regularfile import NotReadable
from escalada.regularfile import read_regular
from escalada.regularfile import size_text

MAX_FILE_BYTES = 1024 * 1024
SUFFIXES = (".yaml", ".yml")


@dataclass(frozen=True, slots=True)
class Loaded:
    """What loading a set of paths produced: every file read, the documents
    that loaded cleanly, and a finding for everything refused."""

    files: tuple[str, ...]
    documents: tuple[Document, ...]
    findings: tuple[Finding, ...]


def load_paths(
    paths: Sequence[str | os.PathLike[str]], *, max_file_bytes: int = MAX_FILE_BYTES
) -> Loaded:
    """Load every `.yaml`/`.yml` file under `paths` (files are taken as given)."""
    files, findings = policy_files(paths)
    documents: list[Document] = []
    for file in files:
        docs, found = load_file(file, max_file_bytes=max_file_bytes)
        documents.extend(docs)
        findings.extend(found)
    return Loaded(tuple(files), tuple(documents), tuple(findings))


def policy_files(paths: Sequence[str | os.PathLike[str]]) -> tuple[list[str], list[Finding]]:
    """The files to load, sorted within each directory, hidden entries skipped."""
    files: list[str] = []
    findings: list[Finding] = []
    seen: set[str] = set()
    for given in paths:
        path = os.path.normpath(os.fspath(given))
        if os.path.isdir(path):
            before = len(findings)
            walked = list(_walk(path, findings))
            found = sorted(walked, key=lambda p: p.split(os.sep))
            if not found and len(findings) == before:
                findings.append(
                    _finding(
                        "no-files",
                        Where(path, 1, 1),
                        "no .yaml or .yml files in this directory",
                        "point at the directory that holds the policy files",
                    )
                )
        elif os.path.exists(path):
            found = [path]
        else:
            found = []
            findings.append(
                _finding("unreadable", Where(path, 1, 1), "no such file or directory", None)
            )
        for file in found:
            key = os.path.realpath(file)
            if key not in seen:
                seen.add(key)
                files.append(file)
    return files, findings


def _walk(root: str, findings: list[Finding]) -> Iterator[str]:
    def unreadable(error: OSError) -> None:
        where = Where(error.filename or root, 1, 1)
        message = f"cannot read this directory: {error.strerror}"
        hint = "policy directories must be readable by the user escalada runs as"
        findings.append(_finding("unreadable", where, message, hint))

    for directory, dirs, names in os.walk(root, onerror=unreadable):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in names:
            if name.endswith(SUFFIXES) and not name.startswith("."):
                yield os.path.join(directory, name)


def load_file(
    path: str, *, max_file_bytes: int = MAX_FILE_BYTES
) -> tuple[list[Document], list[Finding]]:
    """Read one file (refusing it whole when too large or not UTF-8) and load it."""
    start = Where(path, 1, 1)
    try:
        data = read_regular(path, max_file_bytes)
    except NotReadable as error:
        if error.errno == errno.EFBIG:
            return [], [
                _finding(
                    "file-too-large",
                    start,
                    f"file is larger than the {size_text(max_file_bytes)} limit",
                    "split the policy into several files; large files are refused before parsing",
                )
            ]
        return [], [
            _finding(
                "unreadable",
                start,
                f"cannot read the file: {error.strerror}",
                "policy files are regular files (not FIFOs, devices or directories)",
            )
        ]
    except OSError as error:
        return [], [_finding("unreadable", start, f"cannot read the file: {error.strerror}", None)]
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        return [], [
            _finding(
                "not-utf8",
                byte_where(path, data, error.start),
                f"not UTF-8 text (byte 0x{data[error.start]:02x})",
                "save the file as UTF-8",
            )
        ]
    return load_text(text, path)


def load_text(text: str, file: str) -> tuple[list[Document], list[Finding]]:
    """Load every document of one YAML text; `file` names it in positions."""
    return build_documents(text, file)


def _finding(code: str, where: Where, message: str, hint: str | None) -> Finding:
    return Finding("error", code, where, message, hint)
