"""Which policy made a marker: the revision (git commit, else digest), stamped by the
runner on the escalations it writes and on its audit records, on every desk."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from escalada.audit import AuditLog
from escalada.revision import policy_digest
from escalada.revision import policy_revision
from escalada.runner import RunOptions
from tests.connectors.contract import NOW
from tests.paths import ROOT
from tests.runner_fixtures import M
from tests.runner_fixtures import RecordingNotifier
from tests.runner_fixtures import harness_params
from tests.runner_fixtures import open_desk
from tests.runner_fixtures import run
from tests.runner_fixtures import runner_policy
from tests.runner_fixtures import seed

REVISION = "3f2a9c0d1b7e"


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def test_a_committed_policy_is_its_commit_and_an_edited_one_its_digest(tmp_path):
    policy = tmp_path / "policy"
    shutil.copytree(ROOT / "examples" / "policy", policy)
    digest = policy_revision([str(policy)])  # not in git: the digest
    assert len(digest) == 12 and digest == policy_digest(sorted(map(str, policy.rglob("*.yaml"))))
    git(tmp_path, "init", "-q")
    git(tmp_path, "add", ".")
    git(tmp_path, "commit", "-qm", "policy")
    assert policy_revision([str(policy)]) == git(tmp_path, "rev-parse", "HEAD")[:12]
    (policy / "teams.yaml").write_text(
        (policy / "teams.yaml").read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8"
    )
    edited = policy_revision([str(policy)])
    assert edited != digest and edited != git(tmp_path, "rev-parse", "HEAD")[:12]


@pytest.mark.parametrize("desk", harness_params())
def test_escalations_carry_the_revision_and_updates_keep_it(desk, tmp_path):
    with open_desk(desk, tmp_path) as h:
        keys = seed(h)
        policy = runner_policy(h.desk)
        audit = AuditLog(tmp_path / "audit.jsonl")
        run(h, policy, NOW, RecordingNotifier(), options=RunOptions(policy_revision=REVISION),
            audit=audit)  # fmt: skip
        audit.close()
        escalated = h.view(keys["outage"]).escalation
        assert (escalated.path, escalated.level, escalated.policy) == (
            "critical-outage",
            1,
            REVISION,
        )
        assert h.view(keys["quiet"]).escalation.policy is None  # nothing escalated: no marker
        records = [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]
        assert records and all(r["policy_revision"] == REVISION for r in records)
        # a later run under another revision: the stakeholder update keeps the escalation's
        run(h, policy, NOW + 70 * M, RecordingNotifier(),
            options=RunOptions(policy_revision="aaaaaaaaaaaa"))  # fmt: skip
        later = h.view(keys["outage"]).escalation
        assert later.updated == NOW + 70 * M  # the hourly stakeholder update went out
        assert (later.path, later.level, later.policy) == ("critical-outage", 1, REVISION)
