"""The PolicyTest kind: a ticket as it stands at an instant, and what the
policy should decide for it. The ticket has the normalized ticket's shape
(`escalada.ticket.Ticket`), as `explain` takes it."""

from __future__ import annotations

from escalada.schemas.defs import Schema
from escalada.schemas.defs import closed
from escalada.schemas.defs import nullable
from escalada.schemas.defs import ref
from escalada.schemas.defs import string
from escalada.ticket import ACTION_TYPES
from escalada.ticket import STATUSES


def _text_or_null(description: str) -> Schema:
    return {"type": ["string", "null"], "description": description}


POLICY_TEST = closed(
    "A test of the policy: at instant `at`, this ticket should be where `expect` says.",
    {
        "at": ref("dateTime", "The instant the policy is evaluated at."),
        "ticket": ref("ticket", "The ticket as it stands at `at`."),
        "expect": ref("expectation", "What the policy should decide."),
    },
    required=["at", "ticket", "expect"],
)

POLICY_TEST_DEFS: dict[str, Schema] = {
    "ticket": closed(
        "A ticket in the normalized shape every desk is translated into.",
        {
            "desk": string("The Desk it comes from (default: a test desk)."),
            "key": string("The ticket's key, e.g. T-1."),
            "url": string("The ticket's address on its desk."),
            "title": string("The subject line."),
            "description": string("The body text."),
            "status": {
                "enum": list(STATUSES),
                "description": "open, pending, on-hold, resolved or closed.",
            },
            "priority": _text_or_null("The policy priority, e.g. P1."),
            "impact": _text_or_null("The policy impact value."),
            "urgency": _text_or_null("The policy urgency value."),
            "created": ref("dateTime", "When the ticket was opened."),
            "updated": nullable("dateTime", "When the ticket last changed."),
            "responded": nullable("dateTime", "The first agent response, or null."),
            "resolved": nullable("dateTime", "When it was resolved, or null."),
            "team": nullable("name", "The policy team working on it."),
            "assignee": _text_or_null("The assigned agent."),
            "tags": {
                "type": "array",
                "description": "Tags or labels.",
                "items": {"type": "string", "description": "A tag."},
            },
            "requester": closed(
                "Who asked.",
                {
                    "organization": _text_or_null("The requester's organization."),
                    "vip": {"type": "boolean", "description": "true for a VIP requester."},
                },
            ),
            "fields": {
                "type": "object",
                "description": "Custom fields by name (as in `fields.<name>` conditions).",
            },
            "escalation": closed(
                "What escalada has already done to the ticket.",
                {
                    "path": nullable("name", "The EscalationPath it is on."),
                    "level": {
                        "type": "integer",
                        "minimum": 0,
                        "description": "The level announced.",
                    },
                    "since": nullable("dateTime", "When that level was announced."),
                    "updated": nullable("dateTime", "The last stakeholder update."),
                    "history": {
                        "type": "array",
                        "description": "Earlier `path:level` entries, oldest first.",
                        "items": {"type": "string", "description": "A `path:level` entry."},
                    },
                    "asked": {
                        "type": "boolean",
                        "description": "A reason was already requested for an escalation request.",
                    },
                },
            ),
            "latest_comment": _text_or_null("The latest comment (for `reason_from`)."),
            "revision": _text_or_null("The desk's concurrency token, if any."),
            "status_history": {
                "type": "array",
                "description": "The status changes, oldest first: each status held from its "
                "`since` until the next change (or now).",
                "items": closed(
                    "One status change.",
                    {
                        "status": {
                            "enum": list(STATUSES),
                            "description": "The status entered.",
                        },
                        "since": ref("dateTime", "When the ticket entered it."),
                    },
                    required=["status", "since"],
                ),
            },
        },
        required=["key", "created"],
    ),
    "expectation": closed(
        "What the policy should decide; only the keys given are compared.",
        {
            "path": nullable("name", "The governing EscalationPath, or null for none."),
            "level": {"type": "integer", "minimum": 0, "description": "The level."},
            "team": nullable("name", "The team at that level."),
            "priority": _text_or_null("The priority the ticket should have (e.g. P1)."),
            "actions": {
                "type": "array",
                "description": "The action types due now, e.g. [assign, comment, notify].",
                "items": {"enum": list(ACTION_TYPES), "description": "An action type."},
            },
            "next": {
                "description": "The next escalation: {level, at} (either key), or null for none.",
                "anyOf": [
                    closed(
                        "The next level and when it is due.",
                        {
                            "level": {
                                "type": "integer",
                                "minimum": 0,
                                "description": "The next level.",
                            },
                            "at": ref("dateTime", "When it is due."),
                        },
                        minProperties=1,
                    ),
                    {"type": "null"},
                ],
            },
        },
        minProperties=1,
    ),
}

POLICY_TEST_EXAMPLE: Schema = {
    "apiVersion": "escalada/v1",
    "kind": "PolicyTest",
    "metadata": {"name": "p1-outage-unanswered-goes-to-l2"},
    "spec": {
        "at": "2026-11-23T10:00:00Z",
        "ticket": {
            "key": "T-1",
            "priority": "P1",
            "status": "open",
            "created": "2026-11-23T09:40:00Z",
            "tags": ["outage"],
        },
        "expect": {
            "path": "critical-outage",
            "level": 1,
            "actions": ["assign", "comment", "notify"],
        },
    },
}
