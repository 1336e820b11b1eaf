"""JSON Lines files (ticket files from `escalada tickets export`, audit logs from `escalada
run --audit`), read one line at a time: only a regular file or stdin (a FIFO would block
until a writer came, `/dev/zero` would read forever), each line decoded and parsed on its
own, and whatever is wrong with a line one EscaladaError at FILE:LINE(:COL) that says how
to fix it. Nothing is held in memory but the current line.

The one reader of such files: `escalada.ticket_file` (simulate) and `escalada.report.inputs`
(report) both read through it."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from escalada.errors import EscaladaError
from escalada.regularfile import open_regular


def read_lines(
    path: str | Path, what: str, *, missing: str = "check the path"
) -> Iterator[tuple[str, str]]:
    """(`FILE:LINE`, text) for each line of the file that is not blank; `-` is stdin.
    `what` names the file in errors ("ticket file", "audit log"), `missing` is the hint
    when it does not exist."""
    if str(path) == "-":
        yield from _lines(sys.stdin.buffer, "<stdin>")
        return
    try:
        stream = open_regular(path)
    except FileNotFoundError:
        raise EscaladaError(f"{what} {path} does not exist", hint=missing) from None
    except OSError as error:
        raise EscaladaError(f"cannot read {what} {path}: {error.strerror or error}") from None
    with stream:
        try:
            yield from _lines(stream, str(path))
        except OSError as error:  # a read error mid-file (EIO, a vanished network mount)
            raise EscaladaError(f"cannot read {what} {path}: {error.strerror or error}") from None


def _lines(stream: Any, source: str) -> Iterator[tuple[str, str]]:
    for number, raw in enumerate(stream, 1):
        where = f"{source}:{number}"
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise EscaladaError(
                f"not UTF-8 text (byte 0x{raw[error.start]:02x})",
                where=f"{where}:{error.start + 1}",
                hint="save the file as UTF-8",
            ) from None
        if line.strip():
            yield where, line.removeprefix("\ufeff") if number == 1 else line


def loads(line: str, where: str, *, hint: str) -> Any:
    """One line's JSON value; an EscaladaError at `where` when it is not valid JSON, nested
    too deeply for the parser, or holds a number Python refuses to read (over 4,300 digits)."""
    try:
        return json.loads(line)
    except json.JSONDecodeError as error:
        raise EscaladaError(
            f"not valid JSON: {error.msg}", where=f"{where}:{error.colno}", hint=hint
        ) from None
    except RecursionError:
        raise EscaladaError(
            "the line is nested too deeply to read", where=f"{where}:1", hint=hint
        ) from None
    except ValueError as error:  # int("9" * 5000): the interpreter's digit limit
        text = str(error).split(";")[0]
        raise EscaladaError(f"not valid JSON: {text}", where=f"{where}:1", hint=hint) from None
