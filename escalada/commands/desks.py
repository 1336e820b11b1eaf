"""`escalada desks check`: build each desk's connector and ask it to check
itself (credentials, permissions, every mapped group, priority and field),
collecting one line per item, so a broken mapping shows before a run needs it."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence

import click

from escalada.connectors import connect
from escalada.connectors.base import CheckItem
from escalada.connectors.base import Connector
from escalada.connectors.registry import desk_kinds
from escalada.errors import EscaladaError
from escalada.policy.model import Policy
from escalada.runner.options import select_desks
from escalada.tables import table


def check_desks(
    policy: Policy,
    names: Sequence[str] = (),
    *,
    connect_fn: Callable[..., Connector] = connect,
) -> list[CheckItem]:
    """Every check item of every selected desk; a desk that cannot even be
    reached (missing secret, refused credentials, bad file) is one failed item
    and the other desks are still checked."""
    desks = select_desks(policy, names)
    if not desks:
        raise EscaladaError(
            "the policy has no Desk to check",
            hint=f"add a Desk document (kind: Desk, spec.type: {'|'.join(desk_kinds())})",
        )
    items: list[CheckItem] = []
    for desk in desks:
        try:
            connector = connect_fn(desk)
            try:
                items.extend(connector.check(policy))  # some checks need the policy's names
            finally:
                connector.close()
        except EscaladaError as error:
            items.append(CheckItem(desk.name, "connection", False, str(error)))
    return items


def _result(item: CheckItem) -> str:
    if item.ok:
        return "ok"
    return "FAIL" if item.failed else "WARN"


def render(items: Sequence[CheckItem]) -> str:
    rows = [(i.desk, i.item, _result(i), i.detail) for i in items]
    failed = sum(i.failed for i in items)
    warned = sum(not i.ok and not i.failed for i in items)
    desks = len({i.desk for i in items})
    counts = [f"{failed} failed"] if failed else []
    counts += [f"{warned} warning(s)"] if warned else []
    summary = f"{len(items)} checks on {desks} desk(s): " + (", ".join(counts) or "all ok")
    return table(("DESK", "ITEM", "RESULT", "DETAIL"), rows) + "\n" + summary


def check(policy_paths: Sequence[str], desks: Sequence[str]) -> int:
    """`escalada desks check`: one line per item; 1 when any failed (a warning does not)."""
    from escalada.policy.validate import load_policy

    items = check_desks(load_policy(policy_paths), desks)
    click.echo(render(items))
    return 1 if any(item.failed for item in items) else 0
