"""A reopened ticket climbs again on every desk (issue 11): its status decides that it
is unresolved, the time it spent resolved counts as paused, and it resumes where it
stopped. The resolution and the reopen are written into each fake's own history
(Jira's changelog, Zendesk's audits, ServiceNow's sys_audit, the sandbox's status
log) and read back by the runner through the real connector."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.connectors.contract import NOW
from tests.runner_fixtures import H
from tests.runner_fixtures import M
from tests.runner_fixtures import RecordingNotifier
from tests.runner_fixtures import harness_params
from tests.runner_fixtures import open_desk
from tests.runner_fixtures import run
from tests.runner_fixtures import runner_policy


@pytest.mark.parametrize("desk", harness_params())
def test_a_reopened_ticket_climbs_again_and_its_resolved_time_does_not_count(
    desk: str, tmp_path: Path
) -> None:
    with open_desk(desk, tmp_path) as h:
        # critical-outage on 24x7: L1 15m unless responded, L2 2h unless resolved.
        # Both were opened 5h ago and solved after 1h; without the pause both would be
        # 5h old and at L2.
        long_ago = h.add_ticket(
            title="Core switch down again", created=NOW - 5 * H, priority="P1", tags=["outage"]
        )
        lately = h.add_ticket(
            title="VPN drops again", created=NOW - 5 * H, priority="P1", tags=["outage"]
        )
        for key, reopened in ((long_ago, NOW - 90 * M), (lately, NOW - 30 * M)):
            h.change_status(key, "resolved", NOW - 4 * H)  # type: ignore[attr-defined]
            h.change_status(key, "open", reopened)  # type: ignore[attr-defined]
        notifier = RecordingNotifier()
        report = run(h, runner_policy(h.desk), NOW, notifier)
        assert report.desks[0].failed is None
        assert h.view(long_ago).status == h.view(lately).status == "open"
        # 1h before the resolution + 90m since the reopen = 2h30m: past L2's 2h
        assert h.view(long_ago).escalation.level == 2
        # 1h + 30m = 1h30m: short of L2 (the 3h30m resolved do not count), past L1's
        # 15m unless responded; ServiceNow without a responded_field counts a ticket out
        # of New as responded (its reopen goes to In Progress), so L1 stays quiet there
        responded = desk == "servicenow"
        assert h.view(lately).escalation.level == (0 if responded else 1)
        announced = {(s.ticket, s.level) for s in notifier.sent}
        assert (long_ago, 2) in announced
        assert (lately, 2) not in announced
        assert ((lately, 1) in announced) is not responded
