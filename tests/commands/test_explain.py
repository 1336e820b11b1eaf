from __future__ import annotations

import json

from escalada.commands.explain import RENDERERS
from escalada.commands.explain import as_json
from escalada.commands.explain import explain
from escalada.commands.explain import render_text
from escalada.ticket import Requester
from tests.engine.fixtures import at
from tests.engine.fixtures import policy
from tests.engine.fixtures import state
from tests.engine.fixtures import ticket

P = policy()


def test_json_has_exactly_the_contract_fields() -> None:
    t = ticket(escalation=state("critical-outage", 1, "2026-11-23T09:15:00Z"))
    out = json.loads(RENDERERS["json"](explain(P, t, at("2026-11-23T12:02:00Z"))))
    assert list(out) == ["ticket", "priority", "path", "level", "team", "actions", "next"]
    assert (out["ticket"], out["priority"], out["path"], out["level"], out["team"]) == (
        "SD-123",
        "P1",
        "critical-outage",
        2,
        "network-architects",
    )
    assert [a["type"] for a in out["actions"]] == ["comment", "mark", "notify"]
    assert all(a["reason"] for a in out["actions"])
    assert out["actions"][1]["state"] == {
        "path": "critical-outage",
        "level": 2,
        "since": "2026-11-23T12:02:00Z",
        "updated": None,
        "asked": False,
        "pending": False,
        "history": ["critical-outage:2"],
    }
    assert out["actions"][2]["channels"] == ["net"]
    assert out["next"] == {"level": 3, "at": "2026-11-23T16:00:00Z"}


def test_json_for_a_ticket_on_no_path() -> None:
    out = as_json(explain(P, ticket(status="closed"), at("2026-11-23T12:02:00Z")))
    assert out == {
        "ticket": "SD-123",
        "priority": "P1",
        "path": None,
        "level": 0,
        "team": None,
        "actions": [],
        "next": None,
    }


def test_text_is_a_short_timeline() -> None:
    t = ticket(escalation=state("critical-outage", 1, "2026-11-23T09:15:00Z"))
    text = render_text(explain(P, t, at("2026-11-23T12:02:00Z")))
    lines = text.splitlines()
    assert lines[0] == 'SD-123 "VPN down for Stockholm office" at 2026-11-23 12:02Z'
    assert lines[1] == "  opened    2026-11-23 09:00Z, 3h02m ago (business time: 24x7 3h02m)"
    assert "  priority  P1 = impact extensive x urgency critical" in lines
    assert (
        "  path      critical-outage (precedence 100: priority in [P1, P2] and tags contains "
        "outage)"
    ) in lines
    assert "  state     L1 on critical-outage since 2026-11-23 09:15Z" in lines
    levels = [line for line in lines if " L" in line[:20] and line[2] in " >"]
    assert [line[:30].rstrip() for line in levels] == [
        "    ✓       L0 service-desk",
        "    ✓       L1 network-l2",
        "  > due     L2 network-archite",
        "    pending L3 it-management",
    ]
    assert "12:00Z" in levels[2] and "75% of the 4h resolve target for P1" in levels[2]
    assert "  triggers  none fired" in lines
    assert "  now       comment, mark L2 on critical-outage, notify net" in lines
    assert lines[-1] == "  next      L3 it-management at 2026-11-23 16:00Z (in 3h58m)"
    assert len(lines) <= 16


def test_text_names_triggers_moves_priority_and_the_shift() -> None:
    t = ticket(
        priority="P3",
        description="personal data exposed",
        requester=Requester("Acme AB", vip=True),
    )
    text = render_text(explain(policy(managed=True), t, at("2026-11-23T09:20:00Z")))
    assert (
        "priority  P1 from impact extensive x urgency critical; the ticket says P3: corrected "
        "(managed)"
    ) in text
    assert "path      compliance (matched critical-outage, precedence 100:" in text
    assert "moved critical-outage -> compliance (data-protection))" in text
    assert "data-protection (path compliance) -> moved to path compliance" in text
    assert "now       set priority P1, assign to compliance, comment, mark L0 on compliance" in text


def test_text_for_a_rotation_shows_who_is_on_shift() -> None:
    fresh = ticket(created=at("2026-11-23T23:00:00Z"))
    text = render_text(explain(P, fresh, at("2026-11-23T23:05:00Z")))
    assert "team      service-desk-apac (rotation service-desk: no region open; apac opens " in text


def test_text_for_an_unmanaged_disagreement_and_a_stopped_level() -> None:
    t = ticket(priority="P2", responded=at("2026-11-23T09:05:00Z"))
    text = render_text(explain(P, t, at("2026-11-23T09:20:00Z")))
    assert (
        "P2 as written (the matrix gives P1 for impact extensive x urgency critical; not " in text
    )
    assert "stopped L1 network-l2" in text
    assert "(responded before it fell due)" in text


def test_explain_fills_the_decision_timeline() -> None:
    assessment = explain(P, ticket(), at("2026-11-23T09:05:00Z"))
    assert assessment.decision.timeline[0].startswith("  opened")
    assert assessment.decision.timeline[-1].startswith("  next      L1 network-l2 at")
