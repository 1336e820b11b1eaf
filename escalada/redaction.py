"""Every resolved secret is scrubbed from every log record, in each form a log
line can carry it: as written, percent-encoded (urllib3's debug line shows the
request line as sent: `user_name%3Dbot%40acme.com`), `+` for spaces, and
decoded; for a URL also its path and its query alone (a webhook's secret is
its path, and urllib3 logs no host). `secrets.resolve` remembers each value
it hands out; `install` puts the filter on a handler, so records of every
logger that reach it (escalada's, urllib3's, requests') are scrubbed.

Imports nothing from escalada, so any module may remember a value."""

from __future__ import annotations

import logging
import threading
import traceback
from urllib.parse import quote
from urllib.parse import quote_plus
from urllib.parse import unquote
from urllib.parse import urlsplit

MASK = "***"
MIN_LENGTH = 3  # shorter values would mask half the log and hide little


def forms(value: str) -> set[str]:
    """The spellings of `value` a log line may carry."""
    found = {value}
    parts = urlsplit(value)
    if parts.scheme and parts.netloc:
        if len(parts.path) > 1:
            found.add(parts.path)
        if parts.query:
            found.add(parts.query)
    for text in list(found):
        found.update(
            {
                quote(text, safe=""),
                quote(text, safe="/"),
                quote(text, safe="/:@&=?+,;%"),  # requests' requote_uri keeps these
                quote_plus(text, safe=""),
                unquote(text),
            }
        )
    return {text for text in found if len(text) >= MIN_LENGTH}


class RedactFilter(logging.Filter):
    """Replaces every remembered form in a record's message (args merged in)."""

    def __init__(self) -> None:
        super().__init__()
        self._forms: tuple[str, ...] = ()
        self._lock = threading.Lock()

    def remember(self, value: str) -> None:
        if len(value) < MIN_LENGTH:
            return
        with self._lock:
            # longest first, so a URL goes as a whole before its path does
            merged = set(self._forms) | forms(value)
            self._forms = tuple(sorted(merged, key=len, reverse=True))

    def forget_all(self) -> None:
        """Drop every remembered value (tests; a process that starts anew)."""
        with self._lock:
            self._forms = ()

    def scrub(self, text: str) -> str:
        for form in self._forms:
            if form in text:  # a path stays a path: `POST /*** HTTP/1.1`
                text = text.replace(form, "/" + MASK if form.startswith("/") else MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        if not self._forms:
            return True
        try:
            text = record.getMessage()
        except (TypeError, ValueError):  # a record whose args do not fit its format
            return True
        scrubbed = self.scrub(text)
        if scrubbed != text:
            record.msg, record.args = scrubbed, ()
        if record.exc_info and not record.exc_text:
            # formatted here, before any handler's formatter: Formatter.format keeps an
            # exc_text already set, so the traceback it prints is this scrubbed one
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.scrub(record.exc_text)
        return True

    def traceback(self, error: BaseException) -> str:
        """`error`'s traceback as Python prints it, scrubbed."""
        return self.scrub("".join(traceback.format_exception(error)))


FILTER = RedactFilter()
LIBRARY_LOGGERS = ("urllib3", "urllib3.connectionpool", "requests", "escalada")


def remember(value: str) -> None:
    """Scrub `value` (a token, password, user name, webhook URL) from every log record."""
    FILTER.remember(str(value))


def install(handler: logging.Handler) -> None:
    """Scrub every record that reaches `handler` (whatever logger it came from)."""
    if FILTER not in handler.filters:
        handler.addFilter(FILTER)


def install_everywhere() -> None:
    """On every handler of the root logger and of escalada's, and on the library
    loggers themselves (a handler a test or an embedding program adds later
    still gets their records scrubbed)."""
    for handler in [*logging.getLogger().handlers, *logging.getLogger("escalada").handlers]:
        install(handler)
    for name in LIBRARY_LOGGERS:
        logger = logging.getLogger(name)
        if FILTER not in logger.filters:
            logger.addFilter(FILTER)
