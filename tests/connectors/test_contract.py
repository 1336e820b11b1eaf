"""Every contract scenario against every desk harness present (see contract.py)."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from tests.connectors.contract import SCENARIOS
from tests.connectors.contract import Harness

DESKS = ("sandbox", "jira", "zendesk", "servicenow")
HERE = Path(__file__).parent


def harness_modules() -> list[Any]:
    """One pytest param per desk; a harness that is missing or fails to import is skipped
    with the reason shown, so the contract grows as the connectors land."""
    params = []
    for desk in DESKS:
        if not (HERE / f"harness_{desk}.py").exists():
            reason = f"tests/connectors/harness_{desk}.py does not exist yet"
            params.append(pytest.param(None, id=desk, marks=pytest.mark.skip(reason=reason)))
            continue
        try:
            module: ModuleType | None = importlib.import_module(f"tests.connectors.harness_{desk}")
        except ImportError as error:
            reason = f"harness_{desk} does not import: {error}"
            params.append(pytest.param(None, id=desk, marks=pytest.mark.skip(reason=reason)))
            continue
        params.append(pytest.param(module, id=desk))
    return params


@pytest.fixture(params=harness_modules())
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    with request.param.open_harness(tmp_path) as opened:
        yield opened


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_contract(harness: Harness, scenario: Callable[[Harness], None]) -> None:
    scenario(harness)
