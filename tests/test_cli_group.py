"""escalada/cli/group.py: every failure is one line on stderr, whatever text it carries. A
message that quotes a user's value with a line break (`\\n`, NEL `\\x85`, `\\u2028`) or an
escape sequence is printed escaped, so it can neither forge a second line nor drive the
terminal (the one place all commands' errors pass, behind each message's own quoting)."""

from __future__ import annotations

from collections.abc import Iterator

import click
import pytest
from click.testing import CliRunner

from escalada import redaction
from escalada.cli.group import Context
from escalada.cli.group import EscaladaGroup
from escalada.errors import EscaladaError
from escalada.errors import printable

RAW = "bad value `a\nerror: forged\x85\u2028\x1b]8;;http://x\x07link`"


def _group(failure: BaseException) -> click.Group:
    @click.group(cls=EscaladaGroup)
    def group() -> None:
        pass

    @group.command()
    def fail() -> None:
        raise failure

    return group


@pytest.mark.parametrize(
    ("failure", "start", "code"),
    [
        (EscaladaError(RAW, where="t.yaml:1:1", hint="fix\nit"), "error: t.yaml:1:1: bad", 1),
        (ValueError(RAW), "internal error: ValueError: bad", 3),
    ],
)
def test_an_error_is_one_printable_line_whatever_it_quotes(
    failure: BaseException, start: str, code: int
):
    result = CliRunner().invoke(_group(failure), ["fail"])
    assert result.exit_code == code
    (line,) = result.stderr.splitlines()
    assert line.startswith(start) and line.isprintable(), line
    assert "\\nerror: forged\\x85\\u2028\\x1b]8;;http://x\\x07link" in line


def test_printable_text_is_left_as_it_is():
    text = "t.yaml:3:7: `Ünïcode ok` (hint)"
    assert printable(text) is text
    assert printable("a\tb") == "a\\tb"


SECRET = "tok-3f9c1a7e5d"


@pytest.fixture
def remembered() -> Iterator[str]:
    redaction.remember(SECRET)
    yield SECRET
    redaction.FILTER.forget_all()


def _debug_group(failure: BaseException) -> click.Group:
    @click.group(cls=EscaladaGroup)
    @click.pass_context
    def group(ctx: click.Context) -> None:
        ctx.obj = Context(debug=True)

    @group.command()
    def fail() -> None:
        raise failure

    return group


@pytest.mark.parametrize(
    ("failure", "last", "code"),
    [
        (
            EscaladaError(f"desk answered for {SECRET}"),
            "escalada.errors.EscaladaError: desk answered for ***",
            1,
        ),
        (RuntimeError(f"boom at https://h.example/{SECRET}"), "RuntimeError: boom at", 3),
    ],
)
def test_debug_prints_the_traceback_with_secrets_scrubbed(
    remembered: str, failure: BaseException, last: str, code: int
) -> None:
    """--debug shows the whole traceback (it once re-raised to Python, whose printer
    knows nothing of the secrets the run resolved), and the same exit code."""
    result = CliRunner().invoke(_debug_group(failure), ["fail"])
    assert result.exit_code == code
    assert result.stderr.startswith("Traceback (most recent call last):")
    assert "in fail" in result.stderr  # the frames are there
    assert result.stderr.splitlines()[-1].startswith(last), result.stderr
    assert remembered not in result.stderr
