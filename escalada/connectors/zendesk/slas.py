"""Zendesk SLA policies from the policy's SLA semantics: which metric measures a
target so that it pauses on the policy's statuses, and the SLA filter of a
service level (organisation and tag conditions, the earlier levels excluded).
Organisations are named on the desired side and ids on the desk: `named_filter`
reads, `filter_with_ids` writes."""

from __future__ import annotations

import math
from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from escalada.connectors.slaterms import Exclusive
from escalada.connectors.slaterms import Term
from escalada.connectors.slaterms import pausing_statuses
from escalada.connectors.zendesk.client import ZendeskClient
from escalada.connectors.zendesk.tickets import PRIORITIES
from escalada.errors import EscaladaError
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.policy.model import Priority

TARGETS = ("respond_within", "update_every", "resolve_within")  # the order metrics are listed


def resolve_metric(pausing: frozenset[str]) -> tuple[str, str | None]:
    """The Zendesk metric whose clock stops on the same statuses as the policy's,
    and a note when none does exactly.

    Zendesk's metric definitions (Ticket metric event types reference,
    developer.zendesk.com/documentation/ticketing/reference-guides/ticket-metric-event-types-reference:
    "the requester_wait_time metric is paused when the ticket status is pending",
    "the agent_work_time metric is paused when the ticket status is pending or
    on-hold"; total resolution time counts new, open, pending and on-hold alike,
    i.e. never pauses, per the metric definitions GitLab's support handbook
    quotes from Zendesk: handbook.gitlab.com/handbook/security/
    customer-support-operations/zendesk/metrics-definitions)."""
    if pausing == {"pending", "on-hold"}:
        return "agent_work_time", None
    if pausing == {"pending"}:
        return "requester_wait_time", None
    if not pausing:
        return "total_resolution_time", None
    metric = "agent_work_time" if "on-hold" in pausing else "requester_wait_time"
    if not pausing & {"pending", "on-hold"}:
        metric = "total_resolution_time"
    return metric, (
        f"no Zendesk resolution metric pauses on exactly {', '.join(sorted(pausing))}: "
        f"{metric} is the closest; the runner pauses as the policy says"
    )


def update_metric(pausing: frozenset[str]) -> str:
    """periodic_update_time never pauses; pausable_update_time counts new, open and
    on-hold (pauses on pending; same sources as `resolve_metric`)."""
    return "pausable_update_time" if "pending" in pausing else "periodic_update_time"


def metrics_for(
    desk: Desk, policy: Policy, priorities: list[Priority]
) -> tuple[list[dict[str, Any]], list[str]]:
    metrics: list[dict[str, Any]] = []
    notes: list[str] = []
    for priority in priorities:
        value = desk.priorities[priority.name]
        calendar = policy.calendars.get(priority.calendar)
        business = calendar is not None and not calendar.always_open
        pausing = pausing_statuses(policy, priority)
        resolve, note = resolve_metric(pausing)
        if note and note not in notes:
            notes.append(note)
        chosen = {"respond_within": "first_reply_time", "update_every": update_metric(pausing)}
        chosen["resolve_within"] = resolve
        for target in TARGETS:
            metric = chosen[target]
            within: timedelta | None = getattr(priority, target)
            if within is None:
                continue
            if any(m["priority"] == value and m["metric"] == metric for m in metrics):
                notes.append(
                    f"{priority.name} maps to {value!r} like a higher priority: its "
                    f"{metric} target is the higher priority's"
                )
                continue
            minutes = max(1, math.ceil(within.total_seconds() / 60))
            metrics.append(
                {"priority": value, "metric": metric, "target": minutes, "business_hours": business}
            )
    order = {target: i for i, target in enumerate(TARGETS)}
    kinds = {
        "first_reply_time": "respond_within",
        "periodic_update_time": "update_every",
        "pausable_update_time": "update_every",
    }
    metrics.sort(
        key=lambda m: (
            PRIORITIES.index(m["priority"]) if m["priority"] in PRIORITIES else 9,
            order[kinds.get(m["metric"], "resolve_within")],
        )
    )
    return metrics, notes


# Zendesk's SLA filter conditions for service levels: the Conditions reference
# (developer.zendesk.com/documentation/ticketing/reference-guides/conditions-reference/,
# "The SLA Policies has a filter property that is identical to the conditions
# property": organization_id is/is_not, current_tags includes/not_includes). The
# organisation is an id there (a recorded SLA policy in airbytehq/airbyte's
# source-zendesk-support expected_records.jsonl: {"field": "organization_id",
# "operator": "is", "value": 360033549136}); the desired side names it, `current`
# and `write` translate.
ORG_FIELD = "organization_id"


def _conditions(term: Term) -> list[dict[str, Any]]:
    if term.field == "tag":
        operator = "not_includes" if term.negated else "includes"
        return [{"field": "current_tags", "operator": operator, "value": term.values[0]}]
    operator = "is_not" if term.negated else "is"
    return [{"field": ORG_FIELD, "operator": operator, "value": v} for v in term.values]


def level_filter(
    scope: dict[str, list[dict[str, Any]]] | None, entry: Exclusive
) -> dict[str, list[dict[str, Any]]] | None:
    """The scope, the level's own terms and the earlier levels' excluded, as one
    `{all, any}` filter (AND of `all`, and of `any` read as one OR); None when
    that takes more than one OR."""
    if scope is None:
        return None
    all_: list[dict[str, Any]] = list(scope["all"])
    ors: list[list[dict[str, Any]]] = [list(scope["any"])] if scope["any"] else []
    for term in entry.own:
        found = _conditions(term)
        if len(found) > 1 and not term.negated:
            ors.append(found)  # one of several organisations
        else:
            all_.extend(found)
    for earlier in entry.excluded:
        if len(earlier) == 1:
            negated = earlier[0].negate()
            all_.extend(_conditions(negated))
            continue
        # not (a and b) = not a or not b: an OR of single conditions
        parts = [_conditions(term.negate()) for term in earlier]
        if any(len(p) != 1 for p in parts):
            return None
        ors.append([p[0] for p in parts])
    if len(ors) > 1:
        return None
    return {"all": all_, "any": ors[0] if ors else []}


def named_filter(filter_: Mapping[str, Any], names: Mapping[int, str]) -> dict[str, Any]:
    """A filter as read, organisation ids replaced by their names (as `desired` writes them)."""

    def named(cond: Mapping[str, Any]) -> dict[str, Any]:
        value = cond.get("value")
        if cond.get("field") == ORG_FIELD and str(value).isdigit() and int(str(value)) in names:
            return {**cond, "value": names[int(str(value))]}
        return dict(cond)

    return {key: [named(c) for c in filter_.get(key) or []] for key in ("all", "any")}


def filter_with_ids(connector: ZendeskClient, filter_: Mapping[str, Any], where: str) -> Any:
    """A desired filter, organisation names replaced by ids: one search per name
    (Search Organizations, `GET /api/v2/organizations/search?name=`: "its name must
    exactly match the value provided (case insensitive)", Zendesk's OpenAPI,
    organizations-openapi-original.yml in api-evangelist/zendesk)."""
    found: dict[str, int] = {}

    def with_id(cond: Mapping[str, Any]) -> dict[str, Any]:
        value = cond.get("value")
        if cond.get("field") != ORG_FIELD or str(value).isdigit():
            return dict(cond)
        name = str(value)
        if name not in found:
            data = connector.request(
                "GET",
                "organizations/search.json",
                f"find organization {name!r}",
                params={"name": name},
            )
            hits = [
                o
                for o in data.get("organizations") or []
                if str(o.get("name")).casefold() == name.casefold()
            ]
            if not hits:
                raise EscaladaError(
                    f"{where}: no Zendesk organization is named {name!r}",
                    hint="fix the service level's requester.organization, or create the "
                    "organization in Zendesk",
                )
            found[name] = int(hits[0]["id"])
        return {**cond, "value": found[name]}

    return {key: [with_id(c) for c in filter_.get(key) or []] for key in ("all", "any")}
