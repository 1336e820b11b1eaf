"""How a ServiceNow Desk is read: its options (`spec.options`, validated), the
candidate query and the fields a candidate read asks for."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field

from escalada.connectors.kind import DeskOption
from escalada.connectors.kind import FixedValues
from escalada.errors import EscaladaError
from escalada.policy.model import Desk
from escalada.ticket import STATUSES
from escalada.ticket import Status

MAX_PAGE = 10_000  # rows per Table API call (desk-apis.md §3.2)
STAMP = "%Y-%m-%d %H:%M:%S"  # Table API date-times, UTC
# Base-system incident states (desk-apis.md §3.5): 6 Resolved, 7 Closed, 8 Canceled.
DEFAULT_STATES: Mapping[str, Status] = {
    "1": "open",
    "2": "open",
    "3": "on-hold",  # On Hold (desk-apis.md §3.5)
    "6": "resolved",
    "7": "closed",
    "8": "closed",
}
NEW_STATE = "1"
# The base system's choices (desk-apis.md §3.5): impact and urgency 1 High,
# 2 Medium, 3 Low; priority 1 Critical, 2 High, 3 Moderate, 4 Low, 5 Planning.
IMPACT_URGENCY = ("1", "2", "3")
PRIORITY_VALUES = ("1", "2", "3", "4", "5")
OPTIONS: dict[str, DeskOption] = {
    "table": DeskOption("string", "The table of tickets, e.g. incident.", default="incident"),
    "marker_field": DeskOption(
        "string",
        "A field that keeps escalada's escalation marker, e.g. u_escalada (default: the "
        "work notes).",
    ),
    "page_size": DeskOption(
        "integer",
        "Rows per Table API call (1 to 10000).",
        default=MAX_PAGE,
        minimum=1,
        maximum=MAX_PAGE,
    ),
    "responded_field": DeskOption(
        "string", "The field that holds the first response time, e.g. u_responded_at."
    ),
    "states": DeskOption(
        "object",
        "The table's state value -> open, pending, on-hold, resolved or closed (default: the "
        "base system's incident states).",
        default=DEFAULT_STATES,
        contents={
            "additionalProperties": {
                "enum": list(STATUSES),
                "description": "open, pending, on-hold, resolved or closed.",
            }
        },
    ),
    "tags_field": DeskOption(
        "string",
        "The field read as the ticket's tags; null: none.",
        nullable=True,
        default="sys_tags",
    ),
    "vip_field": DeskOption(
        "string",
        "The field read as the requester's VIP flag; null: none.",
        nullable=True,
        default="caller_id.vip",
    ),
    "organization_field": DeskOption(
        "string",
        "The field read as the requester's organization; null: none.",
        nullable=True,
        default="caller_id.company",
    ),
    "manage_priority_lookup": DeskOption(
        "boolean",
        "true: `escalada apply` makes the instance's Priority Lookup Rules (impact x "
        "urgency -> priority) match the matrix; false: they are left alone.",
        default=False,
    ),
    "user": DeskOption(
        "string", "The account's user name, for `escalada desks check` under OAuth."
    ),
}

_UNSAFE = ("^", ",")  # an encoded query cannot carry these inside a value


@dataclass(frozen=True, slots=True)
class Options:
    """`spec.options` of a servicenow Desk, validated."""

    table: str = "incident"
    marker_field: str | None = None
    page_size: int = MAX_PAGE
    responded_field: str | None = None
    states: Mapping[str, Status] = field(default_factory=lambda: dict(DEFAULT_STATES))
    tags_field: str | None = "sys_tags"
    vip_field: str | None = "caller_id.vip"
    organization_field: str | None = "caller_id.company"
    manage_priority_lookup: bool = False
    user: str | None = None  # the account name for `desks check` under OAuth

    @property
    def done_states(self) -> tuple[str, ...]:
        return tuple(v for v, s in self.states.items() if s in ("resolved", "closed"))


def parse_options(desk: Desk) -> Options:
    raw = dict(desk.options)
    where = str(desk.where) if desk.where.line else f"desk {desk.name!r}"
    unknown = sorted(set(raw) - set(OPTIONS))
    if unknown:
        raise EscaladaError(
            f"unknown servicenow option(s) {', '.join(unknown)}",
            where=where,
            hint=f"known options: {', '.join(OPTIONS)}",
        )
    size = raw.get("page_size", MAX_PAGE)
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= MAX_PAGE:
        raise EscaladaError(
            f"options.page_size {size!r} is out of range",
            where=where,
            hint=f"ServiceNow returns at most {MAX_PAGE} rows per call; use 1..{MAX_PAGE}",
        )
    states = raw.get("states", DEFAULT_STATES)
    if not isinstance(states, Mapping) or any(s not in STATUSES for s in states.values()):
        raise EscaladaError(
            f"options.states {states!r} must map state values to {', '.join(STATUSES)}",
            where=where,
            hint='e.g. states: {"1": open, "2": open, "3": on-hold, "6": resolved, "7": closed}',
        )
    for name in ("table", "marker_field", "responded_field", "tags_field", "user"):
        if name in raw and raw[name] is not None and not isinstance(raw[name], str):
            raise EscaladaError(f"options.{name} must be a string", where=where)
    for name in ("vip_field", "organization_field"):
        if name in raw and raw[name] is not None and not isinstance(raw[name], str):
            raise EscaladaError(f"options.{name} must be a field name or null", where=where)
    values = {k: v for k, v in raw.items() if k not in ("states", "page_size")}
    return Options(
        **values,
        page_size=size,
        states={str(k): v for k, v in states.items()},
    )


def query_safe(value: str, what: str) -> str:
    if any(c in value for c in _UNSAFE):
        raise EscaladaError(
            f"{what} {value!r} contains '^' or ',', which an encoded query cannot carry",
            hint="rename it on the desk or map another value",
        )
    return value


def candidate_query(desk: Desk, options: Options) -> str:
    """The Desk's scope AND active AND not resolved/closed/canceled.

    `active=true` is indexed and drops closed and canceled incidents cheaply;
    resolved incidents stay active in the base system, so the state filter is
    needed too. pysnc appends ORDERBYsys_id: a unique key, so offset paging
    never repeats or skips a row between pages (unless rows leave the result
    set mid-read: the runner reads every page before writing)."""
    scope = (desk.scope or "").strip()
    if scope.endswith("^EQ"):  # what the UI's "copy query" adds
        scope = scope[: -len("^EQ")]
    for part in ("^NQ", "ORDERBY", "^EQ"):
        if part in scope or scope.startswith(part.lstrip("^")):
            raise EscaladaError(
                f"desk {desk.name!r}: spec.scope contains {part.lstrip('^')}",
                where=str(desk.where) if desk.where.line else None,
                hint="the scope is ANDed with escalada's own conditions and ordering: "
                "write it without ^NQ (a new OR query) and without ORDERBY",
            )
    terms = [scope] if scope else []
    terms.append("active=true")
    if options.done_states:
        terms.append(f"stateNOT IN{','.join(options.done_states)}")
    return "^".join(terms)


def read_fields(desk: Desk, options: Options) -> list[str]:
    """Only what a Ticket needs; every field a write may touch is re-read before it."""
    names = [
        "number",
        "short_description",
        "description",
        "state",
        impact_field(desk),
        urgency_field(desk),
        "priority",
        "assignment_group",
        "assigned_to",
        "opened_at",
        "sys_updated_on",
        "sys_mod_count",
        "resolved_at",
    ]
    for optional in (
        options.tags_field,
        options.vip_field,
        options.organization_field,
        options.responded_field,
        options.marker_field,
    ):
        if optional:
            names.append(optional)
    names.extend(desk.fields.values())
    return list(dict.fromkeys(names))


def impact_field(desk: Desk) -> str:
    return (desk.impact.field if desk.impact else None) or "impact"


def urgency_field(desk: Desk) -> str:
    return (desk.urgency.field if desk.urgency else None) or "urgency"


def fixed_values(desk: Desk) -> Mapping[str, FixedValues]:
    """The base system's choice values of priority, and of impact and urgency
    where the Desk maps the native fields; warnings, since an admin can add
    choices on the instance."""
    base = "in the base system ServiceNow's"
    found = {
        "priorities": FixedValues(
            PRIORITY_VALUES,
            f"{base} priority is 1 Critical, 2 High, 3 Moderate, 4 Low or 5 Planning",
            "warning",
        )
    }
    if impact_field(desk) == "impact":
        found["impact"] = FixedValues(
            IMPACT_URGENCY, f"{base} impact is 1 High, 2 Medium or 3 Low", "warning"
        )
    if urgency_field(desk) == "urgency":
        found["urgency"] = FixedValues(
            IMPACT_URGENCY, f"{base} urgency is 1 High, 2 Medium or 3 Low", "warning"
        )
    return found
