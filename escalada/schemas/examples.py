"""One example document per kind (DESIGN.md's), shipped in each schema's
`examples` and validated against it by the tests."""

from __future__ import annotations

from escalada.schemas.defs import Schema
from escalada.schemas.testkind import POLICY_TEST_EXAMPLE


def _doc(kind: str, name: str, spec: Schema) -> Schema:
    return {"apiVersion": "escalada/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


P = {"respond_within": "1h", "resolve_within": "8h", "calendar": "office"}
EXAMPLES: dict[str, Schema] = {
    "PriorityMatrix": _doc(
        "PriorityMatrix",
        "default",
        {
            "impact": ["extensive", "significant", "moderate", "minor"],
            "urgency": ["critical", "high", "medium", "low"],
            "matrix": {
                "extensive": ["P1", "P1", "P2", "P3"],
                "significant": ["P1", "P2", "P3", "P3"],
                "moderate": ["P2", "P3", "P3", "P4"],
                "minor": ["P3", "P4", "P4", "P4"],
            },
            "priorities": {
                "P1": {
                    "title": "Critical",
                    "respond_within": "15m",
                    "resolve_within": "4h",
                    "update_every": "1h",
                    "calendar": "24x7",
                },
                "P2": {"title": "High", **P, "update_every": "4h"},
                "P3": {"title": "Medium", **P, "respond_within": "4h", "resolve_within": "3d"},
                "P4": {"title": "Low", **P, "respond_within": "1d", "resolve_within": "10d"},
            },
        },
    ),
    "Calendar": _doc(
        "Calendar",
        "office",
        {
            "timezone": "Europe/Stockholm",
            "hours": {"mon-fri": "08:00-17:00"},
            "holidays": {"country": "SE", "dates": ["2026-12-24", "2026-12-31"]},
        },
    ),
    "Team": _doc(
        "Team",
        "service-desk",
        {
            "description": "First line, follow-the-sun",
            "rotation": [
                {"team": "service-desk-emea", "calendar": "emea"},
                {"team": "service-desk-amer", "calendar": "amer"},
            ],
            "notify": ["sd-leads"],
        },
    ),
    "Channel": _doc(
        "Channel", "sd-leads", {"type": "slack", "url": {"env": "SLACK_SD_LEADS_WEBHOOK"}}
    ),
    "EscalationPath": _doc(
        "EscalationPath",
        "critical-outage",
        {
            "match": {
                "all": [
                    {"field": "priority", "in": ["P1", "P2"]},
                    {"field": "tags", "contains": "outage"},
                ]
            },
            "precedence": 100,
            "levels": [
                {"team": "service-desk"},
                {
                    "team": "network-l2",
                    "after": "15m",
                    "unless": "responded",
                    "actions": ["assign", "comment", "notify"],
                },
                {
                    "team": "network-architects",
                    "at": "75% resolve",
                    "unless": "resolved",
                    "actions": ["comment", "notify"],
                },
                {"team": "it-management", "after": "2h", "unless": "resolved"},
            ],
            "triggers": [
                {
                    "name": "vip-customer",
                    "if": {"field": "requester.vip", "equals": True},
                    "goto": 2,
                    "reason": "A VIP customer is affected",
                },
                {
                    "name": "data-protection",
                    "if": {"field": "text", "matches": "(?i)gdpr|personal data|breach"},
                    "path": "compliance",
                    "reason": "Possible personal-data incident",
                },
                {
                    "name": "requested",
                    "if": {"field": "tags", "contains": "escalate"},
                    "goto": "next",
                    "reason_from": "latest_comment",
                },
            ],
        },
    ),
    "Desk": _doc(
        "Desk",
        "zendesk-prod",
        {
            "type": "zendesk",
            "url": "https://acme.zendesk.com",
            "auth": {"email": {"env": "ZENDESK_EMAIL"}, "token": {"env": "ZENDESK_API_TOKEN"}},
            "scope": "ticket_type:incident",
            "priorities": {"P1": "urgent", "P2": "high", "P3": "normal", "P4": "low"},
            "impact": {
                "field": "360001111",
                "values": {
                    "extensive": "ext",
                    "significant": "sig",
                    "moderate": "mod",
                    "minor": "min",
                },
            },
            "urgency": {
                "field": "360002222",
                "values": {"critical": "crit", "high": "high", "medium": "med", "low": "low"},
            },
            "teams": {
                "service-desk-emea": "Tier 1 EMEA",
                "network-l2": "Network L2",
                "it-management": "IT Management",
            },
        },
    ),
    "PolicyTest": POLICY_TEST_EXAMPLE,
}
