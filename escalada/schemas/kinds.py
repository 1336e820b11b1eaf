"""The `spec` of each kind and the definitions only it uses."""

from __future__ import annotations

from escalada.policy.model import LEVEL_ACTIONS
from escalada.schemas.defs import CLOSED_DAY_PATTERN
from escalada.schemas.defs import DAY_SPEC_PATTERN
from escalada.schemas.defs import SLA_SHARE_PATTERN
from escalada.schemas.defs import TIME_RANGE_PATTERN
from escalada.schemas.defs import Schema
from escalada.schemas.defs import closed
from escalada.schemas.defs import names
from escalada.schemas.defs import ref
from escalada.schemas.defs import string
from escalada.schemas.deskkind import DESK
from escalada.schemas.deskkind import DESK_DEFS
from escalada.schemas.testkind import POLICY_TEST
from escalada.schemas.testkind import POLICY_TEST_DEFS
from escalada.ticket import PAUSABLE_STATUSES


def pause(description: str) -> Schema:
    return {
        "type": "array",
        "description": description,
        "items": {"enum": list(PAUSABLE_STATUSES), "description": "A status that pauses."},
        "uniqueItems": True,
        "examples": [["pending", "on-hold"], ["pending"], []],
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
        "service_levels": {
            "type": "array",
            "description": "Customers' own targets (a contract, an organisation): the first "
            "service level whose `match` holds gives a ticket its targets; targets it leaves "
            "out are the priority's.",
            "items": ref("serviceLevel"),
        },
        "pause": pause(
            "The statuses that stop the SLA clock and every time threshold (default: "
            "pending and on-hold; [] never pauses). Resolved and closed always do."
        ),
    },
    required=["impact", "urgency", "matrix", "priorities"],
)

TARGETS: dict[str, Schema] = {
    "respond_within": ref("duration", "First response target."),
    "resolve_within": ref("duration", "Resolution target."),
    "update_every": ref("duration", "How often stakeholders get an update while escalated."),
    "calendar": ref("name", "The Calendar that measures the targets (`24x7` is built in)."),
}

PRIORITY_MATRIX_DEFS: dict[str, Schema] = {
    "priority": closed(
        "A priority's title and SLA targets, measured in business time on its calendar.",
        {
            "title": string("A human name for the priority, e.g. Critical."),
            **TARGETS,
            "pause": pause("The statuses that stop this priority's clock (default: the matrix's)."),
        },
    ),
    "serviceLevel": closed(
        "A customer's own targets: which tickets, and the targets per priority.",
        {
            "name": ref("name", "The service level's name, shown in reasons and desk SLAs."),
            "description": string("What the service level is, e.g. the contract it comes from."),
            "match": ref(
                "condition",
                "Which tickets get these targets, e.g. "
                "`{field: requester.organization, equals: Acme Retail}`.",
            ),
            "priorities": {
                "type": "object",
                "description": "Targets per priority name; a priority left out keeps the "
                "matrix's targets.",
                "minProperties": 1,
                "additionalProperties": ref("serviceTargets"),
            },
        },
        required=["name", "match", "priorities"],
    ),
    "serviceTargets": closed(
        "The targets a service level sets for one priority; the rest stay the priority's.",
        TARGETS,
        minProperties=1,
    ),
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
            "as a list; a shift across midnight is two ranges on two days. Without "
            "`hours` the calendar is open around the clock except on its holidays.",
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
                    "description": "Extra closed days: YYYY-MM-DD once, MM-DD every year.",
                    "items": ref("closedDay"),
                    "uniqueItems": True,
                    "examples": [["12-24", "12-31", "2026-05-01"]],
                },
            },
        ),
    },
    required=["timezone"],
)

CALENDAR_DEFS: dict[str, Schema] = {
    "closedDay": {
        "title": "ClosedDay",
        "type": "string",
        "format": "closed-day",
        "pattern": CLOSED_DAY_PATTERN,
        "description": "A closed day: YYYY-MM-DD once, or MM-DD every year (12-24).",
        "examples": ["2026-05-01", "12-24"],
    },
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
        "handover": {
            "type": "boolean",
            "default": False,
            "description": "true: when a region's shift ends, the open tickets a level with "
            "`assign` gave it are reassigned to the region on shift (needs `rotation`).",
        },
    },
    dependentRequired={"handover": ["rotation"]},
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
        "moved_from": names(
            "Names this path had before: tickets marked on them are this path's, so a "
            "rename re-announces nothing."
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
                title="SlaShare",
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
SPECS: dict[str, tuple[Schema, dict[str, Schema]]] = {
    "PriorityMatrix": (PRIORITY_MATRIX, PRIORITY_MATRIX_DEFS),
    "Calendar": (CALENDAR, CALENDAR_DEFS),
    "Team": (TEAM, {}),
    "Channel": (CHANNEL, {}),
    "EscalationPath": (ESCALATION_PATH, ESCALATION_PATH_DEFS),
    "Desk": (DESK, DESK_DEFS),
    "PolicyTest": (POLICY_TEST, POLICY_TEST_DEFS),
}
