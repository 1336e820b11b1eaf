"""`escalada desks check` on Zendesk: credentials, role, priorities and every mapped
group and field (see zendesk_config.check_mapped), as CheckItems, never raising
for a misconfiguration."""

from __future__ import annotations

from escalada.connectors.base import CheckItem
from escalada.connectors.zendesk import config as zendesk_config
from escalada.connectors.zendesk.client import ZendeskClient
from escalada.connectors.zendesk.tickets import PRIORITIES
from escalada.errors import EscaladaError


def check(connector: ZendeskClient) -> list[CheckItem]:
    name = connector.desk.name
    try:
        user = connector.me()
    except EscaladaError as error:
        hint = f" ({error.hint})" if error.hint else ""
        return [CheckItem(name, "credentials", False, f"{error.message}{hint}")]
    role = str(user.get("role"))
    if user.get("id") is None or role not in ("agent", "admin"):
        return [
            CheckItem(
                name,
                "credentials",
                False,
                f"the API user has role {role!r}: use an agent's token "
                "(an admin's to reconcile SLA policies, schedules and fields)",
            )
        ]
    items = [
        CheckItem(name, "credentials", True, f"{user.get('name')} ({role})"),
        CheckItem(
            name,
            "role admin (reconcile)",
            role == "admin",
            "admin"
            if role == "admin"
            else "agent: runs the runner, but `escalada apply` "
            "needs an admin to manage SLA policies, schedules and field options",
        ),
    ]
    fixed = f"Zendesk priorities are fixed: {', '.join(PRIORITIES)}"
    for policy_name, value in connector.desk.priorities.items():
        ok = value in PRIORITIES
        item = f"priority {policy_name} -> {value}"
        items.append(CheckItem(name, item, ok, "" if ok else fixed))
    try:
        items.extend(zendesk_config.check_mapped(connector))
    except EscaladaError as error:
        items.append(CheckItem(name, "mapped groups and fields", False, str(error)))
    return items
