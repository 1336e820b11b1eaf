"""ServiceNow records <-> escalada values, in matched pairs (`to_ticket` reads an
incident, `plan_write` turns actions into the fields of one PATCH).

Desk field names stay in this module and in `servicenow.py`. A record read
with `sysparm_display_value=all` arrives here as a Row: field -> (value,
display value)."""

from __future__ import annotations

from collections.abc import Iterable
from collections.abc import Mapping
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone
from typing import Any

from escalada import marker
from escalada.connectors.mapping import read_back
from escalada.connectors.servicenow.options import NEW_STATE
from escalada.connectors.servicenow.options import STAMP
from escalada.connectors.servicenow.options import Options
from escalada.connectors.servicenow.options import impact_field
from escalada.connectors.servicenow.options import urgency_field
from escalada.errors import DeskError
from escalada.errors import RecordError
from escalada.policy.model import Desk
from escalada.policy.model import PriorityMatrix
from escalada.ticket import NOT_ESCALATED
from escalada.ticket import NOTE_ACTIONS
from escalada.ticket import Action
from escalada.ticket import EscalationState
from escalada.ticket import Requester
from escalada.ticket import Ticket

Row = Mapping[str, tuple[str, str]]  # field -> (value, display value)


def parse_time(value: str) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.strptime(value, STAMP).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def to_ticket(
    desk: Desk,
    options: Options,
    row: Row,
    *,
    instance: str,
    escalation: EscalationState | None,
) -> Ticket:
    """One incident as a Ticket; `escalation` comes from the journal when no marker field."""

    def value(name: str | None) -> str:
        return row.get(name, ("", ""))[0] if name else ""

    def display(name: str | None) -> str:
        return row.get(name, ("", ""))[1] if name else ""

    sys_id = value("sys_id")
    state = value("state")
    status = options.states.get(state, "open")
    opened = parse_time(value("opened_at")) or parse_time(value("sys_updated_on"))
    if opened is None:
        raise RecordError(
            desk.name,
            value("number") or sys_id,
            "has neither a readable opened_at nor sys_updated_on",
            hint=f"check the record in {options.table}",
        )
    if options.responded_field:
        responded = parse_time(value(options.responded_field))
    else:  # out of New counts as responded; its exact time is unknown (see README)
        responded = opened if state != NEW_STATE else None
    tags = [
        t.strip() for t in (display(options.tags_field) or value(options.tags_field)).split(",")
    ]
    if options.marker_field:
        escalation = marker.decode(value(options.marker_field).split())
    impact = read_back(desk.impact.values, value(impact_field(desk))) if desk.impact else None
    urgency = read_back(desk.urgency.values, value(urgency_field(desk))) if desk.urgency else None
    return Ticket(
        desk=desk.name,
        key=value("number"),
        title=value("short_description"),
        created=opened,
        status=status,
        url=f"{instance}/{options.table}.do?sys_id={sys_id}",
        description=value("description"),
        priority=read_back(desk.priorities, value("priority")),
        impact=impact,
        urgency=urgency,
        updated=parse_time(value("sys_updated_on")),
        responded=responded,
        resolved=parse_time(value("resolved_at")),
        team=read_back(desk.teams, display("assignment_group")),
        assignee=display("assigned_to") or None,
        tags=frozenset(t for t in tags if t),
        requester=Requester(
            organization=display(options.organization_field) or None,
            vip=value(options.vip_field) == "true",
        ),
        fields={name: display(column) or value(column) for name, column in desk.fields.items()},
        escalation=escalation or NOT_ESCALATED,
        revision=f"{sys_id}:{value('sys_mod_count')}",
    )


def latest_markers(entries: Iterable[tuple[str, str, str]]) -> dict[str, EscalationState]:
    """The marker per ticket from (element_id, sys_created_on, value) work-note rows.

    sys_created_on has whole seconds, so an escalation and the follow-up write
    that confirms its notifications can share a stamp. Among the newest
    entries of a ticket: the highest level wins, then a confirmed (not pending)
    state, then the latest stakeholder update."""
    newest: dict[str, tuple[str, list[EscalationState]]] = {}
    for element_id, created, text in entries:
        state = marker.decode_note(text)
        if state is None:
            continue
        stamp, states = newest.get(element_id, ("", []))
        if created > stamp:
            newest[element_id] = (created, [state])
        elif created == stamp:
            states.append(state)
    return {key: max(states, key=_rank) for key, (_, states) in newest.items()}


def _rank(state: EscalationState) -> tuple[int, bool, datetime]:
    least = datetime.min.replace(tzinfo=timezone.utc)
    return (state.level if state.path else -1, not state.pending, state.updated or least)


# --- writing ------------------------------------------------------------------

Cells = Mapping[tuple[str, str], str]  # (desk impact, desk urgency) -> desk priority


def matrix_cells(desk: Desk, matrix: PriorityMatrix | None) -> Cells | None:
    """The policy's matrix in desk values, or None when it cannot be mapped."""
    if matrix is None or desk.impact is None or desk.urgency is None:
        return None
    cells: dict[tuple[str, str], str] = {}
    for (impact, urgency), priority in matrix.cells.items():
        keys = (desk.impact.values.get(impact), desk.urgency.values.get(urgency))
        if keys[0] is not None and keys[1] is not None and priority in desk.priorities:
            cells.setdefault((keys[0], keys[1]), desk.priorities[priority])
    return cells


def choose_cell(target: str, cells: Cells, impact: str, urgency: str) -> tuple[str, str] | None:
    """Impact and urgency that give `target`, changing as few of the two as possible
    (the instance derives priority from them; priority itself is read-only by default)."""
    fits = [cell for cell, priority in cells.items() if priority == target]
    if not fits:
        return None
    # ties keep the impact (the assessed business effect) and change the urgency
    return min(fits, key=lambda c: ((c[0] != impact) + (c[1] != urgency), c[0] != impact, c))


def fields_touched(desk: Desk, options: Options, actions: Sequence[Action]) -> list[str]:
    """The fields a PATCH for these actions may carry (pysnc sends only fields it read)."""
    names: list[str] = []
    for action in actions:
        if action.type == "assign":
            names.append("assignment_group")
        elif action.type in NOTE_ACTIONS:
            names.append("work_notes")
        elif action.type == "ask_reason":
            names.append("comments")
        elif action.type == "set_priority":
            names += [impact_field(desk), urgency_field(desk), "priority"]
        elif action.type in ("mark", "clear"):
            names.append(options.marker_field or "work_notes")
    return list(dict.fromkeys(names))


@dataclass(frozen=True, slots=True)
class Write:
    fields: Mapping[str, str]
    written: tuple[str, ...]


def plan_write(
    desk: Desk,
    options: Options,
    actions: Sequence[Action],
    current: Mapping[str, str],
    *,
    group_id: Any,
    cells: Any,
) -> Write:
    """The fields of one PATCH carrying every action (`notify` is the runner's).

    Internal notes (comment, update and, without a marker field, the marker
    line) share one `work_notes` entry, the marker line first so it can be
    found with STARTSWITH; ask_reason goes to the customer-visible `comments`."""
    fields: dict[str, str] = {}
    notes: list[str] = []
    replies: list[str] = []
    written: list[str] = []
    state: EscalationState | None = None
    for action in actions:
        if action.type == "notify":
            continue
        if action.type == "assign":
            group = desk.teams.get(action.team or "")
            if group is None:
                raise DeskError(
                    desk.name,
                    "assign",
                    f"team {action.team!r} has no ServiceNow group",
                    hint="map it under the Desk's teams",
                )
            fields["assignment_group"] = group_id(group)
        elif action.type in NOTE_ACTIONS:
            notes.append(action.reason)
        elif action.type == "ask_reason":
            replies.append(action.reason)
        elif action.type == "set_priority":
            fields.update(_priority_fields(desk, action, current, cells()))
        elif action.type == "mark":
            state = action.state or NOT_ESCALATED
        elif action.type == "clear":
            state = NOT_ESCALATED
        written.append(action.type)
    if state is not None:
        if options.marker_field:
            fields[options.marker_field] = " ".join(marker.encode(state))
        else:
            notes.insert(0, marker.note_line(state))
    if notes:
        fields["work_notes"] = "\n\n".join(notes)
    if replies:
        fields["comments"] = "\n\n".join(replies)
    return Write(fields, tuple(written))


def _priority_fields(
    desk: Desk, action: Action, current: Mapping[str, str], cells: Cells
) -> dict[str, str]:
    target = desk.priorities.get(action.priority or "")
    if target is None:
        raise DeskError(
            desk.name,
            "set_priority",
            f"priority {action.priority!r} has no ServiceNow value",
            hint="map it under the Desk's priorities",
        )
    impact, urgency = impact_field(desk), urgency_field(desk)
    cell = choose_cell(target, cells, current.get(impact, ""), current.get(urgency, ""))
    if cell is None:
        raise DeskError(
            desk.name,
            "set_priority",
            f"no impact x urgency combination gives priority {target}",
            hint="ServiceNow derives priority from impact and urgency (Priority Lookup "
            "Rules, dl_u_priority): run `escalada plan` to compare them with the policy",
        )
    return {impact: cell[0], urgency: cell[1]}
