"""escalada.markdown: desk text shown as typed in markdown (Teams cards, the GFM
tables of simulate and report), and escalada's own markdown kept in a table cell."""

from __future__ import annotations

import pytest

from escalada import markdown


@pytest.mark.parametrize(
    ("text", "teams", "gfm"),
    [
        ("SD-1", "SD-1", "SD-1"),
        ("[x](https://evil.example)", "\\[x\\](https://evil.example)", None),
        ("*now* _now_ ~old~ `code`", "\\*now\\* \\_now\\_ \\~old\\~ \\`code\\`", None),
        ("back\\slash", "back\\\\slash", None),
        ("two\nlines\r\nand\u2028more", "two lines and more", None),
        ("A|B", "A|B", "A\\|B"),
        ("<img src=x> &amp;", "<img src=x> &amp;", "\\<img src=x> \\&amp;"),
    ],
)
def test_escape_shows_the_text_as_typed(text: str, teams: str, gfm: str | None) -> None:
    assert markdown.escape(text) == teams
    assert markdown.escape(text, gfm=True) == (teams if gfm is None else gfm)


def test_a_table_cell_keeps_escaladas_markdown_and_stays_one_cell() -> None:
    text = "re-announces L1 (`moved_from: [a|b]` keeps it)\n**new**"
    assert markdown.table_cell(text) == "re-announces L1 (`moved_from: [a\\|b]` keeps it) **new**"
