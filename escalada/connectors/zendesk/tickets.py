"""Zendesk records <-> escalada values, in matched pairs (no HTTP here).

`to_ticket` reads a Zendesk ticket (plus its sideloaded metric set and
organization, when read) into a `Ticket`; `partial_read` says whether a candidate
read left out something the policy needs; `plan_writes`
turns a ticket's actions into the bodies of the ticket PUTs that carry them.
Zendesk field names stay in this module and in `zendesk.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from dataclasses import field
from dataclasses import replace
from datetime import datetime
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from escalada import marker
from escalada.connectors.http import error_for_status
from escalada.connectors.mapping import read_back
from escalada.connectors.zendesk import options
from escalada.engine.readneeds import ReadNeeds
from escalada.errors import ConflictError
from escalada.errors import DeskError
from escalada.errors import EscaladaError
from escalada.errors import RecordError
from escalada.instants import from_iso
from escalada.policy.model import Desk
from escalada.secrets import shown_url
from escalada.ticket import NOTE_ACTIONS
from escalada.ticket import EscalationState
from escalada.ticket import Requester
from escalada.ticket import Status
from escalada.ticket import Ticket

PRIORITIES = options.PRIORITIES  # fixed in Zendesk; not configurable
STATUS = {
    "new": "open",
    "open": "open",
    "pending": "pending",
    "hold": "on-hold",  # waiting on a third party (pauses the clock by default)
    "solved": "resolved",
    "closed": "closed",
}
OPEN_STATUSES = frozenset({"new", "open", "pending", "hold"})
VIP_FIELD = "vip"  # Desk.fields.vip names a tag


def split_url(desk: Desk) -> tuple[str, str]:
    """`https://acme.zendesk.com` -> ("acme", "zendesk.com"), as zenpy wants them."""
    url = desk.url or ""
    problem = options.url_problem(url)
    if problem is not None:
        raise EscaladaError(
            f"desk {desk.name!r}: {problem.message} ({shown_url(url)})",
            where=str(desk.where) if desk.where.line else None,
            hint=problem.hint,
        )
    labels = (urlsplit(url).hostname or "").split(".")
    return labels[0], ".".join(labels[1:])


def parse_time(text: Any) -> datetime | None:
    if not isinstance(text, str) or not text:
        return None
    return from_iso(text)


def _custom_values(raw: Mapping[str, Any]) -> dict[str, Any]:
    return {str(f.get("id")): f.get("value") for f in raw.get("custom_fields") or []}


def responded_at(raw: Mapping[str, Any], metric_set: Mapping[str, Any] | None) -> datetime | None:
    """First agent reply: created_at + the metric set's calendar reply time.

    Zendesk keeps no first-reply timestamp on the ticket; `reply_time_in_seconds`
    is preferred over the minute-rounded `reply_time_in_minutes` when present."""
    if not metric_set:
        return None
    created = parse_time(raw.get("created_at"))
    seconds = (metric_set.get("reply_time_in_seconds") or {}).get("calendar")
    if seconds is None:
        minutes = (metric_set.get("reply_time_in_minutes") or {}).get("calendar")
        seconds = None if minutes is None else minutes * 60
    if created is None or seconds is None:
        return None
    return created + timedelta(seconds=seconds)


@dataclass(frozen=True, slots=True)
class Lookups:
    """What translating a ticket needs besides the ticket itself."""

    groups: Mapping[int, str]  # group id -> group name
    organizations: Mapping[int, str] = field(default_factory=dict)  # id -> name
    metric_sets: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)  # by ticket id


def to_ticket(
    desk: Desk, raw: Mapping[str, Any], lookups: Lookups, *, partial: bool = False
) -> Ticket:
    """A Zendesk ticket as escalada's normalized Ticket (`partial`: see partial_read)."""
    ticket_id = int(raw["id"])
    tags = frozenset(str(t) for t in raw.get("tags") or [])
    custom = _custom_values(raw)
    group_name = lookups.groups.get(raw.get("group_id") or -1)
    vip_tag = desk.fields.get(VIP_FIELD)
    fields = {
        name: (custom.get(field_id) if field_id.isdigit() else raw.get(field_id))
        for name, field_id in desk.fields.items()
        if name != VIP_FIELD
    }
    status: Status = STATUS.get(str(raw.get("status")), "open")  # type: ignore[assignment]
    created = parse_time(raw.get("created_at"))
    if created is None:
        raise RecordError(desk.name, str(ticket_id), "has no readable created_at")
    return Ticket(
        desk=desk.name,
        key=str(ticket_id),
        url=f"{(desk.url or '').rstrip('/')}/agent/tickets/{ticket_id}",
        title=str(raw.get("subject") or ""),
        description=str(raw.get("description") or ""),
        status=status,
        priority=read_back(desk.priorities, raw.get("priority")),
        impact=_mapped(desk.impact, custom),
        urgency=_mapped(desk.urgency, custom),
        created=created,
        updated=parse_time(raw.get("updated_at")),
        responded=responded_at(raw, lookups.metric_sets.get(ticket_id)),
        team=read_back(desk.teams, group_name),
        assignee=str(raw["assignee_id"]) if raw.get("assignee_id") else None,
        tags=tags,
        requester=Requester(
            organization=lookups.organizations.get(raw.get("organization_id") or -1),
            vip=bool(vip_tag and vip_tag.lower() in tags),
        ),
        fields=fields,
        escalation=marker.decode(tags),
        revision=raw.get("updated_at"),
        partial=partial,
    )


def _mapped(mapping: Any, custom: Mapping[str, Any]) -> str | None:
    if mapping is None or mapping.field is None:
        return None
    value = custom.get(str(mapping.field))
    return read_back(mapping.values, value)


def partial_read(
    desk: Desk, needs: ReadNeeds, raw: Mapping[str, Any], names: Mapping[int, str]
) -> bool:
    """Whether a ticket the search export read is `partial`, from what the read
    needs (`escalada.engine.readneeds.ReadNeeds`) beyond the export's own data.

    - `responded`: a level stops on `unless: responded`. The export has no
      first-reply time (only the ticket metric set has it), so such tickets are
      read `partial` and the runner refreshes the ones with something due.
      Leaving `responded` unknown is safe for that choice: an unknown reply only
      makes levels fall due earlier, never later.
    - `organizations`: a condition tests `requester.organization`. Its names are
      resolved during the read (organizations/show_many, per 100 organisations
      not yet known), because an unknown organisation can hide an escalation
      from the due check (a path matching `Acme` would never be tried).
      Otherwise only reason texts use the name (`$organization`): a ticket with
      an organisation is then read `partial` and the refresh brings the name.
    - `fresh`: safe updates are off, so a decision must not rest on the search
      index, which lags the ticket store by minutes: every ticket is `partial`
      and the ones with something due are re-read before they are written.

    Without a policy the connector cannot tell, and assumes everything."""
    fresh = not desk.options.get("safe_update", True)
    org = raw.get("organization_id")
    return needs.responded or fresh or bool(org and org not in names)


# --- actions -> ticket PUT bodies ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Write:
    """One ticket PUT: the attributes to send (without the safe-update pair)."""

    body: Mapping[str, Any]
    actions: tuple[str, ...]  # action types this write carries out


def plan_writes(
    desk: Desk,
    ticket: Ticket,
    actions: Sequence[Any],
    group_ids: Mapping[str, int],
) -> list[Write]:
    """The PUTs that carry out `actions`: one, or two when a public reply and an
    internal note are both due (a Zendesk update carries a single comment).

    The first PUT holds the internal note, field changes and the marker as it
    stands without the reply; the second holds the public reply and the final
    marker. If the second fails, the next cycle sees the reply as not yet asked
    and asks again: nothing is announced twice, nothing is lost."""
    fields: dict[str, Any] = {}
    notes: list[str] = []
    reply: str | None = None
    state: EscalationState | None = None
    done: list[str] = []
    for action in actions:
        if action.type == "notify":
            continue  # the runner's notifier sends these
        if action.type == "assign":
            group = desk.teams.get(action.team or "")
            if group is None or group not in group_ids:
                raise EscaladaError(
                    f"desk {desk.name!r}: team {action.team!r} has no Zendesk group",
                    hint="map it under the Desk's teams: {TEAM: GROUP NAME}, and check the "
                    "group exists with `escalada desks check`",
                )
            fields["group_id"] = group_ids[group]
        elif action.type == "set_priority":
            value = desk.priorities.get(action.priority or "")
            if value not in PRIORITIES:
                raise EscaladaError(
                    f"desk {desk.name!r}: priority {action.priority!r} maps to {value!r}",
                    hint=f"map every policy priority to one of {', '.join(PRIORITIES)}",
                )
            fields["priority"] = value
        elif action.type in NOTE_ACTIONS:
            notes.append(action.reason)
        elif action.type == "ask_reason":
            reply = action.reason
        elif action.type in ("mark", "clear"):
            state = action.state or EscalationState()
        else:  # pragma: no cover - ActionType is closed
            raise EscaladaError(f"unknown action type {action.type!r}")
        done.append(action.type)
    if not done:
        return []
    if state is not None and notes:
        notes.append(marker.note_line(state))
    note = "\n\n".join(notes) if notes else None
    first_done = [t for t in done if t != "ask_reason"]
    if reply is not None and (note is not None or fields):
        before = state if state is None else replace(state, asked=ticket.escalation.asked)
        first = _write(ticket.tags, fields, note, False, before, tuple(first_done))
        tags = set(first.body.get("tags", ticket.tags))
        second = _write(frozenset(tags), {}, reply, True, state, ("ask_reason",))
        return [first, second]
    text, public = (reply, True) if reply is not None else (note, False)
    return [_write(ticket.tags, fields, text, public, state, tuple(done))]


def _write(
    tags: frozenset[str],
    fields: Mapping[str, Any],
    text: str | None,
    public: bool,
    state: EscalationState | None,
    done: tuple[str, ...],
) -> Write:
    body: dict[str, Any] = dict(fields)
    if text is not None:
        body["comment"] = {"body": text, "public": public}
    if state is not None:
        add, remove = marker.retag(tags, state)
        if add or remove:
            # `tags` replaces the whole list: send the desk's own tags back too.
            # Guarded by safe_update, so a tag a human added since the read
            # makes this write fail (409) instead of being dropped.
            body["tags"] = sorted((set(tags) - remove) | add)
    return Write(body=body, actions=done)


# --- errors -------------------------------------------------------------------

_HINTS = {
    401: "Zendesk refused the credentials: check the email and API token named in the Desk's "
    "auth, and that token access is enabled in Admin Center > Apps and integrations > APIs",
    403: "the account lacks a permission: the runner needs an agent who can see and edit the "
    "tickets in scope; `escalada apply` needs an admin for SLA policies, schedules and fields",
    404: "not found: check the Desk's url and the mapped ids; run `escalada desks check`",
    409: "the ticket changed on Zendesk since it was read, so the safe update was refused; "
    "the next cycle re-reads it",
}


def _detail(response: Any) -> str:
    """Zendesk's error body as one line: `RecordInvalid: ... (group: is invalid)`."""
    try:
        data = response.json()
    except ValueError:
        return str(getattr(response, "text", ""))[:200]
    if not isinstance(data, dict):
        return str(data)[:200]
    error = data.get("error")
    if isinstance(error, dict):  # {"error": {"title": ..., "message": ...}}
        error = error.get("title") or error.get("message")
    parts = [str(p) for p in (error, data.get("description")) if p]
    details = data.get("details")
    if isinstance(details, dict):
        for key, items in details.items():
            for item in items if isinstance(items, list) else [items]:
                text = item.get("description") if isinstance(item, dict) else item
                parts.append(f"{key}: {text}")
    return "; ".join(parts)


def desk_error(desk: str, operation: str, response: Any) -> DeskError:
    """One clear DeskError for a refused Zendesk call (ConflictError for 409)."""
    status = int(response.status_code)
    detail = _detail(response)
    if status == 409:
        message = f"HTTP 409: {detail}" if detail else "HTTP 409"
        return ConflictError(desk, operation, message, status=409, hint=_HINTS[409])
    return error_for_status(desk, operation, status, detail, hint=_HINTS.get(status))


def zenpy_error(desk: str, operation: str, error: BaseException) -> DeskError:
    """The DeskError for an exception zenpy raised (it keeps the response when it has one)."""
    response = getattr(error, "response", None)
    if response is not None:
        return desk_error(desk, operation, response)
    return DeskError(desk, operation, f"{type(error).__name__}: {error}"[:300])
