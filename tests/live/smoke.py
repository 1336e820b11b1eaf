"""The policy the live smoke test runs against a real desk (tests/live/test_smoke.py).

Built from environment variables, one set per desk (ESCALADA_LIVE_<DESK>_...):

    JIRA        URL, EMAIL, TOKEN, SCOPE (JQL, required), TEAM (a group), OPTIONS (JSON, e.g.
                {"team_field": "customfield_10050", "project": "SD"}), PRIORITIES (JSON,
                default {"P1": "Highest", "P2": "High"})
    ZENDESK     URL, EMAIL, TOKEN, SCOPE (default ticket_type:incident), TEAM (a group),
                OPTIONS, PRIORITIES (default {"P1": "urgent", "P2": "high"})
    SERVICENOW  URL, USER, PASSWORD, SCOPE (default active=true), TEAM (a group), OPTIONS,
                PRIORITIES (default {"P1": "1", "P2": "2"})

A desk runs when its URL is set; then every variable without a default must be."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

DESKS = ("jira", "zendesk", "servicenow")
AUTH = {
    "jira": {"email": "EMAIL", "token": "TOKEN"},
    "zendesk": {"email": "EMAIL", "token": "TOKEN"},
    "servicenow": {"user": "USER", "password": "PASSWORD"},
}
DEFAULTS = {
    "jira": {"PRIORITIES": '{"P1": "Highest", "P2": "High"}'},
    "zendesk": {"SCOPE": "ticket_type:incident", "PRIORITIES": '{"P1": "urgent", "P2": "high"}'},
    "servicenow": {"SCOPE": "active=true", "PRIORITIES": '{"P1": "1", "P2": "2"}'},
}
COMMON = """\
apiVersion: escalada/v1
kind: PriorityMatrix
metadata: {name: default}
spec:
  impact: [high, low]
  urgency: [high, low]
  matrix:
    high: [P1, P2]
    low: [P2, P2]
  priorities:
    P1: {title: Critical, respond_within: 15m, resolve_within: 4h, calendar: 24x7}
    P2: {title: High, respond_within: 1h, resolve_within: 8h, calendar: 24x7}
---
apiVersion: escalada/v1
kind: Team
metadata: {name: smoke-team}
spec: {description: The group the live smoke test maps its one team to}
---
apiVersion: escalada/v1
kind: EscalationPath
metadata: {name: smoke}
spec:
  precedence: 0
  calendar: 24x7
  levels:
    - team: smoke-team
    - team: smoke-team
      after: 1h
      unless: responded
      actions: [comment]
"""


def var(desk: str, name: str) -> str:
    return f"ESCALADA_LIVE_{desk.upper()}_{name}"


def configured(desk: str, environ: Mapping[str, str]) -> bool:
    return bool(environ.get(var(desk, "URL")))


def missing(desk: str, environ: Mapping[str, str]) -> list[str]:
    needed = ["URL", *AUTH[desk].values(), "SCOPE", "TEAM"]
    return [
        var(desk, n) for n in needed if not (environ.get(var(desk, n)) or DEFAULTS[desk].get(n))
    ]


def write_policy(desk: str, environ: Mapping[str, str], directory: Path) -> str:
    """Write the smoke policy for `desk` into `directory`; the Desk's name."""

    def get(name: str) -> str:
        return environ.get(var(desk, name)) or DEFAULTS[desk].get(name, "")

    name = f"live-{desk}"
    spec = {
        "type": desk,
        "url": get("URL"),
        "auth": {key: {"env": var(desk, n)} for key, n in AUTH[desk].items()},
        "scope": get("SCOPE"),
        "priorities": json.loads(get("PRIORITIES")),
        "teams": {"smoke-team": get("TEAM")},
        "options": json.loads(get("OPTIONS") or "{}"),
    }
    document = {
        "apiVersion": "escalada/v1",
        "kind": "Desk",
        "metadata": {"name": name},
        "spec": spec,
    }
    (directory / "policy.yaml").write_text(
        COMMON + "---\n" + json.dumps(document, indent=1) + "\n", encoding="utf-8"
    )
    return name
