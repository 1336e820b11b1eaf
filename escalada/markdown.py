"""Desk text (ticket keys, titles, reasons, organisation names) shown as typed in
markdown, so a title cannot make a link, emphasis, a list, or a table cell.

One escape for every markdown escalada writes: the Teams card's TextBlocks and
the GitHub-flavoured tables of `simulate` and `report`. A backslash escapes the
characters that start markdown's inline constructs (CommonMark: any ASCII
punctuation may be escaped); a line break becomes a space, so no list, quote or
paragraph starts inside the text, and a table row stays one line. escalada's
own markdown (a `code` span naming a fix) goes in a table cell through
`table_cell`, which only keeps it there."""

from __future__ import annotations

import re

# Emphasis, code, links and images, strikethrough (Adaptive Cards' "Text features"
# on learn.microsoft.com name the same set for Teams).
_INLINE = re.compile(r"([\\`*_\[\]~])")
# GitHub-flavoured markdown also splits table cells at `|` (escaped even inside code
# spans, GFM spec 4.10), and renders inline HTML (`<`) and entities (`&`).
_GFM = re.compile(r"([\\`*_\[\]~|<&])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029\x85]+")


def escape(text: str, *, gfm: bool = False) -> str:
    """`text` as typed: markdown specials backslash-escaped, line breaks as spaces.
    `gfm` for GitHub-flavoured output (tables, HTML), which takes `|`, `<`, `&` too;
    Teams' cards render no HTML and no tables, so those stay as they are there."""
    return (_GFM if gfm else _INLINE).sub(r"\\\1", _LINE_BREAKS.sub(" ", text))


def table_cell(text: str) -> str:
    """escalada's own markdown kept in one GFM table cell: `|` escaped (a code span's
    too, GFM spec 4.10), line breaks as spaces; its emphasis and code stay."""
    return _LINE_BREAKS.sub(" ", text).replace("|", "\\|")
