"""`escalada desks check` for a ServiceNow desk: at most five cheap queries.

1. credentials: sys_user for the account (limit 1) — a refused login stops here;
2. read access to the ticket table (limit 1);
3. every mapped assignment group exists, is active and unambiguous;
4. every configured field exists (sys_dictionary; inherited fields live on `task`);
5. every mapped impact, urgency and priority value is a choice of its field (sys_choice).

A misconfiguration is a failed CheckItem with the fix, never an exception."""

from __future__ import annotations

from collections import Counter

from escalada.connectors.base import CheckItem
from escalada.connectors.servicenow.client import Connection
from escalada.connectors.servicenow.options import impact_field
from escalada.connectors.servicenow.options import query_safe
from escalada.connectors.servicenow.options import urgency_field
from escalada.errors import DeskError
from escalada.errors import EscaladaError


def run_checks(sn: Connection) -> list[CheckItem]:
    desk = sn.desk.name
    table = sn.options.table
    items: list[CheckItem] = []

    user = sn.user or sn.options.user
    who = f"user_name={query_safe(user, 'user')}" if user else ""
    try:
        found = sn.rows("sys_user", who, ["user_name"], "check credentials", limit=1)
    except DeskError as error:
        if error.status != 403:
            return [failed(desk, "credentials", error)]
        found = None  # logged in, but may not read sys_user
    if found is None:
        detail = "logged in (the account may not read sys_user, so its name is unconfirmed)"
    elif user and not found:
        detail = f"logged in, but sys_user has no user_name {user!r} visible to this account"
    else:
        detail = f"authenticated as {user}" if user else "authenticated (OAuth client)"
    items.append(CheckItem(desk, "credentials", True, detail))

    try:
        sn.rows(table, "", ["number"], f"read {table}", limit=1)
        items.append(CheckItem(desk, f"read {table}", True, "the account can query it"))
    except DeskError as error:
        items.append(failed(desk, f"read {table}", error))

    return items + _groups(sn) + _fields(sn) + _choices(sn)


def failed(desk: str, item: str, error: EscaladaError) -> CheckItem:
    return CheckItem(desk, item, False, error.message + (f" ({error.hint})" if error.hint else ""))


def _groups(sn: Connection) -> list[CheckItem]:
    desk = sn.desk.name
    wanted = sorted(set(sn.desk.teams.values()))
    if not wanted:
        return []
    try:
        names = [query_safe(g, "group") for g in wanted]
        rows = sn.rows(
            "sys_user_group", f"nameIN{','.join(names)}", ["name", "active"], "check groups"
        )
    except EscaladaError as error:
        return [failed(desk, f"group {g}", error) for g in wanted]
    count = Counter(r["name"][0] for r in rows if r["active"][0] == "true")
    inactive = {r["name"][0] for r in rows if r["active"][0] != "true"}
    items = []
    for group in wanted:
        if count[group] == 1:
            items.append(CheckItem(desk, f"group {group}", True, "exists and is active"))
        elif count[group] > 1:
            detail = f"{count[group]} active groups share this name: rename all but one"
            items.append(CheckItem(desk, f"group {group}", False, detail))
        elif group in inactive:
            items.append(CheckItem(desk, f"group {group}", False, "exists but is inactive"))
        else:
            detail = "no sys_user_group has this name: create it or fix the Desk's teams"
            items.append(CheckItem(desk, f"group {group}", False, detail))
    return items


def _fields(sn: Connection) -> list[CheckItem]:
    desk = sn.desk.name
    options = sn.options
    wanted = {impact_field(sn.desk): "impact", urgency_field(sn.desk): "urgency"}
    for name, what in (
        (options.marker_field, "marker field"),
        (options.responded_field, "responded field"),
    ):
        if name:
            wanted[name] = what
    for name, column in sn.desk.fields.items():
        if "." not in column:
            wanted[column] = f"field {name}"
    try:
        rows = sn.rows(
            "sys_dictionary",
            f"nameIN{options.table},task^elementIN{','.join(sorted(wanted))}",
            ["element"],
            "check fields",
        )
    except EscaladaError as error:
        return [failed(desk, f"field {f}", error) for f in sorted(wanted)]
    present = {r["element"][0] for r in rows}
    items = []
    for column, what in sorted(wanted.items()):
        if column in present:
            items.append(CheckItem(desk, f"field {column}", True, f"{what} exists"))
            continue
        detail = f"{what}: {options.table} has no field {column}"
        if what == "marker field":
            detail += (
                f" (create a string field {column} of 255+ characters on {options.table}, "
                "or remove options.marker_field to keep the marker in work notes)"
            )
        items.append(CheckItem(desk, f"field {column}", False, detail))
    return items


def _choices(sn: Connection) -> list[CheckItem]:
    desk = sn.desk
    mapped = {"priority": ("priority", dict(desk.priorities))}
    if desk.impact:
        mapped["impact"] = (impact_field(desk), dict(desk.impact.values))
    if desk.urgency:
        mapped["urgency"] = (urgency_field(desk), dict(desk.urgency.values))
    columns = sorted({column for column, _ in mapped.values()})
    try:
        rows = sn.rows(
            "sys_choice",
            f"nameIN{sn.options.table},task^elementIN{','.join(columns)}^inactive=false",
            ["element", "value"],
            "check choices",
        )
    except EscaladaError as error:
        return [failed(desk.name, f"{what} values", error) for what in mapped]
    choices: dict[str, set[str]] = {}
    for row in rows:
        choices.setdefault(row["element"][0], set()).add(row["value"][0])
    items = []
    for what, (column, values) in mapped.items():
        unknown = {k: v for k, v in values.items() if v not in choices.get(column, set())}
        if unknown:
            wrong = ", ".join(f"{k} -> {v}" for k, v in unknown.items())
            known = ", ".join(sorted(choices.get(column, set()))) or "none"
            detail = f"not choices of {column}: {wrong} (its values: {known})"
            items.append(CheckItem(desk.name, f"{what} values", False, detail))
        else:
            items.append(CheckItem(desk.name, f"{what} values", True, f"all are {column} choices"))
    return items
