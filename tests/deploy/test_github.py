"""The GitHub Actions workflows in deploy/github/ give the runner every secret the example
policy references, so a user who copies both gets a runner whose desks and channels all
authenticate (it once passed one webhook of eleven)."""

from __future__ import annotations

import re
from typing import Any

import yaml

from escalada.policy.load.files import load_paths
from tests.paths import EXAMPLE
from tests.paths import ROOT

RUN_WORKFLOW = ROOT / "deploy" / "github" / "escalada-run.yml"


def _references(node: Any) -> set[tuple[str, str]]:
    """Every `{env: NAME}` and `{file: PATH}` anywhere in a policy document."""
    if isinstance(node, dict):
        if len(node) == 1 and next(iter(node)) in ("env", "file"):
            ((source, name),) = node.items()
            return {(source, str(name))}
        return set().union(*(_references(v) for v in node.values()))
    if isinstance(node, list):
        return set().union(*(_references(v) for v in node))
    return set()


def example_references() -> set[tuple[str, str]]:
    refs: set[tuple[str, str]] = set()
    for document in load_paths([EXAMPLE]).documents:
        refs |= _references(document.data)
    return refs


def _steps() -> list[dict[str, Any]]:
    workflow = yaml.safe_load(RUN_WORKFLOW.read_text(encoding="utf-8"))
    return [step for job in workflow["jobs"].values() for step in job["steps"]]


def test_the_example_policy_references_secrets_of_both_kinds():
    refs = example_references()
    assert {source for source, _ in refs} == {"env", "file"}
    assert ("env", "JIRA_API_TOKEN") in refs and ("env", "SLACK_SD_LEADS_WEBHOOK") in refs


def test_the_run_workflow_passes_every_env_secret_of_the_example_policy_from_secrets():
    (run,) = [s for s in _steps() if str(s.get("run", "")).startswith("escalada run")]
    passed = run["env"]
    wanted = {name for source, name in example_references() if source == "env"}
    assert wanted - set(passed) == set(), "not passed to `escalada run`"
    for name in wanted:
        assert passed[name] == "${{ secrets." + name + " }}", name


def test_the_run_workflow_writes_every_file_secret_of_the_example_policy_before_the_run():
    steps = _steps()
    index = next(i for i, s in enumerate(steps) if str(s.get("run", "")).startswith("escalada run"))
    before = steps[:index]
    for path in {name for source, name in example_references() if source == "file"}:
        (writer,) = [s for s in before if path in str(s.get("run", ""))]
        (secret,) = writer["env"].values()
        assert re.fullmatch(r"\$\{\{ secrets\.[A-Z0-9_]+ \}\}", secret), secret
