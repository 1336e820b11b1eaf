"""The policy workflow's simulate step, run as GitHub would run it: a pull request
that renames a path gets a comment naming the re-announcements it would cause."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import yaml

from tests.paths import ROOT

WORKFLOW = ROOT / "deploy" / "github" / "escalada-policy.yml"
STEP = "Simulate the change on each desk's tickets"


def step_script() -> str:
    jobs = yaml.safe_load(WORKFLOW.read_text(encoding="utf-8"))["jobs"]
    (step,) = [s for s in jobs["plan"]["steps"] if s.get("name") == STEP]
    return str(step["run"])


def sh(cwd: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run(
        list(args), cwd=cwd, capture_output=True, text=True, env=env, check=False, timeout=300
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_a_renamed_path_is_caught_by_the_pull_request_comment(tmp_path, escalada_exe):
    repo = tmp_path / "policy-repo"
    shutil.copytree(
        ROOT / "examples" / "policy", repo / "policy", ignore=shutil.ignore_patterns("tests")
    )
    git = ("git", "-c", "user.name=ci", "-c", "user.email=ci@example.com")
    sh(repo, *git, "init", "-q", "-b", "main")
    sh(repo, *git, "add", ".")
    sh(repo, *git, "commit", "-qm", "policy")
    env = {**os.environ, "PATH": f"{Path(escalada_exe).parent}:{os.environ['PATH']}"}
    # the runner has been escalating tickets under the merged policy
    sh(repo, escalada_exe, "sandbox", "seed", "--tickets", "40", env=env)
    sh(repo, escalada_exe, "run", "--once", "--policy", "policy", "--desk", "sandbox", env=env)
    # the pull request renames the outage path
    paths = repo / "policy" / "paths.yaml"
    text = paths.read_text(encoding="utf-8")
    paths.write_text(text.replace("name: critical-outage", "name: major-outage"), "utf-8")
    out = sh(
        repo, "bash", "-e", "-c", step_script(), env={**env, "DESKS": "sandbox", "BASE": "main"}
    )
    comment = (repo / "simulate.md").read_text(encoding="utf-8")
    assert comment.strip() == out.strip()  # the step prints what it comments
    assert "#### Tickets on sandbox" in comment
    assert "re-announcement(s)" in comment and "re-announces L" in comment
    assert "on major-outage" in comment and "moved_from" in comment
    assert "Backtest" in comment
