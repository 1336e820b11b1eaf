"""`escalada report`'s inputs read through escalada.jsonlines: an audit log or ticket file
that is a FIFO, a device, nested too deeply, holds a number over the digit limit or a byte
that is not UTF-8 is one clear error (each once hung or exited 3, issue 12)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from escalada.errors import EscaladaError
from escalada.report.inputs import read_audit
from escalada.report.inputs import read_tickets

AUDIT = (
    '{"time": "2026-11-23T09:00:00Z", "desk": "d", "ticket": "T-1", "action": "comment",'
    ' "path": "p", "level_from": 0, "level_to": 1}\n'
)
TICKET = '{"key": "T-1", "created": "2026-11-23T09:00:00Z"}\n'


@pytest.mark.parametrize(
    ("second", "message"),
    [
        (b"[" * 5000 + b"]" * 5000 + b"\n", r":2:1: the line is nested too deeply to read"),
        (b'{"level_to": ' + b"9" * 5000 + b"}\n", r":2:1: not valid JSON: Exceeds the limit"),
        (b'{"desk": "\xff"}\n', r":2:11: not UTF-8 text \(byte 0xff\)"),
    ],
)
def test_a_bad_line_in_an_audit_log_or_ticket_file_is_one_clear_error(
    tmp_path: Path, second: bytes, message: str
):
    audit, tickets = tmp_path / "audit.jsonl", tmp_path / "tickets.jsonl"
    audit.write_bytes(AUDIT.encode() + second)
    tickets.write_bytes(TICKET.encode() + second)
    with pytest.raises(EscaladaError, match=message):
        list(read_audit([audit]))
    with pytest.raises(EscaladaError, match=message):
        list(read_tickets(tickets))


def test_a_fifo_or_a_device_is_refused_without_reading(tmp_path: Path):
    fifo = tmp_path / "audit.jsonl"
    os.mkfifo(fifo)
    with pytest.raises(EscaladaError, match=r"audit log .*: not a regular file \(it is a FIFO\)"):
        list(read_audit([fifo]))
    with pytest.raises(EscaladaError, match=r"ticket file /dev/zero: not a regular file"):
        list(read_tickets("/dev/zero"))
