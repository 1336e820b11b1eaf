"""ServiceNow SLA definitions (`contract_sla`) from the policy's SLA semantics:
the pause condition from the policy's pausing statuses, and the start condition
of a service level's definitions.

Pausing: `pause_condition` is `stateIN<the desk states whose normalized status
pauses>`, `when_to_resume: no_match` ("The SLA resumes when the task record no
longer matches the pause condition", ServiceNowDocs
markdown/application-development/servicenow-sdk/fluent-sla-api.md, `whenTo`).

Service levels: ServiceNow attaches every SLA definition whose start condition
matches (c_SLAConditions.md: "for an SLA to attach to a task, the start
conditions must match and stop conditions must not match"), where escalada's
first service level that matches wins. So each level's definitions carry its
condition and exclude the earlier levels', and the matrix's exclude them all.
Encoded queries (platform-user-interface/c_EncodedQueryStrings.md): `^` is AND,
`^OR` joins the condition before it, `IN` a list, `LIKE` a substring, a
dot-walk reaches a referenced record's field (`caller_id.company.name`); the
negations `!=`, `NOT IN`, `NOT LIKE` are in the operator list
(api-reference/server-api-reference/GlideQueryGlobalAPI.md)."""

from __future__ import annotations

from escalada.connectors.servicenow.options import Options
from escalada.connectors.slaterms import Exclusive
from escalada.connectors.slaterms import Term

_UNSAFE = ("^", ",")


def pause_condition(options: Options, pausing: frozenset[str]) -> str:
    """`stateIN3` for the base system's On Hold when `pending` pauses; empty when none does."""
    states = [value for value, status in options.states.items() if status in pausing]
    return f"stateIN{','.join(states)}" if states else ""


def organization_column(options: Options) -> str | None:
    """The column a service level's organisation is compared with: the name of the
    base system's company reference (`caller_id.company` -> `caller_id.company.name`),
    any other `organization_field` as written."""
    column = options.organization_field
    if column is None:
        return None
    if column == "company" or column.endswith(".company"):
        return f"{column}.name"
    return column


def term_query(options: Options, term: Term) -> str | None:
    """One term as an encoded-query condition, or None when the desk cannot say it."""
    if any(c in v for v in term.values for c in _UNSAFE):
        return None
    if term.field == "tag":
        if options.tags_field is None:
            return None
        op = "NOT LIKE" if term.negated else "LIKE"
        return f"{options.tags_field}{op}{term.values[0]}"
    column = organization_column(options)
    if column is None:
        return None
    if len(term.values) == 1:
        return f"{column}{'!=' if term.negated else '='}{term.values[0]}"
    return f"{column}{'NOT IN' if term.negated else 'IN'}{','.join(term.values)}"


def level_query(options: Options, entry: Exclusive) -> str | None:
    """The level's own conditions AND NOT each earlier level's, or None."""
    parts: list[str] = []
    for term in entry.own:
        found = term_query(options, term)
        if found is None:
            return None
        parts.append(found)
    for earlier in entry.excluded:
        # not (a and b) = not a or not b
        negated = [term_query(options, term.negate()) for term in earlier]
        if any(n is None for n in negated):
            return None
        parts.append("^OR".join(n for n in negated if n is not None))
    return "^".join(parts)
