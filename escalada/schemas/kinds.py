"""The `spec` of each kind, its own definitions, and one example document
(DESIGN.md's) that the tests validate against the generated schema."""

from __future__ import annotations

from escalada.policy.model import LEVEL_ACTIONS
from escalada.schemas.defs import DAY_SPEC_PATTERN
from escalada.schemas.defs import SLA_SHARE_PATTERN
from escalada.schemas.defs import TIME_RANGE_PATTERN
from escalada.schemas.defs import Schema
from escalada.schemas.defs import names
from escalada.schemas.defs import ref
from escalada.schemas.defs import string
from escalada.schemas.defs import string_map
from escalada.schemas.testkind import POLICY_TEST
from escalada.schemas.testkind import POLICY_TEST_DEFS
from escalada.schemas.testkind import POLICY_TEST_EXAMPLE


def closed(description: str, properties: dict[str, Schema], **extra: object) -> Schema:
    """An object with exactly these properties (typos are errors)."""
    return {
        "type": "object",
        "description": description,
        "properties": properties,
        "additionalProperties": False,
        **extra,
    }


def values(description: str) -> Schema:
    return {
        "type": "array",
        "description": description,
        "items": {"type": "string", "minLength": 1, "description": "A value name."},
        "minItems": 1,
        "uniqueItems": True,
    }


PRIORITY_MATRIX = closed(
    "Priorities, derived from impact x urgency, and their SLA targets.",
    {
        "impact": values("Impact values, highest first."),
        "urgency": values("Urgency values, highest first."),
        "matrix": {
            "type": "object",
            "description": "One row per impact value: the priority for each urgency, "
            "in the order of `urgency`.",
            "minProperties": 1,
            "additionalProperties": {
                "type": "array",
                "description": "Priority names, one per urgency value.",
                "items": {"type": "string", "description": "A priority name."},
                "minItems": 1,
            },
        },
        "priorities": {
            "type": "object",
            "description": "Each priority (highest first) and its SLA targets.",
            "minProperties": 1,
            "additionalProperties": ref("priority"),
        },
        "manage_priority": {
            "type": "boolean",
            "default": False,
            "description": "true: a ticket whose priority disagrees with impact x urgency "
            "gets its priority corrected (a set_priority action).",
        },
    },
    required=["impact", "urgency", "matrix", "priorities"],
)

PRIORITY_MATRIX_DEFS: dict[str, Schema] = {
    "priority": closed(
        "A priority's title and SLA targets, measured in business time on its calendar.",
        {
            "title": string("A human name for the priority, e.g. Critical."),
            "respond_within": ref("duration", "First response target."),
            "resolve_within": ref("duration", "Resolution target."),
            "update_every": ref(
                "duration", "How often stakeholders get an update while escalated."
            ),
            "calendar": ref("name", "The Calendar that measures the targets (`24x7` is built in)."),
        },
    )
}

CALENDAR = closed(
    "Open hours and holidays, in one time zone; business time counts only open hours.",
    {
        "timezone": string(
            "An IANA time zone name: Europe/Stockholm, America/New_York, UTC.",
            pattern=r"^[A-Za-z][A-Za-z0-9_+-]*(/[A-Za-z0-9_+-]+)*$",
            examples=["Europe/Stockholm"],
        ),
        "hours": {
            "type": "object",
            "description": 'Open hours per day: `mon-fri: "08:00-17:00"`; several ranges '
            "as a list; a shift across midnight is two ranges on two days.",
            "minProperties": 1,
            "propertyNames": ref("daySpec"),
            "additionalProperties": ref("hoursValue"),
        },
        "holidays": closed(
            "Closed days: a country's public holidays and extra dates.",
            {
                "country": string(
                    "ISO 3166 country code, upper case, quoted if YAML could read it as "
                    'a boolean ("NO"): SE, US, GB.',
                    pattern="^[A-Z]{2}$",
                ),
                "subdivision": string(
                    "A state or region code within the country (e.g. CA, BY).", minLength=1
                ),
                "dates": {
                    "type": "array",
                    "description": "Extra closed days.",
                    "items": ref("date"),
                    "uniqueItems": True,
                },
            },
        ),
    },
    required=["timezone", "hours"],
)

CALENDAR_DEFS: dict[str, Schema] = {
    "daySpec": {
        "title": "DaySpec",
        "type": "string",
        "pattern": DAY_SPEC_PATTERN,
        "description": "Days: mon..sun, a range like mon-fri, a list like sat,sun, or daily.",
    },
    "timeRange": {
        "title": "TimeRange",
        "type": "string",
        "pattern": TIME_RANGE_PATTERN,
        "description": "Open hours as HH:MM-HH:MM, e.g. 08:00-17:00 (24:00 allowed as an end).",
    },
    "hoursValue": {
        "description": "A time range HH:MM-HH:MM, or a list of them.",
        "anyOf": [
            ref("timeRange"),
            {"type": "array", "items": ref("timeRange"), "minItems": 1},
        ],
    },
}

TEAM = closed(
    "A team that tickets escalate to; optionally a follow-the-sun rotation.",
    {
        "description": string("What the team does."),
        "rotation": {
            "type": "array",
            "description": "Regional teams, each on its own calendar; the one on shift "
            "takes the work.",
            "minItems": 1,
            "items": closed(
                "A regional team and the calendar of its shift.",
                {
                    "team": ref("name", "The regional Team."),
                    "calendar": ref("name", "The Calendar of its shift."),
                },
                required=["team", "calendar"],
            ),
        },
        "notify": names("Channels told when a ticket escalates to this team."),
    },
)

CHANNEL = closed(
    "Where notifications go.",
    {
        "type": {
            "enum": ["slack", "teams", "webhook"],
            "description": "slack, teams (Microsoft Teams) or webhook (a JSON POST).",
        },
        "url": ref("secret", "The webhook URL, as a secret: {env: NAME} or {file: PATH}."),
    },
    required=["type", "url"],
)

ESCALATION_PATH = closed(
    "Ordered levels a ticket climbs, and triggers that move it at once.",
    {
        "match": ref("condition", "Which tickets this path governs; leave out to match all."),
        "precedence": {
            "type": "integer",
            "default": 0,
            "description": "The highest-precedence matching path governs a ticket.",
        },
        "calendar": ref(
            "name", "The Calendar that measures `after:` here (default: the priority's)."
        ),
        "levels": {
            "type": "array",
            "description": "Level 0 is where tickets start; each later level has `after` or `at`.",
            "minItems": 1,
            "items": ref("level"),
        },
        "triggers": {
            "type": "array",
            "description": "Conditions that escalate at once, each with a written reason.",
            "items": ref("trigger"),
        },
    },
    required=["levels"],
)

ESCALATION_PATH_DEFS: dict[str, Schema] = {
    "level": closed(
        "A level: its team, when a ticket reaches it, and what happens then.",
        {
            "team": ref("name", "The Team at this level."),
            "after": ref("duration", "Business time since the ticket was opened."),
            "at": string(
                "A share of the priority's SLA target: `75% resolve`, `50% respond`.",
                pattern=SLA_SHARE_PATTERN,
                examples=["75% resolve"],
            ),
            "unless": {
                "enum": ["responded", "resolved"],
                "description": "Skip this level once the ticket is responded to / resolved.",
            },
            "actions": {
                "type": "array",
                "description": "What reaching the level does (default: comment, notify; "
                "`assign` also reassigns).",
                "items": {"enum": list(LEVEL_ACTIONS), "description": "An action."},
                "uniqueItems": True,
                "default": ["comment", "notify"],
            },
            "message": string(
                "The comment for this level, a template with $placeholders (e.g. $ticket, $reason)."
            ),
        },
        required=["team"],
        **{"not": {"required": ["after", "at"]}},
    ),
    "trigger": closed(
        "An immediate escalation: a condition, where to go, and why.",
        {
            "name": ref("name", "The trigger's name, shown in reasons."),
            "if": ref("condition", "When the trigger fires."),
            "goto": {
                "description": "The level to jump to (0, 1, ...) or `next`.",
                "anyOf": [{"type": "integer", "minimum": 0}, {"const": "next"}],
            },
            "path": ref("name", "Another EscalationPath to move the ticket to."),
            "reason": string("Why, written on the ticket.", minLength=1),
            "reason_from": {
                "enum": ["latest_comment"],
                "description": "Take the reason from the ticket's latest comment; a "
                "request without one is answered with a request for a reason.",
            },
        },
        required=["name", "if"],
        oneOf=[{"required": ["goto"]}, {"required": ["path"]}],
        anyOf=[{"required": ["reason"]}, {"required": ["reason_from"]}],
    ),
}

DESK = closed(
    "A service desk escalada reads tickets from and reconciles configuration into.",
    {
        "type": {
            "enum": ["jira", "zendesk", "servicenow", "sandbox"],
            "description": "jira (Jira Service Management), zendesk, servicenow, or sandbox "
            "(the embedded demo desk).",
        },
        "url": string(
            "The desk's base URL, https only, e.g. https://acme.zendesk.com.",
            pattern=r"^https://[^\s/?#]+(/\S*)?$",
            format="uri",
        ),
        "auth": {
            "type": "object",
            "description": "Credentials by name (e.g. email, token), each a secret: "
            "{env: NAME} or {file: PATH}.",
            "additionalProperties": ref("secret"),
        },
        "scope": string(
            "A desk-native filter for the tickets escalada handles (JQL, a Zendesk "
            "search, a ServiceNow encoded query)."
        ),
        "priorities": string_map("Policy priority -> the desk's value.", "The desk's value."),
        "impact": ref("valueMapping", "Policy impact values -> the desk field and values."),
        "urgency": ref("valueMapping", "Policy urgency values -> the desk field and values."),
        "teams": string_map(
            "Policy team -> the desk's group (verified, never created).",
            "The desk's group name.",
            propertyNames=ref("name"),
        ),
        "fields": string_map(
            "Custom field name (as used in `fields.<name>`) -> the desk's field id.",
            "The desk's field id.",
        ),
        "options": {
            "type": "object",
            "description": "Settings for this desk type: jira {team_field, team_mode, "
            "comment_api, project}; zendesk {safe_update}; servicenow {table, "
            "marker_field}; sandbox {path}.",
        },
    },
    required=["type"],
    allOf=[
        {
            "if": {"properties": {"type": {"const": "sandbox"}}, "required": ["type"]},
            "else": {
                "required": ["url"],
                "description": "Every desk but the sandbox needs its base URL, e.g. "
                "https://acme.zendesk.com.",
            },
        },
        *(
            {
                "if": {"properties": {"type": {"const": kind}}, "required": ["type"]},
                "then": {"properties": {"options": ref(f"{kind}Options")}},
            }
            for kind in ("jira", "zendesk", "servicenow", "sandbox")
        ),
    ],
)

DESK_DEFS: dict[str, Schema] = {
    "valueMapping": closed(
        "A policy value list mapped onto a desk field.",
        {
            "field": string("The desk's field id, e.g. 360001111 or customfield_10004."),
            "values": string_map("Policy value -> the desk's value.", "The desk's value."),
        },
        required=["values"],
    ),
    "jiraOptions": closed(
        "Jira Service Management settings.",
        {
            "team_field": string("The field that holds the team, e.g. customfield_10001."),
            "team_mode": {
                "enum": ["field", "component", "assignee"],
                "description": "How a team is set on an issue: a field, a component, or "
                "the assignee.",
            },
            "comment_api": {
                "enum": ["servicedesk", "platform"],
                "description": "servicedesk: internal comments via the JSM API; platform: "
                "the Jira platform comment API.",
            },
            "project": string("The project key, e.g. IT."),
        },
    ),
    "zendeskOptions": closed(
        "Zendesk settings.",
        {
            "safe_update": {
                "type": "boolean",
                "description": "Use safe updates (a 409 when the ticket changed since read).",
            }
        },
    ),
    "servicenowOptions": closed(
        "ServiceNow settings.",
        {
            "table": string("The table of tickets, e.g. incident."),
            "marker_field": string("The field that keeps escalada's marker, e.g. u_escalada."),
        },
    ),
    "sandboxOptions": closed(
        "Sandbox (demo desk) settings.",
        {"path": string("Where the sandbox desk keeps its tickets.")},
    ),
}

SPECS: dict[str, tuple[Schema, dict[str, Schema]]] = {
    "PriorityMatrix": (PRIORITY_MATRIX, PRIORITY_MATRIX_DEFS),
    "Calendar": (CALENDAR, CALENDAR_DEFS),
    "Team": (TEAM, {}),
    "Channel": (CHANNEL, {}),
    "EscalationPath": (ESCALATION_PATH, ESCALATION_PATH_DEFS),
    "Desk": (DESK, DESK_DEFS),
    "PolicyTest": (POLICY_TEST, POLICY_TEST_DEFS),
}


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
            "scope": "type:incident",
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
