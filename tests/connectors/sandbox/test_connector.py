"""The sandbox connector beyond the cross-desk contract: its scope grammar, its
file handling, the reconciler's configuration, `check`, and two runners racing."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from collections.abc import Iterator
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest

from escalada.connectors import connect
from escalada.connectors.base import ConfigObject
from escalada.connectors.base import Wiring
from escalada.connectors.sandbox.connector import SandboxConnector
from escalada.connectors.sandbox.store import NewTicket
from escalada.connectors.sandbox.store import ensure_groups
from escalada.connectors.sandbox.store import insert_tickets
from escalada.connectors.sandbox.store import open_db
from escalada.errors import ConflictError
from escalada.errors import DeskError
from escalada.errors import EscaladaError
from escalada.policy.model import ALWAYS_OPEN
from escalada.policy.model import BUILTIN_24X7
from escalada.policy.model import Calendar
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.policy.model import Priority
from escalada.policy.model import PriorityMatrix
from escalada.policy.model import RotationShift
from escalada.policy.model import Team
from escalada.policy.model import ValueMapping
from escalada.policy.model import Where
from escalada.ticket import Action
from escalada.ticket import EscalationState

Make = Callable[..., SandboxConnector]
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=timezone.utc)
OPENED = NOW - timedelta(hours=2)


def sandbox(tmp_path: Path, **spec: object) -> Desk:
    options = {"path": str(tmp_path / "sandbox.sqlite")}
    return Desk(name="sandbox", type="sandbox", options=options, **spec)  # type: ignore[arg-type]


def add(desk: Desk, *tickets: NewTicket) -> list[str]:
    db = open_db(Path(desk.options["path"]))
    try:
        return insert_tickets(db, tickets)
    finally:
        db.close()


def keys(connector: SandboxConnector, **kwargs: object) -> list[str]:
    return [t.key for t in connector.candidates(**kwargs)]  # type: ignore[arg-type]


@pytest.fixture
def opened() -> list[SandboxConnector]:
    return []


@pytest.fixture
def make(opened: list[SandboxConnector]) -> Iterator[Make]:
    def build(desk: Desk, **options: Any) -> SandboxConnector:
        connector = connect(desk, wiring=Wiring(clock=lambda: NOW), **options)
        assert isinstance(connector, SandboxConnector)
        opened.append(connector)
        return connector

    yield build
    for connector in opened:
        connector.close()


# --- scope ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        ("", ["SB-1", "SB-2", "SB-3", "SB-4"]),
        ("tag:outage", ["SB-1", "SB-3"]),
        ("tag:outage -tag:spam", ["SB-1"]),
        ('team:"Network L2"', ["SB-2", "SB-3"]),
        ("-team:'Network L2'", ["SB-1", "SB-4"]),  # a ticket with no team is not in the team
        ("priority:P1 org:Acme", ["SB-1"]),
        ("vip:true", ["SB-4"]),
        ("vip:false -tag:outage", ["SB-2"]),
    ],
)
def test_scope_terms_filter_in_sql(
    tmp_path: Path, make: Make, scope: str, expected: list[str]
) -> None:
    desk = sandbox(tmp_path, scope=scope)
    add(
        desk,
        NewTicket("a", OPENED, priority="P1", organization="Acme", tags=["outage"]),
        NewTicket("b", OPENED, priority="P3", team="Network L2"),
        NewTicket("c", OPENED, priority="P1", team="Network L2", tags=["outage", "spam"]),
        NewTicket("d", OPENED, priority="P4", vip=True, tags=["printer"]),
    )
    assert keys(make(desk)) == expected


@pytest.mark.parametrize(
    ("scope", "message"),
    [
        ("type:incident", "scope term 'type:incident' is not NAME:VALUE"),
        ("outage", "scope term 'outage' is not NAME:VALUE"),
        ("tag:", "scope term 'tag:' is not NAME:VALUE"),
        ("vip:yes", "vip takes true or false"),
        ('team:"Network L2', "No closing quotation"),
    ],
)
def test_a_bad_scope_is_one_clear_error_with_its_place(
    tmp_path: Path, scope: str, message: str
) -> None:
    desk = sandbox(tmp_path, scope=scope, where=Where("policy/desks.yaml", 4, 1))
    with pytest.raises(EscaladaError) as caught:
        SandboxConnector(desk)
    text = str(caught.value)
    assert text.startswith("policy/desks.yaml:4:1: desk 'sandbox': ")
    assert message in text
    assert "tag:outage -tag:spam" in text  # the hint shows the grammar


# --- the file ---------------------------------------------------------------------


def test_the_default_path_is_created_by_the_first_write_never_by_a_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make: Make
) -> None:
    monkeypatch.chdir(tmp_path)
    connector = make(Desk(name="sandbox", type="sandbox"))
    assert keys(connector) == [] and connector.current_config() == []
    (database, *_) = connector.check()
    assert database.ok and "not created yet" in database.detail
    assert list(tmp_path.iterdir()) == []  # plan, check and a dry run write nothing (issue 12)
    connector.write_config("create", ConfigObject("priority", "P1", {"rank": 0}))
    assert (tmp_path / ".escalada" / "sandbox.sqlite").is_file()
    assert [obj.name for obj in connector.current_config()] == ["P1"]


def test_a_path_that_is_not_a_regular_file_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(EscaladaError, match="/dev/null is not a regular file"):
        connect(Desk(name="sandbox", type="sandbox", options={"path": "/dev/null"}))


def test_a_file_that_is_not_a_sandbox_is_refused(tmp_path: Path) -> None:
    text_file = tmp_path / "notes.txt"
    text_file.write_text("this is not a database, but it is long enough to be read " * 20)
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as db:
        db.execute("CREATE TABLE inventory (item TEXT)")
    db.close()
    for path in (text_file, other):
        desk = Desk(name="lab", type="sandbox", options={"path": str(path)})
        with pytest.raises(DeskError) as caught:
            SandboxConnector(desk)
        assert str(caught.value).startswith("desk 'lab': open: ")
        assert "escalada sandbox seed --db PATH" in str(caught.value)


# --- reading ----------------------------------------------------------------------


def test_candidates_map_desk_values_back_and_carry_the_latest_request_comment(
    tmp_path: Path, make: Make
) -> None:
    desk = sandbox(
        tmp_path,
        priorities={"P1": "Critical"},
        teams={"network-l2": "Network L2"},
        impact=ValueMapping(None, {"extensive": "ext"}),
    )
    [key] = add(
        desk,
        NewTicket(
            "Payroll export fails",
            OPENED,
            priority="Critical",
            impact="ext",
            urgency="high",
            team="Network L2",
            tags=["escalate"],
            fields={"site": "Oslo"},
            comments=[(OPENED, "first"), (OPENED + timedelta(minutes=5), "payroll runs at 15:00")],
        ),
    )
    connector = make(desk)
    connector.apply(next(connector.candidates()), [Action("ask_reason", reason="why?")])
    [ticket] = connector.candidates()
    assert (ticket.key, ticket.priority, ticket.team) == (key, "P1", "network-l2")
    assert (ticket.impact, ticket.urgency) == ("extensive", "high")  # unmapped passes as is
    assert ticket.fields == {"site": "Oslo"}
    assert ticket.updated == NOW
    assert ticket.latest_comment == "payroll runs at 15:00"  # escalada's own reply is skipped


def test_pages_end_without_an_empty_read(tmp_path: Path, make: Make) -> None:
    desk = sandbox(tmp_path)
    add(desk, *(NewTicket(f"t{i}", OPENED) for i in range(10)))
    connector = make(desk, page_size=5)
    assert len(keys(connector)) == 10
    assert connector.calls == 2


@pytest.mark.parametrize(
    ("column", "value", "said"),
    [
        ("tags", "not json", "tags 'not json': not a JSON list"),
        ("tags", "[1]", "not a JSON list of strings"),
        ("fields", "[]", "fields '[]': not a JSON dict"),
        ("created", "garbage", "created 'garbage': not an ISO-8601 time with a zone"),
        ("created", "2026-01-01T00:00:00", "not an ISO-8601 time with a zone"),  # naive
        ("created", "0001-01-01T00:00:00+00:00", "outside the years"),
        ("created", "9999-12-31T23:59:59-01:00", "outside the years"),
        ("responded", "yesterday", "responded 'yesterday'"),
        ("revision", "abc", "revision 'abc': not a whole number"),
    ],
)
def test_a_malformed_row_is_that_tickets_error_and_the_others_are_read(
    tmp_path: Path, make: Make, column: str, value: str, said: str
) -> None:
    desk = sandbox(tmp_path)
    add(desk, *(NewTicket(f"t{i}", OPENED) for i in range(5)))
    db = sqlite3.connect(desk.options["path"])
    db.execute(f"UPDATE tickets SET {column} = ? WHERE key = 'SB-2'", [value])  # noqa: S608
    db.commit()
    db.close()
    connector = make(desk, page_size=2)
    assert keys(connector) == ["SB-1", "SB-3", "SB-4", "SB-5"]
    (error,) = connector.rejects.take()
    assert error.key == "SB-2" and said in str(error)
    assert str(error).startswith("desk 'sandbox': ticket SB-2: ")
    assert connector.rejects.take() == []  # taken once


# --- writing ----------------------------------------------------------------------


def test_two_runners_on_one_ticket_only_the_first_writes(tmp_path: Path, make: Make) -> None:
    desk = sandbox(tmp_path)
    [key] = add(desk, NewTicket("Core switch down", OPENED, tags=["outage"]))
    first, second = make(desk), make(desk)
    seen_by_first, seen_by_second = next(first.candidates()), next(second.candidates())
    state = EscalationState(path="critical-outage", level=1, since=NOW)
    mark = Action("mark", reason="level 1", state=state)
    first.apply(seen_by_first, [Action("comment", reason="escalated"), mark])
    with pytest.raises(ConflictError) as caught:
        second.apply(seen_by_second, [Action("comment", reason="escalated"), mark])
    assert "revision 1, now 2" in str(caught.value)
    db = open_db(Path(desk.options["path"]))
    notes = db.execute("SELECT count(*) FROM notes WHERE ticket = ?", [key]).fetchone()[0]
    db.close()
    assert notes == 1


def test_clear_pending_is_one_call_and_leaves_out_tickets_without_the_token(
    tmp_path: Path, make: Make
) -> None:
    desk = sandbox(tmp_path)
    keys = add(desk, *(NewTicket(f"t{i}", OPENED, tags=["outage"]) for i in range(3)))
    connector = make(desk)
    read = {t.key: t for t in connector.candidates()}
    pending = EscalationState(path="critical-outage", level=1, since=NOW, pending=True)
    for key in keys[:2]:
        connector.apply(read[key], [Action("mark", reason="level 1", state=pending)])
    before = connector.calls
    cleared = connector.clear_pending([read[k] for k in keys])  # the third never had it
    assert connector.calls - before == 1
    assert [t.key for t in cleared] == keys[:2]
    assert all(not t.escalation.pending and t.escalation.level == 1 for t in cleared)
    assert [t.revision for t in cleared] == ["3", "3"]  # written twice since the seed
    again = {t.key: t for t in connector.candidates()}
    assert again[keys[2]].revision == "1" and again[keys[2]].tags == {"outage"}
    assert connector.clear_pending(cleared) == []  # nothing left to clear: nothing written


def test_notify_alone_writes_nothing(tmp_path: Path, make: Make) -> None:
    desk = sandbox(tmp_path)
    add(desk, NewTicket("t", OPENED))
    connector = make(desk)
    ticket = next(connector.candidates())
    result = connector.apply(ticket, [Action("notify", reason="r", channels=("sd-leads",))])
    assert (result.written, result.calls) == ((), 0)
    assert next(connector.candidates()).revision == ticket.revision


def test_a_deleted_ticket_is_a_desk_error_not_a_conflict(tmp_path: Path, make: Make) -> None:
    desk = sandbox(tmp_path)
    add(desk, NewTicket("t", OPENED))
    connector = make(desk)
    ticket = next(connector.candidates())
    db = open_db(Path(desk.options["path"]))
    db.execute("DELETE FROM tickets")
    db.close()
    with pytest.raises(DeskError) as caught:
        connector.apply(ticket, [Action("comment", reason="r")])
    assert not isinstance(caught.value, ConflictError)
    assert caught.value.status == 404


# --- configuration ----------------------------------------------------------------

OFFICE = Calendar(
    name="office",
    timezone="Europe/Stockholm",
    hours=(((480, 1020),),) * 5 + ((), ()),
    holiday_country="SE",
    holiday_dates=frozenset({date(2026, 12, 24)}),
)
EMEA = Calendar(name="emea", timezone="Europe/Stockholm", hours=ALWAYS_OPEN)


def policy() -> Policy:
    def priority(name: str, rank: int, calendar: str, update: timedelta | None) -> Priority:
        return Priority(
            name,
            f"{name} title",
            timedelta(minutes=15 * (rank + 1)),
            timedelta(hours=4 * (rank + 1)),
            update,
            calendar,
            rank,
        )

    matrix = PriorityMatrix(
        name="default",
        impact=("high", "low"),
        urgency=("high", "low"),
        cells={
            ("high", "high"): "P1",
            ("high", "low"): "P2",
            ("low", "high"): "P2",
            ("low", "low"): "P2",
        },
        priorities={
            "P1": priority("P1", 0, "24x7", timedelta(hours=1)),
            "P2": priority("P2", 1, "office", None),
        },
    )
    teams = {
        "service-desk": Team("service-desk", rotation=(RotationShift("sd-emea", "emea"),)),
        "network-l2": Team("network-l2"),
    }
    return Policy(
        matrix=matrix,
        calendars={"24x7": BUILTIN_24X7, "office": OFFICE, "emea": EMEA},
        teams=teams,
        channels={},
        paths={},
        desks={},
        tests={},
    )


def test_desired_config_mirrors_the_policy(tmp_path: Path, make: Make) -> None:
    desk = sandbox(
        tmp_path, priorities={"P1": "Critical", "P2": "High"}, teams={"network-l2": "Network L2"}
    )
    desired = {obj.key: obj for obj in make(desk).desired_config(policy())}
    assert list(desired) == [
        "priority/Critical",
        "priority/High",
        "schedule/24x7",
        "schedule/office",
        "schedule/emea",
        "sla/P1",
        "sla/P2",
        "group/sd-emea",  # the rotation's regional team holds the work, not service-desk
        "group/Network L2",
    ]
    assert desired["priority/High"].attrs == {"policy": "P2", "title": "P2 title", "rank": 1}
    assert desired["schedule/office"].attrs == {
        "timezone": "Europe/Stockholm",
        "hours": {day: ["08:00-17:00"] for day in ("mon", "tue", "wed", "thu", "fri")},
        "holidays": {"country": "SE", "subdivision": None, "dates": ["2026-12-24"]},
    }
    assert desired["schedule/emea"].attrs["hours"]["sun"] == ["00:00-24:00"]
    assert desired["sla/P1"].attrs == {
        "priority": "Critical",
        "respond_minutes": 15,
        "resolve_minutes": 240,
        "update_minutes": 60,
        "calendar": "24x7",
    }
    assert desired["sla/P2"].depends_on == ("priority/High", "schedule/office")
    assert desired["group/Network L2"].verify_only


def test_config_writes_touch_only_what_escalada_owns(tmp_path: Path, make: Make) -> None:
    desk = sandbox(tmp_path)
    connector = make(desk)
    db = open_db(Path(desk.options["path"]))
    ensure_groups(db, ["network-l2"])
    db.execute("INSERT INTO config (kind, name, attrs) VALUES ('priority', 'Legacy', '{}')")
    db.close()
    created = connector.write_config("create", ConfigObject("priority", "P1", {"rank": 0}))
    assert created.id is not None and created.managed
    updated = connector.write_config(
        "update", ConfigObject("priority", "P1", {"rank": 1}, id=created.id)
    )
    current = {obj.key: obj for obj in connector.current_config()}
    assert current["priority/P1"].attrs == {"rank": 1} and current["priority/P1"].managed
    assert updated.id == created.id
    assert not current["priority/Legacy"].managed
    assert current["group/network-l2"].verify_only and not current["group/network-l2"].managed

    legacy = current["priority/Legacy"]
    with pytest.raises(DeskError, match="no such object managed by escalada"):
        connector.write_config("delete", legacy)
    stale = ConfigObject("priority", "Renamed", {}, id=legacy.id)
    with pytest.raises(DeskError, match="no such object"):
        connector.write_config("update", stale)
    with pytest.raises(DeskError, match="already exists") as caught:
        connector.write_config("create", ConfigObject("priority", "Legacy", {}))
    assert caught.value.status == 409
    with pytest.raises(DeskError, match="groups are verified"):
        connector.write_config("create", ConfigObject("group", "new-team", verify_only=True))

    connector.write_config("delete", current["priority/P1"])
    assert {obj.key for obj in connector.current_config()} == {
        "priority/Legacy",
        "group/network-l2",
    }
    # `--adopt Legacy`: the reconciler sends an update, and the object becomes escalada's
    connector.write_config("update", ConfigObject("priority", "Legacy", {"rank": 3}, id=legacy.id))
    [adopted] = [obj for obj in connector.current_config() if obj.name == "Legacy"]
    assert adopted.managed and adopted.attrs == {"rank": 3}
    connector.write_config("delete", adopted)


def test_check_reports_the_file_and_every_mapped_name(tmp_path: Path, make: Make) -> None:
    desk = sandbox(
        tmp_path,
        priorities={"P1": "Critical", "P2": "High"},
        teams={"network-l2": "Network L2", "it-management": "IT Mgmt"},
    )
    add(desk, NewTicket("open", OPENED), NewTicket("done", OPENED, status="resolved"))
    connector = make(desk)
    db = open_db(Path(desk.options["path"]))
    ensure_groups(db, ["Network L2"])
    db.close()
    connector.write_config("create", ConfigObject("priority", "Critical"))
    items = {item.item: item for item in connector.check()}
    assert items["database"].ok
    assert items["database"].detail.endswith("sandbox.sqlite: 2 tickets, 1 open")
    assert items["group Network L2"].ok and items["priority Critical"].ok
    assert not items["group IT Mgmt"].ok
    assert "escalada sandbox show --config" in items["group IT Mgmt"].detail
    assert not items["priority High"].ok
    assert "escalada apply" in items["priority High"].detail
    assert {item.desk for item in items.values()} == {"sandbox"}


def test_tags_are_stored_as_a_sorted_json_list(tmp_path: Path, make: Make) -> None:
    desk = sandbox(tmp_path)
    [key] = add(desk, NewTicket("t", OPENED, tags=["vpn", "email", "vpn"]))
    connector = make(desk)
    state = EscalationState(path="p", level=2, since=NOW)
    connector.apply(next(connector.candidates()), [Action("mark", reason="r", state=state)])
    db = open_db(Path(desk.options["path"]))
    stored = db.execute("SELECT tags FROM tickets WHERE key = ?", [key]).fetchone()[0]
    db.close()
    assert json.loads(stored) == ["email", "escalada-p-2", "escalada-since-20261123t100000z", "vpn"]


def test_the_reconciler_converges_on_the_sandbox(tmp_path: Path, make: Make) -> None:
    from escalada import reconcile

    desk = sandbox(tmp_path)
    connector = make(desk)
    db = open_db(Path(desk.options["path"]))
    ensure_groups(db, ["sd-emea", "network-l2"])
    db.execute("INSERT INTO config (kind, name, attrs) VALUES ('schedule', 'emea', '{}')")
    db.close()

    first = reconcile.plan(policy(), [connector])
    [desk_plan] = first.desks
    assert not desk_plan.problems
    assert [(c.op, c.key) for c in desk_plan.changes] == [
        ("create", "priority/P1"),
        ("create", "priority/P2"),
        ("create", "schedule/24x7"),
        ("create", "schedule/office"),
        ("conflict", "schedule/emea"),  # the desk's own object of that name
        ("create", "sla/P1"),
        ("create", "sla/P2"),
    ]
    assert reconcile.apply(first, [connector]).ok
    again = reconcile.plan(policy(), [connector])
    assert [(c.op, c.key) for c in again.desks[0].changes] == [("conflict", "schedule/emea")]

    adopted = reconcile.plan(policy(), [connector], adopt=["emea"])
    assert [(c.op, c.key) for c in adopted.desks[0].changes] == [("update", "schedule/emea")]
    assert reconcile.apply(adopted, [connector]).ok
    assert [c.op for c in reconcile.plan(policy(), [connector]).desks[0].changes] == []


def test_given_the_policy_check_covers_its_teams_and_priorities(tmp_path: Path, make: Make) -> None:
    from escalada import reconcile

    desk = sandbox(tmp_path, teams={"network-l2": "Network L2"})
    db = open_db(Path(desk.options["path"]))
    ensure_groups(db, ["Network L2"])
    db.close()
    connector = make(desk)
    failed = [(i.item, i.ok) for i in connector.check(policy()) if not i.ok]
    assert failed == [("priority P1", False), ("priority P2", False), ("group sd-emea", False)]
    assert reconcile.apply(reconcile.plan(policy(), [connector]), [connector]).ok
    # the embedded desk made its missing group, as the desk's own (issue 12)
    assert [i.item for i in connector.check(policy()) if not i.ok] == []
    assert ("group", "sd-emea", False) in [
        (o.kind, o.name, o.managed) for o in connector.current_config()
    ]
