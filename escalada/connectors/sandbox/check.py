"""`escalada desks check` on the sandbox: the file opens as a sandbox, and every
group and priority the Desk maps (or, given the policy, every team that holds
work and every priority) exists."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from escalada.connectors.base import CheckItem
from escalada.connectors.base import ConfigObject
from escalada.connectors.sandbox.config import desired_config
from escalada.policy.model import Desk
from escalada.policy.model import Policy

_MISSING = {
    "group": "no such group in the sandbox: map the team to one it has (`escalada sandbox show "
    "--config` lists them; `escalada sandbox seed` creates the example policy's teams)",
    "priority": "no such priority in the sandbox: `escalada apply` creates the policy's priorities",
}


def check(
    desk: Desk,
    path: Path,
    counts: tuple[int, int],
    present: Iterable[ConfigObject],
    policy: Policy | None,
    *,
    exists: bool = True,
) -> list[CheckItem]:
    """The items, from the file's (open, total) ticket counts and its configuration
    (`exists`: False for a file not created yet, an empty sandbox)."""
    open_count, total = counts
    detail = f"{path}: {total} tickets, {open_count} open"
    if not exists:
        detail = f"{path}: not created yet (an empty sandbox; `escalada sandbox seed` fills it)"
    items = [CheckItem(desk.name, "database", True, detail)]
    found = {(obj.kind, obj.name) for obj in present}
    wanted = [("group", name) for name in desk.teams.values()]
    wanted += [("priority", name) for name in desk.priorities.values()]
    if policy is not None:
        wanted += [
            (obj.kind, obj.name)
            for obj in desired_config(desk, policy)
            if obj.kind in ("group", "priority")
        ]
    for kind, name in dict.fromkeys(wanted):
        ok = (kind, name) in found
        items.append(CheckItem(desk.name, f"{kind} {name}", ok, "exists" if ok else _MISSING[kind]))
    return items
