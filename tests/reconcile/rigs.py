"""One rig per desk for the reconciler's end-to-end tests (tests/reconcile/test_e2e.py).

A rig wraps a desk's contract harness (tests/connectors/<desk>/harness.py) and
adds what the reconciler scenarios need from its fake: how many writes the desk
served, a JSON snapshot of its configuration, hand edits (drift), unmanaged
look-alikes, and a write failing part way through an apply. Everything acts
on the fake's own state, never through escalada.

The policy is YAML loaded by the real loader (`load_policy`); each rig puts
its harness's Desk into it."""

from __future__ import annotations

import json
from collections.abc import Callable
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path
from typing import Any

from escalada.connectors.base import Connector
from escalada.policy.model import Desk
from escalada.policy.model import Policy
from escalada.policy.model import ValueMapping
from escalada.policy.validate import load_policy
from tests.connectors.contract import DESKS
from tests.connectors.jira import harness as harness_jira
from tests.connectors.sandbox import harness as harness_sandbox
from tests.connectors.servicenow import harness as harness_servicenow
from tests.connectors.zendesk import harness as harness_zendesk

SUPPORT = """\
---
apiVersion: escalada/v1
kind: Calendar
metadata: {name: support}
spec:
  timezone: Europe/Dublin
  hours: {mon-fri: ["07:00-12:00", "13:00-16:00"]}
  holidays: {country: IE}
"""
P4 = "    P4: {title: Low, respond_within: 1d, resolve_within: 10d, calendar: support}\n"
POLICY = f"""\
apiVersion: escalada/v1
kind: PriorityMatrix
metadata: {{name: default}}
spec:
  impact: [extensive, significant, moderate, minor]
  urgency: [critical, high, medium, low]
  matrix:
    extensive:   [P1, P1, P2, P3]
    significant: [P1, P2, P3, P3]
    moderate:    [P2, P3, P3, P4]
    minor:       [P3, P4, P4, P4]
  priorities:
    P1: {{title: Critical, respond_within: 15m, resolve_within: 4h, update_every: 1h,
         calendar: 24x7}}
    P2: {{title: High, respond_within: 1h, resolve_within: 8h, update_every: 4h, calendar: office}}
    P3: {{title: Medium, respond_within: 4h, resolve_within: 3d, calendar: office}}
{P4}---
apiVersion: escalada/v1
kind: Calendar
metadata: {{name: office}}
spec:
  timezone: Europe/Stockholm
  hours: {{mon-fri: "08:00-17:00"}}
  holidays: {{country: SE, dates: [2026-12-24, 2026-12-31]}}
{SUPPORT}---
apiVersion: escalada/v1
kind: Team
metadata: {{name: service-desk}}
spec: {{description: First line}}
---
apiVersion: escalada/v1
kind: Team
metadata: {{name: network-l2}}
spec: {{description: Network specialists}}
---
apiVersion: escalada/v1
kind: Team
metadata: {{name: it-management}}
spec: {{description: Management}}
---
apiVersion: escalada/v1
kind: EscalationPath
metadata: {{name: standard}}
spec:
  precedence: 0
  levels:
    - team: service-desk
    - {{team: network-l2, after: 1h, unless: responded, actions: [assign, comment]}}
    - {{team: it-management, at: 75% resolve, unless: resolved}}
"""
# The policy edit: P4 leaves (its matrix cells become P3) and with it the
# `support` calendar, which nothing else uses.
EDITED_POLICY = (
    POLICY.replace("[P2, P3, P3, P4]", "[P2, P3, P3, P3]")
    .replace("[P3, P4, P4, P4]", "[P3, P3, P3, P3]")
    .replace(P4, "")
    .replace(SUPPORT, "")
)

JIRA_ICON = "/images/icons/priorities/major.png"
JIRA_PRIORITIES = {"P1": "P1 - Critical", "P2": "P2 - High", "P3": "P3 - Medium", "P4": "P4 - Low"}
SN_IMPACT = {"extensive": "1", "significant": "2", "moderate": "3", "minor": "3"}
SN_URGENCY = {"critical": "1", "high": "2", "medium": "3", "low": "3"}


def load(tmp_path: Path, text: str, desk: Desk, name: str = "policy") -> Policy:
    folder = tmp_path / name
    folder.mkdir(exist_ok=True)
    (folder / "policy.yaml").write_text(text, encoding="utf-8")
    return replace(load_policy([str(folder)]), desks={desk.name: desk})


def _dump(value: Any) -> str:
    return json.dumps(value, sort_keys=True, default=str)


class HttpRig:
    """What the three HTTP desks share: writes are the non-GET requests their fake served."""

    name: str
    harness: Any

    @property
    def desk(self) -> Desk:
        desk: Desk = self.harness.desk
        return desk

    def connector(self) -> Connector:
        connector: Connector = self.harness.connector()
        return connector

    def writes(self) -> int:
        return sum(1 for call in self.harness.fake.mock.calls if call.request.method != "GET")

    def heal(self) -> None:
        """Injected faults are spent once served: nothing to undo."""


class SandboxRig:
    name = "sandbox"
    faults = ("refused",)

    def __init__(self, harness: harness_sandbox.SandboxHarness) -> None:
        self.harness = harness
        self.db = harness.db
        # Count every row written to the configuration table, whoever writes it.
        self.db.executescript(
            """
            CREATE TABLE e2e_writes (n INTEGER NOT NULL);
            INSERT INTO e2e_writes VALUES (0);
            CREATE TRIGGER e2e_ins AFTER INSERT ON config
                BEGIN UPDATE e2e_writes SET n = n + 1; END;
            CREATE TRIGGER e2e_upd AFTER UPDATE ON config
                BEGIN UPDATE e2e_writes SET n = n + 1; END;
            CREATE TRIGGER e2e_del AFTER DELETE ON config
                BEGIN UPDATE e2e_writes SET n = n + 1; END;
            """
        )
        for group in harness_sandbox.TEAMS.values():  # groups exist in the desk, unmanaged
            self.db.execute("INSERT INTO config (kind, name) VALUES ('group', ?)", [group])

    @property
    def desk(self) -> Desk:
        return self.harness.desk

    def connector(self) -> Connector:
        return self.harness.connector()

    def writes(self) -> int:
        return int(self.db.execute("SELECT n FROM e2e_writes").fetchone()[0])

    def config(self) -> str:
        rows = self.db.execute("SELECT kind, name, attrs, managed FROM config ORDER BY id")
        return _dump([tuple(row) for row in rows])

    def drift(self) -> dict[str, str]:
        self.db.execute(
            "UPDATE config SET attrs = json_set(attrs, '$.respond_minutes', 30) "
            "WHERE kind = 'sla' AND name = 'P2'"
        )
        return {"sla/P2": "respond_minutes"}

    def add_lookalikes(self) -> tuple[list[str], Callable[[], str]]:
        rows = [
            ("sla", "P1", {"respond_minutes": 5}),  # collides with escalada's sla/P1
            ("schedule", "office", {"timezone": "UTC"}),  # collides with schedule/office
            ("schedule", "night shift", {"timezone": "UTC"}),  # a name escalada never uses
        ]
        self.db.executemany(
            "INSERT INTO config (kind, name, attrs, managed) VALUES (?, ?, ?, 0)",
            [(kind, name, json.dumps(attrs)) for kind, name, attrs in rows],
        )

        def snapshot() -> str:
            found = self.db.execute(
                "SELECT id, kind, name, attrs, managed FROM config WHERE managed = 0 "
                "AND kind != 'group' ORDER BY id"
            )
            return _dump([tuple(row) for row in found])

        return ["sla/P1", "schedule/office"], snapshot

    def drop_group(self) -> str:
        self.db.execute("DELETE FROM config WHERE kind = 'group' AND name = 'Network L2'")
        return "group/Network L2"

    def assert_written(self) -> None:
        rows = self.db.execute("SELECT kind, name, attrs FROM config WHERE managed = 1")
        found = {(row["kind"], row["name"]): json.loads(row["attrs"]) for row in rows}
        assert found[("priority", "High")] == {"policy": "P2", "title": "High", "rank": 1}
        assert found[("sla", "P2")] == {
            "priority": "High",
            "respond_minutes": 60,
            "resolve_minutes": 480,
            "update_minutes": 240,
            "calendar": "office",
        }
        office = found[("schedule", "office")]
        assert office["timezone"] == "Europe/Stockholm"
        assert office["hours"]["mon"] == ["08:00-17:00"] and "sat" not in office["hours"]
        assert office["holidays"]["country"] == "SE"
        assert found[("schedule", "support")]["hours"]["fri"] == ["07:00-12:00", "13:00-16:00"]

    def fail_write(self, n: int, kind: str) -> None:
        """The database refuses the n-th row escalada adds to the configuration."""
        have = self.db.execute("SELECT count(*) FROM config WHERE managed = 1").fetchone()[0]
        self.db.execute(
            "CREATE TRIGGER e2e_refuse BEFORE INSERT ON config "
            f"WHEN (SELECT count(*) FROM config WHERE managed = 1) >= {have + n - 1} "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )

    def heal(self) -> None:
        self.db.execute("DROP TRIGGER IF EXISTS e2e_refuse")


class JiraRig(HttpRig):
    name = "jira"
    faults = ("500", "403")

    def __init__(self, harness: harness_jira.JiraHarness) -> None:
        self.harness = harness
        harness.desk = replace(harness.desk, priorities=dict(JIRA_PRIORITIES))
        harness.fake.granted.add("ADMINISTER")

    def config(self) -> str:
        return _dump(self.harness.fake.priorities)

    def _priority(self, name: str) -> dict[str, Any]:
        return next(p for p in self.harness.fake.priorities if p["name"] == name)

    def drift(self) -> dict[str, str]:
        self._priority("P2 - High")["statusColor"] = "#000000"
        return {"priority/P2 - High": "statusColor"}

    def add_lookalikes(self) -> tuple[list[str], Callable[[], str]]:
        fake = self.harness.fake
        fake.priorities.append(
            fake._priority(fake.next_id(), "P2 - High", "#123456", JIRA_ICON, "Ours")
        )
        fake.priorities.append(fake._priority(fake.next_id(), "Blocker", "#ff0000", JIRA_ICON, ""))

        def snapshot() -> str:
            return _dump(
                [p for p in fake.priorities if "[managed by escalada]" not in p["description"]]
            )

        return ["priority/P2 - High"], snapshot

    def drop_group(self) -> str:
        del self.harness.fake.groups["network-l2"]
        return "group/network-l2"

    def assert_written(self) -> None:
        high = self._priority("P2 - High")
        assert (high["description"], high["statusColor"]) == (
            "High [managed by escalada]",
            "#f15c75",
        )
        assert high["iconUrl"].endswith("/type/priority/avatar/10631")  # the high.svg avatar
        builtin = self._priority("High")
        assert builtin["description"] == ""  # Jira's own priorities are left alone

    def fail_write(self, n: int, kind: str) -> None:
        self.harness.fake.inject(kind, method="POST", path=r"/rest/api/2/priority$", after=n - 1)


class ZendeskRig(HttpRig):
    name = "zendesk"
    faults = ("500", "403")

    def __init__(self, harness: harness_zendesk.ZendeskHarness) -> None:
        self.harness = harness
        urgency = harness.desk.urgency
        # `high` is not an option of the fake's urgency field yet: apply adds it.
        harness.desk = replace(
            harness.desk,
            urgency=ValueMapping(urgency.field, {**urgency.values, "high": "high"}),
        )

    def config(self) -> str:
        fake = self.harness.fake
        return _dump([fake.ticket_fields, fake.sla_policies, fake.schedules, fake.holidays])

    def _schedule(self, name: str) -> int:
        fake = self.harness.fake
        return int(next(i for i, s in fake.schedules.items() if s["name"] == name))

    def drift(self) -> dict[str, str]:
        fake = self.harness.fake
        (sla,) = [p for p in fake.sla_policies.values() if p["title"] == "default"]
        sla["policy_metrics"][0]["target"] = 999
        holidays = fake.holidays[self._schedule("office [escalada]")]
        holidays.pop(next(iter(holidays)))
        return {"sla/default": "policy_metrics", "schedule/office": "holidays"}

    def add_lookalikes(self) -> tuple[list[str], Callable[[], str]]:
        fake = self.harness.fake
        office = fake.add_schedule("office", "Stockholm")
        holiday = fake.new_id()
        fake.holidays[office][holiday] = {
            "id": holiday,
            "name": "Midsummer",
            "start_date": "2026-06-19",
            "end_date": "2026-06-19",
        }
        fake.add_schedule("Night shift", "UTC")
        legacy = fake.new_id()
        fake.sla_policies[legacy] = {
            "id": legacy,
            "title": "Legacy SLA",
            "description": "made by hand",
            "position": 1,
            "filter": {
                "all": [{"field": "type", "operator": "is", "value": "incident"}],
                "any": [],
            },
            "policy_metrics": [
                {
                    "priority": "urgent",
                    "metric": "first_reply_time",
                    "target": 30,
                    "business_hours": False,
                }
            ],
        }

        def snapshot() -> str:
            mine = {i for i, s in fake.schedules.items() if s["name"].endswith(" [escalada]")}
            return _dump(
                [
                    {i: s for i, s in fake.schedules.items() if i not in mine},
                    {i: h for i, h in fake.holidays.items() if i not in mine},
                    fake.sla_policies[legacy],
                ]
            )

        return ["schedule/office"], snapshot

    def drop_group(self) -> str:
        fake = self.harness.fake
        del fake.groups[fake.group_id("Network L2")]
        return "group/Network L2"

    def assert_written(self) -> None:
        fake = self.harness.fake
        office = fake.schedules[self._schedule("office [escalada]")]
        assert office["time_zone"] == "Stockholm"
        assert office["intervals"][0] == {"start_time": 1440 + 480, "end_time": 1440 + 1020}
        assert len(office["intervals"]) == 5
        days = {h["start_date"]: h["name"] for h in fake.holidays[office["id"]].values()}
        assert days["2026-12-24"] == "Closed"  # the calendar's own dates
        assert days["2026-06-20"] == "Midsummer Day"  # the country's public holidays
        assert days["2027-01-01"] == "New Year's Day"  # this year and the next
        support = fake.schedules[self._schedule("support [escalada]")]
        assert support["time_zone"] == "Dublin" and len(support["intervals"]) == 10
        (sla,) = [p for p in fake.sla_policies.values() if p["title"] == "default"]
        assert sla["description"].endswith("[managed by escalada]")
        assert sla["filter"]["all"] == [{"field": "type", "operator": "is", "value": "incident"}]
        metrics = {(m["priority"], m["metric"]): m for m in sla["policy_metrics"]}
        assert metrics[("urgent", "first_reply_time")]["target"] == 15
        assert metrics[("urgent", "first_reply_time")]["business_hours"] is False
        # pending pauses by default: the metrics that pause on pending (only)
        assert metrics[("high", "pausable_update_time")]["target"] == 240
        assert metrics[("high", "first_reply_time")]["business_hours"] is True
        assert metrics[("low", "agent_work_time")]["target"] == 14400
        assert self.desk.urgency is not None and self.desk.urgency.field is not None
        urgency = fake.ticket_fields[int(self.desk.urgency.field)]
        assert [o["value"] for o in urgency["custom_field_options"]] == ["crit", "low", "high"]

    def fail_write(self, n: int, kind: str) -> None:
        """The n-th holiday added fails: a schedule is left half written."""
        path = r"/business_hours/schedules/\d+/holidays\.json$"
        self.harness.fake.inject(kind, method="POST", path=path, after=n - 1)


class ServiceNowRig(HttpRig):
    name = "servicenow"
    faults = ("500", "403")

    def __init__(self, harness: harness_servicenow.ServiceNowHarness) -> None:
        self.harness = harness
        harness.desk = replace(
            harness.desk,
            impact=ValueMapping("impact", SN_IMPACT),
            urgency=ValueMapping("urgency", SN_URGENCY),
            options={**harness.desk.options, "manage_priority_lookup": True},
        )

    TABLES = ("dl_u_priority", "cmn_schedule", "cmn_schedule_span", "cmn_other_schedule")

    def config(self) -> str:
        tables = self.harness.fake.tables
        return _dump({name: tables[name] for name in (*self.TABLES, "contract_sla")})

    def drift(self) -> dict[str, str]:
        fake = self.harness.fake
        (sla,) = fake.find("contract_sla", name="P2 respond [managed by escalada]")
        fake.edit("contract_sla", sla["sys_id"], duration="1970-01-01 02:00:00")
        (holidays,) = fake.find("cmn_schedule", name="office holidays")
        first = fake.find("cmn_schedule_span", schedule=holidays["sys_id"])[0]
        del fake.tables["cmn_schedule_span"][first["sys_id"]]
        return {"sla/P2 respond": "duration", "schedule/office": "holidays"}

    def add_lookalikes(self) -> tuple[list[str], Callable[[], str]]:
        fake = self.harness.fake
        office = fake.insert("cmn_schedule", name="office", time_zone="UTC", description="HR")
        fake.insert(
            "cmn_schedule_span",
            schedule=office,
            name="Weekdays",
            start_date_time="20240101T090000",
            end_date_time="20240101T170000",
            days_of_week="12345",
            repeat_type="weekly",
        )
        night = fake.insert("cmn_schedule", name="Night shift", time_zone="UTC")
        ids = {office, night}
        ids.add(fake.insert("contract_sla", name="P1 respond", collection="incident"))
        ids.add(fake.insert("contract_sla", name="Legacy P1 response", collection="incident"))

        def snapshot() -> str:
            tables = fake.tables
            return _dump(
                [[tables[t].get(i) for i in sorted(ids)] for t in ("cmn_schedule", "contract_sla")]
                + [[r for r in tables["cmn_schedule_span"].values() if r["schedule"] == office]]
            )

        return ["schedule/office", "sla/P1 respond"], snapshot

    def drop_group(self) -> str:
        fake = self.harness.fake
        (group,) = fake.find("sys_user_group", name="Network L2")
        fake.edit("sys_user_group", group["sys_id"], active=False)
        return "group/Network L2"

    def assert_written(self) -> None:
        fake = self.harness.fake
        (office,) = fake.find("cmn_schedule", name="office")
        assert "[managed by escalada]" in office["description"]
        assert office["time_zone"] == "Europe/Stockholm"
        (week,) = fake.find("cmn_schedule_span", schedule=office["sys_id"])
        assert (week["days_of_week"], week["start_date_time"], week["end_date_time"]) == (
            "12345",
            "20240101T080000",
            "20240101T170000",
        )
        (link,) = fake.find("cmn_other_schedule", schedule=office["sys_id"])
        closed = fake.find("cmn_schedule_span", schedule=link["child_schedule"], type="exclude")
        assert "20261224T000000" in {c["start_date_time"] for c in closed}
        (sla,) = fake.find("contract_sla", name="P2 respond [managed by escalada]")
        assert sla["schedule"] == office["sys_id"]
        assert (sla["duration"], sla["target"]) == ("1970-01-01 01:00:00", "response")
        assert sla["start_condition"] == "category=network^priority=2"
        (p1,) = fake.find("contract_sla", name="P1 resolve [managed by escalada]")
        assert p1["schedule"] == ""  # 24x7: no schedule
        rules = {(r["impact"], r["urgency"]): r["priority"] for r in fake.rows("dl_u_priority")}
        assert rules == {
            ("1", "1"): "1",
            ("1", "2"): "1",
            ("1", "3"): "2",
            ("2", "1"): "1",
            ("2", "2"): "2",
            ("2", "3"): "3",
            ("3", "1"): "2",
            ("3", "2"): "3",
            ("3", "3"): "3",
        }

    def fail_write(self, n: int, kind: str) -> None:
        """The n-th schedule entry written fails: a schedule is left half written."""
        path = r"^/api/now/table/cmn_schedule_span$"
        self.harness.fake.inject(kind, method="POST", path=path, after=n - 1)


# desk type -> (its rig, its harness module); one per built-in desk of the registry
RIGS: dict[str, tuple[Any, Any]] = {
    "sandbox": (SandboxRig, harness_sandbox),
    "jira": (JiraRig, harness_jira),
    "zendesk": (ZendeskRig, harness_zendesk),
    "servicenow": (ServiceNowRig, harness_servicenow),
}
assert set(RIGS) == set(DESKS), "every built-in desk needs a reconcile rig"


@contextmanager
def open_rig(name: str, tmp_path: Path) -> Iterator[Any]:
    rig, harness = RIGS[name]
    with harness.open_harness(tmp_path) as opened:
        yield rig(opened)
