"""The Zendesk side of the reconciler: SLA policies, business-hours schedules
with holidays, drop-down options of the impact/urgency fields, and groups.

Choices (also in docs/desks/zendesk.md):

- One SLA policy per desk, named after the priority matrix. SLA targets belong
  to priorities, not to escalation paths, and a Zendesk SLA policy already
  holds one target per (priority, metric). respond_within -> first_reply_time,
  update_every -> pausable_update_time (periodic_update_time when nothing
  pauses), resolve_within -> the metric that pauses on the policy's pausing
  statuses (requester_wait_time for pending, agent_work_time for pending and
  on-hold, total_resolution_time for none; see slas.resolve_metric).
- A service level is an SLA policy of its own, `<matrix> <level>`; every
  policy's filter excludes the earlier levels' tickets, the matrix's all of
  them, so Zendesk's first-match order cannot disagree with escalada's.
  Its filter comes from the Desk's scope (`ticket_type:`, `tags:`, `-tags:`,
  `priority:`, `group:` terms; `type:ticket`, the object type, adds nothing)
  or from `options.sla_filter`.
- A policy cannot name a schedule: `business_hours: true` measures on the
  schedule applied to the ticket (the account default, or one set by a
  trigger). escalada creates one schedule per calendar the priorities use and
  says so in the SLA policy's note; pointing tickets at it stays with the admin.
- Ownership: the SLA policy's description ends with MARKER; a schedule has no
  description, so its name ends with SCHEDULE_SUFFIX. Field options are only
  added, never removed or renamed; groups are verified, never created.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import datetime
from typing import Any

from escalada.connectors.base import CheckItem
from escalada.connectors.base import ConfigObject
from escalada.connectors.slaterms import exclusive_levels
from escalada.connectors.zendesk.client import ZendeskClient
from escalada.connectors.zendesk.schedules import holidays
from escalada.connectors.zendesk.schedules import intervals
from escalada.connectors.zendesk.schedules import zendesk_time_zone
from escalada.connectors.zendesk.slas import ORG_FIELD
from escalada.connectors.zendesk.slas import filter_with_ids
from escalada.connectors.zendesk.slas import level_filter
from escalada.connectors.zendesk.slas import metrics_for
from escalada.connectors.zendesk.slas import named_filter
from escalada.errors import DeskError
from escalada.errors import EscaladaError
from escalada.policy.model import Calendar
from escalada.policy.model import Desk
from escalada.policy.model import Policy

MARKER = "[managed by escalada]"
SCHEDULE_SUFFIX = " [escalada]"
SCHEDULE_NOTE = (
    "Zendesk SLA policies cannot name a schedule: business-hours targets are measured on the "
    "schedule applied to each ticket (the account's default schedule, or one a trigger sets). "
    "Make {schedules} the default schedule, or add a trigger that sets it for tickets in scope."
)


# --- desired ------------------------------------------------------------------


def desired(desk: Desk, policy: Policy, *, now: datetime) -> list[ConfigObject]:
    objects = [
        ConfigObject("group", group, verify_only=True) for group in sorted(set(desk.teams.values()))
    ]
    objects.extend(_field_options(desk))
    matrix = policy.matrix
    if matrix is None:
        return objects
    used = [p for p in matrix.priorities.values() if p.name in desk.priorities]
    calendars: list[Calendar] = []
    for level in (None, *matrix.service_levels):
        for priority in used:
            targets = matrix.targets(priority.name, level.name if level else None) or priority
            calendar = policy.calendars.get(targets.calendar)
            if calendar is not None and not calendar.always_open and calendar not in calendars:
                calendars.append(calendar)
    schedules = [_schedule(desk, calendar, now) for calendar in calendars]
    objects.extend(schedules)
    scope, filter_note = _sla_filter(desk)
    notes: list[str] = []
    if schedules:
        names = ", ".join(repr(f"{s.name}{SCHEDULE_SUFFIX}") for s in schedules)
        notes.append(SCHEDULE_NOTE.format(schedules=names))
    if filter_note:
        notes.append(filter_note)
    exclusive, skipped = exclusive_levels(matrix.service_levels)
    notes.extend(
        f"service level {level.name!r}: its condition has no Zendesk SLA-filter equivalent "
        "escalada knows (requester.organization equals/in, tags contains, all/not of them); "
        "its targets are enforced by the runner only, Zendesk measures its tickets on the "
        "next SLA policy that matches"
        for level in skipped
    )
    for entry in exclusive:
        level = entry.level
        title = matrix.name if level is None else f"{matrix.name} {level.name}"
        sla_filter = level_filter(scope, entry)
        if sla_filter is None and level is not None:
            notes.append(
                f"service level {level.name!r}: its condition and the earlier levels' do not "
                "fit one Zendesk SLA filter (all + one any); enforced by the runner only"
            )
            continue
        if sla_filter is None:
            sla_filter = scope
            notes.append(
                "the matrix's SLA policy cannot exclude the service levels' tickets in one "
                "filter: order the service levels' SLA policies above it in Admin Center"
            )
        priorities = level.priorities if level is not None else matrix.priorities
        metrics, metric_notes = metrics_for(desk, policy, [priorities[p.name] for p in used])
        notes.extend(n for n in metric_notes if n not in notes)
        about = (
            f"SLA targets of the priority matrix {matrix.name!r}"
            if level is None
            else f"SLA targets of service level {level.name!r} of the priority matrix "
            f"{matrix.name!r}" + (f": {level.description}" if level.description else "")
        )
        objects.append(
            ConfigObject(
                "sla",
                title,
                {
                    "description": f"{about}. {MARKER}",
                    "filter": sla_filter,
                    "policy_metrics": metrics,
                },
                depends_on=tuple(s.key for s in schedules),
                note=None,
            )
        )
    notes.append("escalation levels and triggers are enforced by the runner, not by Zendesk")
    objects = [
        replace(o, note=" ".join(notes)) if o.kind == "sla" and o.name == matrix.name else o
        for o in objects
    ]
    # The reconciler shows the notes of verify-only objects in the plan: one per
    # thing an admin must know or do by hand.
    objects.extend(
        ConfigObject("sla", f"{matrix.name} note {i}", verify_only=True, note=note)
        for i, note in enumerate(notes, 1)
    )
    objects.extend(
        ConfigObject("schedule", f"{s.name} time zone", verify_only=True, note=s.note)
        for s in schedules
        if s.note
    )
    return objects


def _field_options(desk: Desk) -> list[ConfigObject]:
    objects = []
    for label, mapping in (("impact", desk.impact), ("urgency", desk.urgency)):
        if mapping is not None and mapping.field and mapping.values:
            objects.append(
                ConfigObject(
                    "field_options",
                    f"{label} {mapping.field}",
                    {"field": str(mapping.field), "values": sorted(set(mapping.values.values()))},
                    note="options are added when missing, never removed or renamed",
                )
            )
    return objects


def _schedule(desk: Desk, calendar: Calendar, now: datetime) -> ConfigObject:
    time_zone, note = zendesk_time_zone(desk, calendar)
    return ConfigObject(
        "schedule",
        calendar.name,
        {
            "time_zone": time_zone,
            "intervals": intervals(calendar),
            "holidays": holidays(calendar, now),
        },
        note=note,
    )


def _sla_filter(desk: Desk) -> tuple[dict[str, list[dict[str, Any]]] | None, str | None]:
    given = desk.options.get("sla_filter")
    if isinstance(given, Mapping):
        return {"all": list(given.get("all") or []), "any": list(given.get("any") or [])}, None
    conditions = []
    for term in (desk.scope or "").split():
        negate = term.startswith("-")
        key, _, value = term.lstrip("-").partition(":")
        if key in ("tags", "tag") and value:
            operator = "not_includes" if negate else "includes"
            conditions.append({"field": "current_tags", "operator": operator, "value": value})
        elif key == "type" and value == "ticket" and not negate:
            continue  # the object type: every ticket an SLA policy sees is one
        elif key == "ticket_type" and value and not negate:
            conditions.append({"field": "type", "operator": "is", "value": value})
        elif key == "priority" and value and not negate:
            conditions.append({"field": key, "operator": "is", "value": value})
        elif key == "type" and value:  # Zendesk search: `type:` is the object type
            return None, (
                f"the scope term {term!r} selects Zendesk's object type, not the ticket type: "
                f"write ticket_type:{value}"
            )
        elif key == "group" and value.isdigit() and not negate:
            conditions.append({"field": "group_id", "operator": "is", "value": value})
        else:
            return None, (
                f"the scope term {term!r} has no SLA-filter equivalent escalada knows: write the "
                "filter under the Desk's options: {sla_filter: {all: [{field, operator, value}]}}"
            )
    return {"all": conditions, "any": []}, None


# --- current ------------------------------------------------------------------


def current(connector: ZendeskClient) -> list[ConfigObject]:
    desk = connector.desk
    objects = []
    names = {name: gid for gid, name in connector.groups(refresh=True).items()}
    for group in sorted(set(desk.teams.values())):
        if group in names:
            objects.append(
                ConfigObject("group", group, id=str(names[group]), managed=False, verify_only=True)
            )
    for obj in _field_options(desk):
        field = _ticket_field(connector, obj.attrs["field"])
        if field is not None:
            present = {str(o.get("value")) for o in field.get("custom_field_options") or []}
            values = [v for v in obj.attrs["values"] if v in present]
            objects.append(
                replace(
                    obj, attrs={**obj.attrs, "values": values}, id=obj.attrs["field"], note=None
                )
            )
    data = connector.request("GET", "business_hours/schedules.json", "list schedules")
    seen: dict[str, ConfigObject] = {}
    for schedule in data.get("schedules") or []:
        name = str(schedule.get("name") or "")
        managed = name.endswith(SCHEDULE_SUFFIX)
        key = name[: -len(SCHEDULE_SUFFIX)] if managed else name
        if key in seen and seen[key].managed:
            continue
        found = connector.request(
            "GET", f"business_hours/schedules/{schedule['id']}/holidays.json", "list holidays"
        )
        days = sorted(
            (
                {"name": h["name"], "start_date": h["start_date"], "end_date": h["end_date"]}
                for h in found.get("holidays") or []
            ),
            key=lambda h: (h["start_date"], h["name"]),
        )
        attrs = {
            "time_zone": schedule.get("time_zone"),
            "holidays": days,
            "intervals": sorted(
                (
                    {"start_time": i["start_time"], "end_time": i["end_time"]}
                    for i in schedule.get("intervals") or []
                ),
                key=lambda i: i["start_time"],
            ),
        }
        seen[key] = ConfigObject("schedule", key, attrs, id=str(schedule["id"]), managed=managed)
    objects.extend(seen.values())
    with connector.zenpy_call("list SLA policies"):
        policies = [p.to_dict() for p in connector.client.sla_policies()]
    orgs = [
        {"organization_id": c["value"]}
        for raw in policies
        for key in ("all", "any")
        for c in (raw.get("filter") or {}).get(key) or []
        if c.get("field") == ORG_FIELD and str(c.get("value")).isdigit()
    ]
    org_names = connector.organizations(orgs) if orgs else {}
    for raw in policies:
        description = str(raw.get("description") or "")
        filter_ = named_filter(raw.get("filter") or {}, org_names)
        objects.append(
            ConfigObject(
                "sla",
                str(raw.get("title")),
                {
                    "description": description,
                    "filter": {
                        "all": list(filter_.get("all") or []),
                        "any": list(filter_.get("any") or []),
                    },
                    "policy_metrics": [
                        {k: m.get(k) for k in ("priority", "metric", "target", "business_hours")}
                        for m in raw.get("policy_metrics") or []
                    ],
                },
                id=str(raw.get("id")),
                managed=description.endswith(MARKER),
            )
        )
    return objects


def _ticket_field(connector: ZendeskClient, field_id: str) -> dict[str, Any] | None:
    try:
        data = connector.request("GET", f"ticket_fields/{field_id}.json", f"read field {field_id}")
    except DeskError as error:
        if error.status == 404:
            return None
        raise
    field: dict[str, Any] = data.get("ticket_field") or {}
    return field


# --- write --------------------------------------------------------------------


def write(connector: ZendeskClient, op: str, obj: ConfigObject) -> ConfigObject:
    where = f"desk {connector.desk.name!r}: {op} {obj.key}"
    if obj.verify_only or obj.kind == "group":
        raise EscaladaError(
            f"{where}: groups are verified, never written",
            hint="create the group in Zendesk, or fix the Desk's teams",
        )
    if obj.kind == "field_options":
        if op == "delete":
            raise EscaladaError(f"{where}: escalada never removes field options")
        return _write_options(connector, obj, where)
    if op == "delete":
        path = "slas/policies" if obj.kind == "sla" else "business_hours/schedules"
        connector.request("DELETE", f"{path}/{obj.id}.json", f"delete {obj.key}")
        return obj
    if obj.kind == "sla":
        if obj.attrs.get("filter") is None:
            raise EscaladaError(f"{where}: no SLA filter", hint=obj.note)
        attrs = {**obj.attrs, "filter": filter_with_ids(connector, obj.attrs["filter"], where)}
        body = {"sla_policy": {"title": obj.name, **attrs}}
        if op == "create":
            made = connector.request("POST", "slas/policies.json", f"create {obj.key}", body=body)
            return replace(obj, id=str(made["sla_policy"]["id"]))
        connector.request("PUT", f"slas/policies/{obj.id}.json", f"update {obj.key}", body=body)
        return obj
    if obj.kind == "schedule":
        return _write_schedule(connector, op, obj, where)
    raise EscaladaError(f"{where}: escalada does not write {obj.kind} objects on Zendesk")


def _write_options(connector: ZendeskClient, obj: ConfigObject, where: str) -> ConfigObject:
    field_id = obj.attrs["field"]
    field = _ticket_field(connector, field_id)
    if field is None:
        raise EscaladaError(
            f"{where}: ticket field {field_id} does not exist",
            hint="create the drop-down field in Admin Center and map its id",
        )
    options = [
        {"id": o["id"], "name": o["name"], "value": o["value"]}
        for o in field.get("custom_field_options") or []
    ]
    present = {o["value"] for o in options}
    for value in obj.attrs["values"]:
        if value not in present:
            options.append(
                {"name": value.replace("_", " ").replace("-", " ").capitalize(), "value": value}
            )
    body = {"ticket_field": {"custom_field_options": options}}
    connector.request("PUT", f"ticket_fields/{field_id}.json", f"update {obj.key}", body=body)
    return replace(obj, id=field_id)


def _write_schedule(
    connector: ZendeskClient, op: str, obj: ConfigObject, where: str
) -> ConfigObject:
    if not obj.attrs.get("time_zone"):
        raise EscaladaError(f"{where}: no Zendesk time zone", hint=obj.note)
    body = {
        "schedule": {"name": f"{obj.name}{SCHEDULE_SUFFIX}", "time_zone": obj.attrs["time_zone"]}
    }
    base = "business_hours/schedules"
    if op == "create":
        made = connector.request("POST", f"{base}.json", f"create {obj.key}", body=body)
        obj = replace(obj, id=str(made["schedule"]["id"]))
    else:
        connector.request("PUT", f"{base}/{obj.id}.json", f"update {obj.key}", body=body)
    week = {"workweek": {"intervals": obj.attrs["intervals"]}}
    connector.request("PUT", f"{base}/{obj.id}/workweek.json", f"update {obj.key} hours", body=week)
    have = connector.request("GET", f"{base}/{obj.id}/holidays.json", f"list {obj.key} holidays")
    wanted = {(h["name"], h["start_date"], h["end_date"]) for h in obj.attrs["holidays"]}
    for holiday in have.get("holidays") or []:
        shape = (holiday["name"], holiday["start_date"], holiday["end_date"])
        if shape in wanted:
            wanted.discard(shape)
        else:
            connector.request(
                "DELETE",
                f"{base}/{obj.id}/holidays/{holiday['id']}.json",
                f"delete a holiday of {obj.key}",
            )
    for name, start, end in sorted(wanted, key=lambda h: h[1]):
        connector.request(
            "POST",
            f"{base}/{obj.id}/holidays.json",
            f"add a holiday to {obj.key}",
            body={"holiday": {"name": name, "start_date": start, "end_date": end}},
        )
    return obj


# --- check --------------------------------------------------------------------


def check_mapped(connector: ZendeskClient) -> list[CheckItem]:
    """Every mapped group exists; every mapped field exists with the mapped options."""
    desk = connector.desk
    items = []
    names = set(connector.groups(refresh=True).values())
    for team, group in sorted(desk.teams.items()):
        ok = group in names
        items.append(
            CheckItem(
                desk.name,
                f"group {group}",
                ok,
                f"team {team}" if ok else f"team {team}: no Zendesk group named {group!r}",
            )
        )
    fields = [
        (f"{label} field", m.field, sorted(set(m.values.values())))
        for label, m in (("impact", desk.impact), ("urgency", desk.urgency))
        if m is not None and m.field
    ]
    fields += [(f"field {name}", fid, []) for name, fid in desk.fields.items() if fid.isdigit()]
    for label, field_id, values in fields:
        found = _ticket_field(connector, str(field_id))
        if found is None:
            items.append(CheckItem(desk.name, f"{label} {field_id}", False, "no such ticket field"))
            continue
        present = {str(o.get("value")) for o in found.get("custom_field_options") or []}
        missing = [v for v in values if v not in present]
        detail = (
            f"missing option values {', '.join(missing)} (`escalada apply` adds them)"
            if missing
            else str(found.get("title") or "")
        )
        items.append(CheckItem(desk.name, f"{label} {field_id}", not missing, detail))
    return items
