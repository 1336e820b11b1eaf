from __future__ import annotations

from dataclasses import replace

from escalada.policy.check.renames import renamed_paths
from tests.engine.fixtures import compliance
from tests.engine.fixtures import critical_outage
from tests.engine.fixtures import policy
from tests.engine.fixtures import standard


def test_a_path_renamed_without_moved_from_is_found_against_the_baseline() -> None:
    before = policy(critical_outage(), compliance(), standard())
    general = replace(standard(), name="general")
    assert renamed_paths(before, policy(critical_outage(), compliance(), general)) == [
        ("standard", "general")
    ]
    remembered = replace(general, moved_from=("standard",))
    assert renamed_paths(before, policy(critical_outage(), compliance(), remembered)) == []
    changed = replace(general, levels=general.levels[:2])
    assert renamed_paths(before, policy(critical_outage(), compliance(), changed)) == []
