"""`desks check` on Jira (escalada.connectors.jira.check) against the stateful fake:
the global Make bulk changes permission is one more item of the permissions read
it already makes. Held, it is ok; missing, it is a warning with the grant, and
the check still passes: clearing `pending` then costs one call per ticket."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from datetime import timezone
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import pytest
import responses
from click.testing import CliRunner

from escalada.cli import cli
from escalada.commands.desks import render
from escalada.connectors import connect
from escalada.connectors.base import Wiring
from escalada.connectors.jira.connector import JiraConnector
from tests.connectors.jira.harness import ENVIRON
from tests.connectors.jira.harness import jira_desk
from tests.connectors.jira.harness import seed
from tests.fakes.jira import JiraFake
from tests.paths import EXAMPLE

BULK = "permission BULK_CHANGE"
OPENED = datetime(2026, 11, 23, 8, 0, tzinfo=timezone.utc)
# What the check reads: the client's serverInfo, myself, one mypermissions, the scope
# once, the field list (the library's cache for the scope's search, then the fields
# check), priority/search and group/bulk.
CHECK_CALLS = {
    "serverInfo": 1,
    "myself": 1,
    "mypermissions": 1,
    "search": 1,
    "field": 2,
    "priority GET": 1,
    "group/bulk": 1,
}


@pytest.fixture
def fake() -> Iterator[JiraFake]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        server = JiraFake(mock)
        seed(server)
        yield server


def connector() -> JiraConnector:
    made = connect(
        jira_desk(), wiring=Wiring(sleep=lambda s: None, jitter=lambda: 0.5, environ=ENVIRON)
    )
    assert isinstance(made, JiraConnector)
    return made


def permission_reads(fake: JiraFake) -> list[dict[str, list[str]]]:
    urls = [call.request.url or "" for call in fake.mock.calls]
    return [parse_qs(urlsplit(url).query) for url in urls if "/mypermissions" in url]


def test_held_it_is_an_ok_item_from_the_one_permissions_read(fake: JiraFake) -> None:
    items = {i.item: i for i in connector().check()}
    bulk = items[BULK]
    assert bulk.ok and not bulk.failed
    assert bulk.detail == (
        "granted (global): bulk clearing, one bulk edit (and its polls) per 1,000 tickets"
    )
    assert all(i.ok for i in items.values())
    assert dict(fake.calls) == CHECK_CALLS
    # the project's permissions and the global one in the same request
    assert permission_reads(fake) == [
        {
            "permissions": ["BROWSE_PROJECTS,EDIT_ISSUES,ADD_COMMENTS,BULK_CHANGE"],
            "projectKey": ["SD"],
        }
    ]


def test_missing_it_is_a_warning_with_the_grant_and_the_check_passes(fake: JiraFake) -> None:
    fake.granted.discard("BULK_CHANGE")
    found = connector().check()
    items = {i.item: i for i in found}
    bulk = items[BULK]
    assert (bulk.ok, bulk.severity, bulk.failed) == (False, "warning", False)
    assert bulk.detail.startswith("missing (global): the runner clears `pending` with one call")
    assert "Settings > System > Global permissions: Make bulk changes" in bulk.detail
    assert "to a group the account is in" in bulk.detail
    assert [i.item for i in found if not i.ok] == [BULK]
    assert dict(fake.calls) == CHECK_CALLS
    lines = render(found).splitlines()
    (row,) = [line for line in lines if BULK in line]
    assert row.split()[:4] == ["jira-contract", "permission", "BULK_CHANGE", "WARN"]
    assert lines[-1] == "19 checks on 1 desk(s): 1 warning(s)"


def test_a_failure_and_the_warning_are_counted_apart(fake: JiraFake) -> None:
    fake.granted -= {"BULK_CHANGE", "ADD_COMMENTS"}
    found = connector().check()
    assert [i.item for i in found if i.failed] == ["permission ADD_COMMENTS"]
    assert render(found).splitlines()[-1] == "19 checks on 1 desk(s): 1 failed, 1 warning(s)"


def test_the_answer_is_kept_for_clear_pending(fake: JiraFake) -> None:
    """The check's read is the connector's: clear_pending asks no second time."""
    fake.granted.discard("BULK_CHANGE")
    labels = ["escalada-p-1", "escalada-pending"]
    key = fake.add_issue(summary="I", created=OPENED, labels=labels)
    jira = connector()
    jira.check()
    tickets = list(jira.candidates())
    before = fake.calls["mypermissions"]
    done = jira.clear_pending(tickets)
    assert [t.key for t in done] == [key]
    assert fake.calls["mypermissions"] == before == 1
    assert fake.edits[0][1] == {"update": {"labels": [{"remove": "escalada-pending"}]}}


def seed_example(fake: JiraFake) -> None:
    """What the example policy's jira-prod maps (examples/policy/desks.yaml)."""
    fake.add_group_picker("customfield_10050", "Assigned group")
    for field_id, name in (
        ("customfield_10004", "Impact"),
        ("customfield_10045", "Urgency"),
        ("customfield_10030", "Time to first response"),
        ("customfield_10060", "VIP"),
        ("customfield_10002", "Organizations"),
    ):
        fake.add_field(field_id, name, {"type": "option", "custom": "select"})
    for group in (
        "Service Desk EMEA",
        "Service Desk AMER",
        "Service Desk APAC",
        "Network L2",
        "Application Support L2",
        "Senior Engineers",
        "Duty Managers",
        "IT Management",
        "Compliance",
    ):
        fake.add_group(group)


@pytest.mark.parametrize(
    ("held", "result", "summary"),
    [(True, "ok", "all ok"), (False, "WARN", "1 warning(s)")],
)
def test_the_command_shows_it_and_exits_0_either_way(
    fake: JiraFake, held: bool, result: str, summary: str
) -> None:
    """`escalada desks check` as the installed command runs it (the console script's
    click group, in process: the fake lives on this process's `requests`)."""
    seed_example(fake)
    if not held:
        fake.granted.discard("BULK_CHANGE")
    done = CliRunner().invoke(
        cli, ["desks", "check", "--policy", str(EXAMPLE), "--desk", "jira-prod"], env=ENVIRON
    )
    assert done.exit_code == 0, done.output
    lines = done.stdout.splitlines()
    (row,) = [line for line in lines if BULK in line]
    assert row.split()[:4] == ["jira-prod", "permission", "BULK_CHANGE", result]
    assert "FAIL" not in done.stdout
    assert lines[-1].endswith(f"checks on 1 desk(s): {summary}")
    assert fake.calls["mypermissions"] == 1
