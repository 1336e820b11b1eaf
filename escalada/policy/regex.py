"""Policy regular expressions, matched in linear time.

A `matches:` pattern runs against text that anyone who can file a ticket
writes, so a backtracking engine would let one ticket hang the runner
(`(a+)+$` against 41 characters takes minutes in Python's `re`). Patterns are
compiled with RE2 (Google's engine, `google-re2` on PyPI), whose matching time
is linear in the text. RE2 has no backreferences and no lookaround: such a
pattern is refused when the policy is loaded, with a hint.

The syntax is checked by Python's parser first so that what Python would
refuse (`a{99999999999}`, 5,000 nested groups) is refused too, instead of
RE2 reading it as literal text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import re2

# Longest pattern accepted: policies are written by people; a pattern this
# long is a mistake, and RE2's memory grows with the pattern.
MAX_PATTERN = 4096

_OPTIONS = re2.Options()
_OPTIONS.log_errors = False  # RE2 logs each parse error to stderr through absl otherwise

HINT = (
    "patterns use RE2 syntax (linear-time matching: no backreferences such as \\1, "
    "no lookahead or lookbehind such as (?=...) or (?<!...), repetition counts up to 1000); "
    "escape literal ( ) [ ] . * + ? with a backslash, and quote the pattern in YAML"
)


class RegexError(ValueError):
    """A pattern that cannot be used; the message says why."""


@dataclass(frozen=True, eq=False)
class Regex:
    """A compiled pattern: `search` is `re.search` in meaning, linear in time."""

    pattern: str
    flags: int  # Python's `re` flags the pattern sets inline, less re.UNICODE
    _compiled: Any

    def search(self, text: str) -> bool:
        return self._compiled.search(text) is not None


def compile_regex(text: str) -> Regex:
    """Compile a policy pattern, or raise RegexError saying why it cannot be used."""
    if len(text) > MAX_PATTERN:
        raise RegexError(f"the pattern is {len(text)} characters long (at most {MAX_PATTERN})")
    try:
        python = re.compile(text)
    except re.error as error:
        raise RegexError(f"{error.msg} at position {error.pos}") from None
    except (OverflowError, RecursionError, MemoryError) as error:
        raise RegexError(str(error) or type(error).__name__) from None
    try:
        compiled = re2.compile(text, _OPTIONS)
    except re2.error as error:
        message = error.args[0] if error.args else str(error)
        if isinstance(message, bytes):
            message = message.decode("utf-8", "replace")
        raise RegexError(f"not supported by the linear-time engine: {message}") from None
    return Regex(pattern=text, flags=python.flags & ~re.UNICODE, _compiled=compiled)
