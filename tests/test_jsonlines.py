"""The JSON Lines reader (ticket files, audit logs): only regular files or stdin, and every
bad line one EscaladaError at FILE:LINE:COL. Each case once exited 3 or hung (issue 12):
5,000 nested brackets (RecursionError), a 5,000-digit number (ValueError from the digit
limit), a FIFO (blocked until a writer came), /dev/zero (read forever), a byte that is not
UTF-8 in the middle of an audit log (UnicodeDecodeError while streaming)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest

from escalada.errors import EscaladaError
from escalada.jsonlines import loads
from escalada.jsonlines import read_lines

HINT = "one JSON object per line"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("[" * 5000 + "]" * 5000, r"t.jsonl:4:1: the line is nested too deeply to read"),
        ('{"n": ' + "9" * 5000 + "}", r"t.jsonl:4:1: not valid JSON: Exceeds the limit \(4300"),
        ('{"n": 1', r"t.jsonl:4:8: not valid JSON: Expecting ',' delimiter"),
    ],
)
def test_a_line_that_cannot_be_read_is_one_clear_error(line: str, message: str):
    with pytest.raises(EscaladaError, match=message) as caught:
        loads(line, "t.jsonl:4", hint=HINT)
    assert "\n" not in str(caught.value) and str(caught.value).endswith(f"({HINT})")


def test_lines_come_with_where_they_are_and_blank_ones_are_skipped(tmp_path: Path):
    path = tmp_path / "t.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"a": 1}\n\n  \n{"b": 2}\n')
    assert list(read_lines(path, "ticket file")) == [
        (f"{path}:1", '{"a": 1}\n'),
        (f"{path}:4", '{"b": 2}\n'),
    ]


def test_a_line_that_is_not_utf8_names_its_line_and_column(tmp_path: Path):
    path = tmp_path / "audit.jsonl"
    path.write_bytes(b'{"a": 1}\n{"b": "\xff"}\n')
    lines = read_lines(path, "audit log")
    assert next(lines)[1] == '{"a": 1}\n'
    with pytest.raises(EscaladaError, match=rf"^{path}:2:8: not UTF-8 text \(byte 0xff\)"):
        next(lines)


def test_a_fifo_a_device_and_a_directory_are_refused_without_reading(tmp_path: Path):
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came
    with pytest.raises(EscaladaError, match=r"cannot read ticket file .*: not a regular file"):
        list(read_lines(fifo, "ticket file"))
    with pytest.raises(EscaladaError, match=r"audit log /dev/zero: not a regular file \(it is a"):
        list(read_lines("/dev/zero", "audit log"))  # would read forever
    with pytest.raises(EscaladaError, match="it is a directory"):
        list(read_lines(tmp_path, "ticket file"))


def test_a_missing_file_says_so_with_the_hint_given(tmp_path: Path):
    with pytest.raises(EscaladaError, match=r"ticket file .*nope does not exist \(export one\)"):
        list(read_lines(tmp_path / "nope", "ticket file", missing="export one"))


def test_dash_reads_stdin_as_bytes(monkeypatch: pytest.MonkeyPatch):
    stdin = io.TextIOWrapper(io.BytesIO(b'{"a": 1}\n\xfe\n'), encoding="utf-8")
    monkeypatch.setattr("sys.stdin", stdin)
    lines = read_lines("-", "ticket file")
    assert next(lines) == ("<stdin>:1", '{"a": 1}\n')
    with pytest.raises(EscaladaError, match=r"^<stdin>:2:1: not UTF-8 text"):
        next(lines)
