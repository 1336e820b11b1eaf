"""Text from tickets and desks, fit for a terminal.

A ticket's title, key, tags or team come from whoever filed or edited it: an
escape sequence in them (ANSI CSI colours and cursor moves, an OSC 8 link that
shows one address and opens another) would be obeyed by the terminal, and a
newline or carriage return would forge whole lines of escalada's output. `safe`
shows every such character as an escape (`\\x1b`, `\\n`), so it is seen, not
obeyed. Every text output of ticket and desk values goes through it (tables,
`run --dry-run`, `explain`, log lines in text format); JSON output does not
need it, as JSON escapes control characters itself."""

from __future__ import annotations

import re

# C0 controls (tab, LF and CR included: a table cell or a line holds no line
# break), DEL, C1 controls (U+009B is a one-character CSI, U+009D an OSC), the
# line and paragraph separators, and the bidirectional overrides and isolates,
# which reorder what is shown (CVE-2021-42574, "Trojan Source").
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_NAMED = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def _escape(found: re.Match[str]) -> str:
    char = found.group()
    named = _NAMED.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def safe(text: str) -> str:
    """`text` with every control character, escape-sequence introducer and
    bidi override shown as its escape; anything else as it is."""
    return _UNSAFE.sub(_escape, text)
