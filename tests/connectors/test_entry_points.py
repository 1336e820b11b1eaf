"""A third-party desk, end to end: a tiny desk package outside escalada,
registered through the real entry-point mechanism (a `*.dist-info` with an
`entry_points.txt` on the path, which importlib.metadata reads as it reads an
installed wheel), validates in a policy and runs one `escalada run --once`
cycle through the installed command."""

from __future__ import annotations

import json
import os
import subprocess
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path

import pytest

# The desk package: its DeskKind (the registry entry) and a connector that keeps
# its tickets in a JSON file. Everything a desk package needs, nothing more.
PACKAGE = """\
from escalada.connectors.kind import DeskKind
from escalada.connectors.kind import DeskOption

DESK = DeskKind(
    type="tiny",
    title="Tiny",
    connector="escalada_tinydesk.connector:TinyConnector",
    options={"file": DeskOption("string", "The JSON file the tickets are kept in.")},
    needs_url=False,
)
"""
CONNECTOR = """\
import json
from pathlib import Path

from escalada.connectors.base import ApplyResult
from escalada.connectors.base import CheckItem
from escalada.connectors.mapping import read_back
from escalada.instants import from_iso
from escalada.marker import decode
from escalada.marker import retag
from escalada.ticket import Ticket


class TinyConnector:
    def __init__(self, desk, *, needs, wiring):
        self.desk = desk
        self.path = Path(desk.options["file"])
        self.calls = 0

    def _load(self):
        self.calls += 1
        return json.loads(self.path.read_text())

    def candidates(self, *, shard=None):
        for row in self._load():
            if shard is None or shard.owns(row["key"]):
                yield Ticket(
                    desk=self.desk.name,
                    key=row["key"],
                    title=row["title"],
                    created=from_iso(row["created"]),
                    priority=read_back(self.desk.priorities, row["priority"]) or row["priority"],
                    team=read_back(self.desk.teams, row["group"]) or row["group"],
                    tags=frozenset(row["tags"]),
                    escalation=decode(row["tags"]),
                )

    def refresh(self, tickets):
        return list(tickets)

    def apply(self, ticket, actions):
        rows = self._load()
        row = next(r for r in rows if r["key"] == ticket.key)
        written = []
        for action in actions:
            if action.type == "assign":
                row["group"] = self.desk.teams.get(action.team, action.team)
            elif action.type in ("comment", "update", "ask_reason"):
                row["notes"].append(action.reason)
            elif action.type in ("mark", "clear"):
                add, remove = retag(row["tags"], action.state)
                row["tags"] = sorted((set(row["tags"]) - remove) | add)
            else:
                continue
            written.append(action.type)
        self.path.write_text(json.dumps(rows))
        self.calls += 1
        return ApplyResult(ticket.key, tuple(written), calls=1)

    def check(self, policy=None):
        return [CheckItem(self.desk.name, "file", self.path.exists(), str(self.path))]

    def desired_config(self, policy):
        return []

    def current_config(self):
        return []

    def write_config(self, op, obj):
        raise NotImplementedError

    def close(self):
        pass
"""
POLICY = """\
apiVersion: escalada/v1
kind: PriorityMatrix
metadata: {name: default}
spec:
  impact: [high]
  urgency: [high]
  matrix: {high: [P1]}
  priorities:
    P1: {title: Critical, respond_within: 15m, resolve_within: 4h, calendar: 24x7}
---
apiVersion: escalada/v1
kind: Team
metadata: {name: first-line}
---
apiVersion: escalada/v1
kind: Team
metadata: {name: second-line}
---
apiVersion: escalada/v1
kind: EscalationPath
metadata: {name: standard}
spec:
  precedence: 0
  levels:
    - team: first-line
    - {team: second-line, after: 15m, unless: responded, actions: [assign, comment]}
---
apiVersion: escalada/v1
kind: Desk
metadata: {name: lab}
spec:
  type: tiny
  teams: {first-line: L1, second-line: L2}
  options: {OPTION: "FILE"}
"""


@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A directory that holds the desk package and its dist-info, as pip installs a wheel."""
    root = tmp_path / "site"
    package = root / "escalada_tinydesk"
    package.mkdir(parents=True)
    (package / "__init__.py").write_text(PACKAGE, encoding="utf-8")
    (package / "connector.py").write_text(CONNECTOR, encoding="utf-8")
    info = root / "escalada_tinydesk-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: escalada-tinydesk\nVersion: 0.1\n", encoding="utf-8"
    )
    (info / "entry_points.txt").write_text(
        "[escalada.desks]\ntiny = escalada_tinydesk:DESK\n", encoding="utf-8"
    )
    return root


def escalada(exe: str, site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(site)}
    return subprocess.run(
        [exe, *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def write(tmp_path: Path, option: str = "file") -> tuple[Path, Path]:
    tickets = tmp_path / "tickets.json"
    opened = datetime.now(timezone.utc) - timedelta(minutes=40)
    row = {"title": "Core switch down", "priority": "P1", "group": "L1", "tags": [], "notes": []}
    rows = [{**row, "key": "T-1", "created": opened.isoformat()}]
    tickets.write_text(json.dumps(rows), encoding="utf-8")
    policy = tmp_path / "policy.yaml"
    text = POLICY.replace("OPTION", option).replace("FILE", str(tickets))
    policy.write_text(text, encoding="utf-8")
    return policy, tickets


def test_a_desk_from_an_entry_point_validates_and_runs_a_cycle(
    escalada_exe: str, site: Path, tmp_path: Path
) -> None:
    policy, tickets = write(tmp_path)
    validated = escalada(escalada_exe, site, "validate", str(policy))
    assert validated.returncode == 0, validated.stdout + validated.stderr
    ran = escalada(escalada_exe, site, "run", "--once", "--policy", str(policy))
    assert ran.returncode == 0, ran.stdout + ran.stderr
    assert "1 desk(s), 1 tickets seen, 1 written, 0 errors" in ran.stdout
    [row] = json.loads(tickets.read_text(encoding="utf-8"))
    assert row["group"] == "L2"  # assigned to the mapped group of second-line
    assert len(row["notes"]) == 1 and any(t.startswith("escalada") for t in row["tags"])
    again = escalada(escalada_exe, site, "run", "--once", "--policy", str(policy))
    assert again.returncode == 0 and ", 0 written, " in again.stdout


def test_its_options_are_validated_from_the_registry(
    escalada_exe: str, site: Path, tmp_path: Path
) -> None:
    policy, _ = write(tmp_path, option="fiel")
    validated = escalada(escalada_exe, site, "validate", str(policy))
    assert validated.returncode == 1
    rows = policy.read_text(encoding="utf-8").splitlines()
    at = next(f"{n}:{row.index('fiel') + 1}" for n, row in enumerate(rows, 1) if "fiel:" in row)
    assert (
        f"{policy}:{at}: error desk-option unknown key `fiel` in spec.options" in validated.stdout
    )
    assert "did you mean `file`?" in validated.stdout


def test_without_the_package_the_type_is_unknown(escalada_exe: str, tmp_path: Path) -> None:
    policy, _ = write(tmp_path)
    validated = escalada(escalada_exe, tmp_path / "nothing", "validate", str(policy))
    assert validated.returncode == 1 and "tiny" in validated.stdout


def test_the_schema_lists_an_installed_desk_and_its_options(escalada_exe: str, site: Path) -> None:
    printed = escalada(escalada_exe, site, "schema", "desk")
    assert printed.returncode == 0, printed.stderr
    schema = json.loads(printed.stdout)
    assert "tiny" in schema["properties"]["spec"]["properties"]["type"]["enum"]
    assert set(schema["$defs"]["tinyOptions"]["properties"]) == {"file"}


def test_the_registry_skips_a_broken_or_clashing_entry_point(
    site: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """In this process: the tiny desk loads; an entry point that fails to import,
    one that is no DeskKind and one that takes a built-in's type are logged and
    skipped, and the built-ins stay."""
    from escalada.connectors import registry

    info = site / "escalada_tinydesk-0.1.dist-info" / "entry_points.txt"
    info.write_text(
        "[escalada.desks]\ntiny = escalada_tinydesk:DESK\nbroken = escalada_nosuch:DESK\n"
        "odd = escalada_tinydesk:PACKAGE_NAME\nclash = escalada_tinydesk:CLASH\n",
        encoding="utf-8",
    )
    init = site / "escalada_tinydesk" / "__init__.py"
    init.write_text(
        init.read_text(encoding="utf-8")
        + "PACKAGE_NAME = 'escalada_tinydesk'\n"
        + "CLASH = DeskKind(type='jira', title='Not Jira', connector='x:Y')\n",
        encoding="utf-8",
    )
    monkeypatch.syspath_prepend(str(site))
    registry.desk_kinds.cache_clear()
    try:
        kinds = registry.desk_kinds()
        assert list(kinds) == ["jira", "zendesk", "servicenow", "sandbox", "tiny"]
        assert kinds["jira"] is registry.BUILTIN[0]
        assert [k.type for k in registry.installed()] == ["tiny"]
        assert registry.desk_kind("tiny").connector == "escalada_tinydesk.connector:TinyConnector"
        logged = caplog.text
        assert "broken (escalada_nosuch:DESK) failed to load" in logged
        assert "odd (escalada_tinydesk:PACKAGE_NAME) is not a DeskKind" in logged
        assert "clash: desk type 'jira' is taken" in logged
    finally:
        registry.desk_kinds.cache_clear()
        import sys

        sys.modules.pop("escalada_tinydesk", None)


def test_an_unknown_desk_type_is_a_user_error() -> None:
    from escalada.connectors.registry import desk_kind
    from escalada.errors import EscaladaError

    with pytest.raises(EscaladaError, match="no desk type 'jra'") as raised:
        desk_kind("jra")
    assert "jira, zendesk, servicenow, sandbox" in str(raised.value.hint)
