"""escalada.terminal.safe: ticket text shown, never obeyed, by a terminal."""

from __future__ import annotations

import pytest

from escalada.terminal import safe


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("VPN down in Stockholm", "VPN down in Stockholm"),
        ("Åre: ümlaut, 日本, emoji 🙂", "Åre: ümlaut, 日本, emoji 🙂"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),  # ANSI CSI
        ("\x1b]8;;https://evil\x1b\\x\x1b]8;;\x07", "\\x1b]8;;https://evil\\x1b\\x\\x1b]8;;\\x07"),
        ("a\nSB-9  P1  open  forged", "a\\nSB-9  P1  open  forged"),
        ("overwrite\rfake", "overwrite\\rfake"),
        ("tab\there", "tab\\there"),
        ("\x9b31m C1 CSI, \x9d OSC, \x7f DEL", "\\x9b31m C1 CSI, \\x9d OSC, \\x7f DEL"),
        ("bidi \u202eevil\u2066x\u2069", "bidi \\u202eevil\\u2066x\\u2069"),
        ("line\u2028sep\x85nel", "line\\u2028sep\\x85nel"),
    ],
)
def test_control_characters_are_shown_as_escapes(text: str, shown: str) -> None:
    assert safe(text) == shown
    assert "\n" not in safe(text) and "\x1b" not in safe(text)
