"""Logging set-up: text for people, one JSON object per line for log pipelines."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from escalada import logs


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    logger = logging.getLogger("escalada")
    saved = (logger.handlers[:], logger.level, logger.propagate, logs.current_format())
    yield
    logger.handlers[:], logger.level, logger.propagate = saved[:3]
    logs._configured["format"] = saved[3]


def configured(fmt: str, monkeypatch: pytest.MonkeyPatch, *, debug: bool = False) -> io.StringIO:
    stream = io.StringIO()
    monkeypatch.setattr("sys.stderr", stream)
    logs.configure(fmt, debug=debug)
    return stream


def test_text_lines_name_the_level(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = configured("text", monkeypatch)
    logging.getLogger("escalada.runner").warning("%s: changed on the desk", "SB-1")
    logging.getLogger("escalada.runner").debug("not shown without --debug")
    assert stream.getvalue() == "WARNING SB-1: changed on the desk\n"
    assert logs.current_format() == "text"


def test_json_lines_carry_time_level_logger_message_and_extras(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stream = configured("json", monkeypatch)
    log = logging.getLogger("escalada.runner")
    log.info("cycle done", extra={"desk": "zendesk-prod", "seen": 10_000})
    try:
        raise ValueError("boom")
    except ValueError:
        log.exception("desk %s failed with an internal error", "jira-prod")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert set(first) == {"time", "level", "logger", "message", "desk", "seen"}
    assert (first["level"], first["logger"], first["message"]) == (
        "info",
        "escalada.runner",
        "cycle done",
    )
    assert (first["desk"], first["seen"]) == ("zendesk-prod", 10_000)
    assert first["time"].endswith("+00:00") and "T" in first["time"]
    assert second["level"] == "error"
    assert second["message"] == "desk jira-prod failed with an internal error"
    assert "ValueError: boom" in second["exception"]
    assert logs.current_format() == "json"


def test_values_json_cannot_encode_become_text(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = configured("json", monkeypatch)
    logging.getLogger("escalada").info("odd", extra={"where": object, "finding": {"line": 3}})
    entry = json.loads(stream.getvalue())
    assert entry["where"] == "<class 'object'>" and entry["finding"] == {"line": 3}


def test_configure_twice_keeps_one_handler_and_debug_shows_debug(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    configured("json", monkeypatch)
    stream = configured("text", monkeypatch, debug=True)
    logger = logging.getLogger("escalada")
    assert len(logger.handlers) == 1 and logger.propagate is False
    logging.getLogger("escalada.notify").debug("retrying")
    assert stream.getvalue() == "DEBUG retrying\n"


def test_text_lines_show_ticket_text_escaped_json_lines_keep_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A ticket key or title in a log message cannot colour the terminal or start
    a line of its own in text format; JSON lines carry it exactly (JSON escapes)."""
    title = "VPN \x1b[31mdown\nERROR forged line"
    stream = configured("text", monkeypatch)
    logging.getLogger("escalada.runner").warning("%s: %s", "SB-1", title)
    assert stream.getvalue() == "WARNING SB-1: VPN \\x1b[31mdown\\nERROR forged line\n"
    stream = configured("json", monkeypatch)
    logging.getLogger("escalada.runner").warning("%s: %s", "SB-1", title)
    assert json.loads(stream.getvalue())["message"] == f"SB-1: {title}"
