"""Numbers are ASCII digits only, wherever a user writes one: Python's `\\d` and
int() also take Arabic-Indic (٣), fullwidth (３) and other Unicode digits, which
no desk, scheduler or reader of the policy would read as the same number.
(Already so when issue 12 asked; these hold it: durations, SLA shares, dates,
shard counts, --interval.)"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from escalada.cli import cli
from escalada.commands.run import parse_shard
from escalada.commands.run import shard_from_env
from escalada.errors import EscaladaError
from tests.paths import EXAMPLE


@pytest.mark.parametrize(
    ("file", "ascii", "unicode", "code"),
    [
        ("matrix.yaml", "respond_within: 15m", "respond_within: \uff11\uff15m", "bad-duration"),
        ("paths.yaml", "at: 50% resolve", "at: \u0665\u0660% resolve", "bad-threshold"),
        ("calendars.yaml", "[12-24,", "[1\u0662-24,", "bad-date"),
    ],
)
def test_a_policy_number_in_unicode_digits_is_a_finding(
    tmp_path: Path, file: str, ascii: str, unicode: str, code: str
) -> None:
    policy = Path(shutil.copytree(EXAMPLE, tmp_path / "policy"))
    text = (policy / file).read_text(encoding="utf-8")
    assert ascii in text
    (policy / file).write_text(text.replace(ascii, unicode, 1), encoding="utf-8")
    result = CliRunner().invoke(cli, ["validate", str(policy)])
    assert result.exit_code == 1
    assert f"error {code}" in result.stdout, result.stdout


@pytest.mark.parametrize("text", ["\u0660/\u0662", "0/\uff12", "\u00b9/2"])
def test_a_shard_in_unicode_digits_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="ASCII digits"):
        parse_shard(text)
    index, count = text.split("/")
    with pytest.raises(EscaladaError, match="ASCII digits"):
        shard_from_env({"JOB_COMPLETION_INDEX": index, "ESCALADA_SHARD_COUNT": count})


def test_an_interval_in_unicode_digits_is_a_usage_error() -> None:
    result = CliRunner().invoke(
        cli, ["run", "--interval", "\uff15m", "--dry-run", "--policy", str(EXAMPLE)]
    )
    assert result.exit_code == 2
    assert "is not a duration" in result.stderr
