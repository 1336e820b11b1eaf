"""The audit log: one JSON object per line and per action, appended, from many threads."""

from __future__ import annotations

import json
import threading
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

from escalada.audit import AuditLog
from escalada.audit import AuditRecord

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
FIELDS = [
    "time",
    "desk",
    "ticket",
    "path",
    "level_from",
    "level_to",
    "action",
    "reason",
    "dry_run",
    "result",
    "policy_revision",
    "priority",
    "team",
    "status",
    "escalation",
    "trigger",
]


def record(**changes: object) -> AuditRecord:
    values: dict[str, object] = dict(
        time=NOW,
        desk="zendesk-prod",
        ticket="1044",
        path="critical-outage",
        level_from=0,
        level_to=1,
        action="comment",
        reason="No response within 15m (P1 respond target): escalated to network-l2",
        dry_run=False,
        result="ok",
    )
    values.update(changes)
    return AuditRecord(**values)  # type: ignore[arg-type]


def lines(path: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_one_line_per_record_with_every_field(tmp_path: Path) -> None:
    path = tmp_path / "var" / "log" / "audit.jsonl"  # parents are created
    log = AuditLog(path)
    log.write(record())
    log.write(record(action="notify:net", result="not sent: channel 'net': HTTP 503", path=None))
    log.close()
    first, second = lines(path)
    assert list(first) == FIELDS
    assert first["time"] == "2026-11-23T10:00:00Z"
    assert (first["level_from"], first["level_to"], first["dry_run"]) == (0, 1, False)
    assert second["path"] is None and str(second["result"]).startswith("not sent: ")
    assert log.records == 2


def test_times_are_utc_whatever_the_clock_zone(tmp_path: Path) -> None:
    stockholm = timezone(timedelta(hours=1))
    log = AuditLog(tmp_path / "audit.jsonl")
    log.write(record(time=datetime(2026, 11, 23, 11, 0, tzinfo=stockholm)))
    log.close()
    assert lines(tmp_path / "audit.jsonl")[0]["time"] == "2026-11-23T10:00:00Z"


def test_appends_across_runs_and_keeps_unicode(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    for reason in ("första", "zweite — ünïcode"):
        log = AuditLog(path)
        log.write(record(reason=reason))
        log.close()
        log.close()  # closing twice is harmless
    assert [entry["reason"] for entry in lines(path)] == ["första", "zweite — ünïcode"]
    assert "första" in path.read_text(encoding="utf-8")  # not \\u-escaped


def test_a_reason_with_newlines_stays_one_line(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    log.write(record(reason='line one\nline two "quoted"'))
    log.close()
    (entry,) = lines(path)
    assert entry["reason"] == 'line one\nline two "quoted"'


def test_without_a_path_nothing_is_written(tmp_path: Path) -> None:
    log = AuditLog(None)
    log.write(record())
    log.close()
    assert log.records == 0 and list(tmp_path.iterdir()) == []


def test_desk_threads_never_interleave_lines(tmp_path: Path) -> None:
    path = tmp_path / "audit.jsonl"
    log = AuditLog(path)
    reason = "x" * 5000  # longer than one write buffer

    def desk(name: str) -> None:
        for n in range(200):
            log.write(record(desk=name, ticket=str(n), reason=reason))

    threads = [threading.Thread(target=desk, args=(f"desk-{i}",)) for i in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
    entries = lines(path)  # every line parses
    assert len(entries) == 800 and log.records == 800
    for i in range(4):
        assert [e["ticket"] for e in entries if e["desk"] == f"desk-{i}"] == [
            str(n) for n in range(200)
        ]


def test_a_path_that_cannot_take_records_is_refused_before_the_first_write(tmp_path: Path):
    import pytest

    from escalada.errors import EscaladaError

    for path, why in [
        ("/dev/full", "not a regular file"),  # once: a traceback mid-cycle (issue 12)
        (str(tmp_path), "not a regular file"),
        (str(tmp_path / "file" / "audit.jsonl"), "cannot write the audit log"),
    ]:
        (tmp_path / "file").write_text("a file, not a directory")
        with pytest.raises(EscaladaError, match=why):
            AuditLog(path).check()
    AuditLog(None).check()  # no audit: nothing to check
    ok = AuditLog(tmp_path / "a" / "audit.jsonl")
    ok.check()
    ok.close()
    assert (tmp_path / "a" / "audit.jsonl").exists()
