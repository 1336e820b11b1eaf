"""Live smoke test: escalada against a real desk, read-only. Skipped unless the
desk's ESCALADA_LIVE_<DESK>_URL is set (tests/live/smoke.py lists the variables;
docs/desks/<desk>.md shows how to run it). Each desk gets three runs of the
installed command: `desks check`, a read of the open tickets in scope
(`tickets export --open-only`) and a dry-run cycle (`run --once --dry-run`):
nothing is written to the desk.

The network guard in tests/conftest.py stops this process only: the commands
run as their own processes, as a user would run them."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.live.smoke import DESKS
from tests.live.smoke import configured
from tests.live.smoke import missing
from tests.live.smoke import write_policy


def run(exe: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, timeout=600, env=dict(os.environ)
    )


@pytest.mark.parametrize("desk", DESKS)
def test_escalada_works_with_a_real_desk(desk: str, tmp_path: Path, escalada_exe: str) -> None:
    if not configured(desk, os.environ):
        pytest.skip(f"ESCALADA_LIVE_{desk.upper()}_URL is not set")
    assert not missing(desk, os.environ), f"set {', '.join(missing(desk, os.environ))}"
    name = write_policy(desk, os.environ, tmp_path)
    policy = str(tmp_path)
    checked = run(escalada_exe, "desks", "check", "--policy", policy, "--desk", name)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    read = run(escalada_exe, "tickets", "export", "--policy", policy, "--desk", name, "--open-only")
    assert read.returncode == 0, read.stderr
    tickets = [json.loads(line) for line in read.stdout.splitlines() if line.strip()]
    assert all(t["desk"] == name and t["key"] for t in tickets)
    cycle = run(escalada_exe, "run", "--once", "--dry-run", "--policy", policy, "--desk", name)
    assert cycle.returncode == 0, cycle.stdout + cycle.stderr


@pytest.mark.parametrize("desk", DESKS)
def test_the_smoke_policy_is_valid(desk: str, tmp_path: Path, escalada_exe: str) -> None:
    """Always run: the policy the live test builds validates, with placeholder values."""
    environ = {
        f"ESCALADA_LIVE_{desk.upper()}_{k}": v
        for k, v in {
            "URL": {
                "jira": "https://acme.atlassian.net",
                "zendesk": "https://acme.zendesk.com",
            }.get(desk, "https://acme.service-now.com"),
            "SCOPE": "project = SD" if desk == "jira" else "",
            "TEAM": "Network L2",
            "OPTIONS": '{"team_field": "customfield_10050"}' if desk == "jira" else "",
        }.items()
        if v
    }
    assert missing(desk, environ) == [
        f"ESCALADA_LIVE_{desk.upper()}_{n}"
        for n in (("EMAIL", "TOKEN") if desk != "servicenow" else ("USER", "PASSWORD"))
    ]
    write_policy(desk, environ, tmp_path)
    checked = run(escalada_exe, "validate", str(tmp_path))
    assert checked.returncode == 0, checked.stdout + checked.stderr
