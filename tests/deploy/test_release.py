"""Releasing: .github/workflows/release.yml publishes on a `v*` tag with trusted publishing,
every version the docs and workflows tell users to install is the package's version, and the
wheel, installed on its own, carries its package data (the JSON Schemas, the example policy)
and works.

The regression: the README and workflows said `pip install escalada` and `rev: v0.1.0`
while nothing had been released or tagged, and nothing tied those numbers to the package."""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from escalada import __version__
from escalada.cli import cli
from tests.paths import EXAMPLE
from tests.paths import ROOT

RELEASE = ROOT / ".github" / "workflows" / "release.yml"
# where a user is told which version to install
DOCUMENTED = [
    "README.md",
    "docs/validate.md",
    ".pre-commit-hooks.yaml",
    "deploy/github/escalada-run.yml",
    "deploy/github/escalada-policy.yml",
]
PINS = [
    re.compile(r"escalada==([0-9][0-9A-Za-z.+-]*[0-9A-Za-z])"),
    re.compile(r"git\+https://github\.com/escalada/escalada@v([0-9][0-9A-Za-z.+-]*[0-9A-Za-z])"),
    re.compile(r"\brev: v([0-9][0-9A-Za-z.+-]*[0-9A-Za-z])"),
]


def _release() -> dict[Any, Any]:
    workflow: dict[Any, Any] = yaml.safe_load(RELEASE.read_text(encoding="utf-8"))
    return workflow


def test_the_release_runs_on_a_version_tag_and_publishes_with_trusted_publishing():
    workflow = _release()
    assert workflow[True] == {"push": {"tags": ["v*"]}}  # YAML 1.1 reads `on:` as true
    assert workflow["permissions"] == {"contents": "read"}
    build, publish = workflow["jobs"]["build"], workflow["jobs"]["publish"]
    runs = "\n".join(str(step.get("run", "")) for step in build["steps"])
    assert "python -m build" in runs
    assert "--version" in runs and "validate" in runs and "GITHUB_REF_NAME#v" in runs
    assert publish["needs"] == "build"
    assert publish["environment"]["name"] == "pypi"
    assert publish["permissions"] == {"id-token": "write"}
    uses = [step.get("uses", "") for step in publish["steps"]]
    assert "pypa/gh-action-pypi-publish@release/v1" in uses
    text = RELEASE.read_text(encoding="utf-8")
    assert "secrets." not in text and "password" not in text  # no token anywhere


def test_pyproject_reads_the_version_that_escalada_version_prints():
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert 'version = {attr = "escalada.__version__"}' in pyproject
    assert not re.search(r"^version = \"", pyproject, re.M)  # no second copy to drift
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output == f"escalada, version {__version__}\n"


@pytest.mark.parametrize("name", DOCUMENTED)
def test_every_documented_install_names_the_packages_version(name: str):
    text = (ROOT / name).read_text(encoding="utf-8")
    pins = [(pin.pattern, found) for pin in PINS for found in pin.findall(text)]
    assert pins, f"{name} names no version to install"
    assert {found for _, found in pins} == {__version__}, pins


def test_the_readme_says_how_to_install_before_the_first_release():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert f"pip install 'escalada @ git+https://github.com/escalada/escalada@v{__version__}'" in (
        readme
    )
    assert "git clone https://github.com/escalada/escalada" in readme


_NOT_SOURCES = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel as the release builds it (`python -m build`, the dev extra's `build`),
    or pip's where `build` is not installed. Either fetches setuptools from the index."""
    out = tmp_path_factory.mktemp("dist")
    # a copy of the tracked sources: building writes build/ and *.egg-info beside them, and
    # a build/ folder in the checkout would later pass for the `build` package (a namespace
    # package from the current directory), so a second run of the suite took the wrong path
    source = tmp_path_factory.mktemp("source")
    shutil.copytree(ROOT, source, dirs_exist_ok=True, ignore=_NOT_SOURCES)
    spec = importlib.util.find_spec("build")
    if spec is not None and spec.origin not in (None, "namespace"):
        command = [sys.executable, "-m", "build", "--wheel", "--outdir", str(out), str(source)]
    else:
        command = [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), "."]
    done = subprocess.run(command, cwd=source, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    (built,) = out.glob("escalada-*.whl")
    return built


def test_the_wheel_carries_the_schemas_the_examples_and_the_version(wheel: Path):
    assert wheel.name == f"escalada-{__version__}-py3-none-any.whl"
    names = set(zipfile.ZipFile(wheel).namelist())
    schemas = {p.name for p in (ROOT / "escalada" / "schemas").glob("*.json")}
    assert schemas and {f"escalada/schemas/{name}" for name in schemas} <= names
    examples = {p.relative_to(EXAMPLE).as_posix() for p in EXAMPLE.rglob("*.yaml")}
    assert {f"escalada/examples/policy/{name}" for name in examples} <= names
    assert "escalada/py.typed" in names
    metadata = zipfile.ZipFile(wheel).read(f"escalada-{__version__}.dist-info/METADATA")
    assert f"\nVersion: {__version__}\n" in metadata.decode()


def test_the_installed_wheel_alone_validates_and_tests_the_example(wheel: Path, tmp_path: Path):
    """The release's check, without the network: a fresh virtual environment holds only the
    wheel; its dependencies come from this environment's site-packages, appended by a .pth
    line (a directory named there is not a site directory, so this checkout's editable
    install does not load, and `escalada` can only come from the wheel)."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps"]
        + ["--no-index", str(wheel)],
        check=True,
        capture_output=True,
    )
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(purelib, "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    escalada = str(venv / "bin" / "escalada")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [escalada, *args], cwd=tmp_path, capture_output=True, text=True, timeout=120
        )

    where = subprocess.run(
        [str(python), "-c", "import escalada; print(escalada.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert where.startswith(str(venv)), where
    assert run("--version").stdout == f"escalada, version {__version__}\n"
    validated = run("validate", str(EXAMPLE), "--strict")
    assert validated.returncode == 0, validated.stdout + validated.stderr
    tested = run("test", str(EXAMPLE))
    assert tested.returncode == 0, tested.stdout + tested.stderr
    # the schemas come from the wheel's package data
    schema = run("schema")
    assert schema.returncode == 0 and '"PolicyTest"' in schema.stdout, schema.stderr
