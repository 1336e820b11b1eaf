"""The desk registry is the one list of desk types: every built-in entry's
connector satisfies the Connector Protocol, and no code outside a desk's own
package names a desk type (the checks and commands read the flags)."""

from __future__ import annotations

import importlib
import inspect
import re

import pytest

from escalada.connectors.base import Connector
from escalada.connectors.registry import BUILTIN
from tests.paths import ROOT

# what the Protocol's body defines (methods and properties), then its attributes
MEMBERS = sorted(n for n in vars(Connector) if not n.startswith("_"))


@pytest.mark.parametrize("kind", BUILTIN, ids=lambda k: k.type)
def test_each_builtin_connector_has_every_member_of_the_protocol(kind) -> None:
    module, _, name = kind.connector.partition(":")
    connector_class = getattr(importlib.import_module(module), name)
    assert [m for m in MEMBERS if not hasattr(connector_class, m)] == []
    assert {"refresh", "close", "candidates", "apply"} <= set(MEMBERS)
    assert list(Connector.__annotations__) == ["desk"]
    assert "self.desk = desk" in inspect.getsource(connector_class.__init__)


def test_no_code_outside_a_desk_package_names_a_desk_type() -> None:
    types = "|".join(kind.type for kind in BUILTIN)
    named = re.compile(rf"""(type\s*[!=]=\s*|\bin\s*\(.*)["']({types})["']""")
    desks = {f"escalada/connectors/{kind.type}/" for kind in BUILTIN}
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((ROOT / "escalada").rglob("*.py"))
        if not any(str(path.relative_to(ROOT)).startswith(d) for d in desks)
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if named.search(line)
    ]
    assert found == []
    assert named.search('if desk.type == "sandbox":')  # what it looks for
    assert named.search("kind in ('jira', 'zendesk')")


@pytest.mark.parametrize("kind", BUILTIN, ids=lambda k: k.type)
def test_each_builtin_connector_is_built_from_needs_and_wiring_never_the_policy(kind) -> None:
    """A connector learns what its reads need from a ReadNeeds and its sleep,
    jitter, clock and environment from a Wiring (issue 9, item 3)."""
    module, _, name = kind.connector.partition(":")
    connector_class = getattr(importlib.import_module(module), name)
    parameters = inspect.signature(connector_class.__init__).parameters
    assert {"needs", "wiring"} <= set(parameters)
    assert not {"policy", "sleep", "jitter", "clock", "environ"} & set(parameters)
    source = inspect.getsource(importlib.import_module(module))
    assert "self.policy" not in source and "connectors.comments" not in source
