"""Every contract scenario against every desk's harness (see contract.py)."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.connectors.contract import DESKS
from tests.connectors.contract import SCENARIOS
from tests.connectors.contract import Harness
from tests.connectors.contract import harness_module


def harness_modules() -> list[Any]:
    """One pytest param per desk. Every desk's harness is here and its client library is a
    dependency, so a harness that fails to import fails the run rather than skipping."""
    return [pytest.param(harness_module(desk), id=desk) for desk in DESKS]


@pytest.fixture(params=harness_modules())
def harness(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Harness]:
    with request.param.open_harness(tmp_path) as opened:
        yield opened


@pytest.mark.parametrize("scenario", SCENARIOS, ids=lambda s: s.__name__)
def test_contract(harness: Harness, scenario: Callable[[Harness], None]) -> None:
    scenario(harness)
