"""build_policy: schema-valid documents -> the frozen Policy, with findings for what
only parsing can catch."""

from __future__ import annotations

import shutil
from datetime import date
from datetime import datetime
from datetime import timedelta
from datetime import timezone
from pathlib import Path
from textwrap import dedent

import pytest

from escalada.policy.build import build_policy
from escalada.policy.hours import parse_days
from escalada.policy.hours import parse_range
from escalada.policy.load.documents import Document
from escalada.policy.load.documents import Finding
from escalada.policy.load.files import load_text
from escalada.policy.model import ALWAYS_OPEN
from escalada.policy.model import BUILTIN_24X7
from escalada.policy.model import AllOf
from escalada.policy.model import AnyOf
from escalada.policy.model import FieldCondition
from escalada.policy.model import NotOf
from escalada.policy.model import Policy
from escalada.policy.model import SecretRef
from escalada.policy.model import SlaShare
from escalada.policy.model import ValueMapping
from escalada.policy.regex import Regex


def _documents(text: str, file: str) -> list[Document]:
    """YAML text -> Documents through the real loader (which must accept it)."""
    docs, findings = load_text(text, file)
    assert findings == [], findings
    return docs


def load(tmp_path: Path, files: dict[str, str]) -> list[Document]:
    """Write policy files and load them into Documents."""
    docs: list[Document] = []
    for name, text in files.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(dedent(text), encoding="utf-8")
    for path in sorted(tmp_path.rglob("*.yaml")):
        docs.extend(_documents(path.read_text(encoding="utf-8"), str(path)))
    return docs


def build(tmp_path: Path, text: str) -> tuple[Policy, list[Finding]]:
    return build_policy(load(tmp_path, {"policy.yaml": text}))


MATRIX = """\
    apiVersion: escalada/v1
    kind: PriorityMatrix
    metadata: {name: default}
    spec:
      manage_priority: true
      impact: [high, low]
      urgency: [high, low]
      matrix:
        high: [P1, P2]
        low: [P2, P2]
      priorities:
        P1: {title: Critical, respond_within: 15m, resolve_within: 4h, update_every: 1h}
        P2: {respond_within: 1h30m, resolve_within: 2d, calendar: office}
    """


def codes(findings: list[Finding]) -> list[tuple[str, int, int]]:
    return [(f.code, f.where.line, f.where.column) for f in findings]


def test_matrix_priorities_durations_and_ranks(tmp_path):
    policy, findings = build(tmp_path, MATRIX)
    assert findings == []
    matrix = policy.matrix
    assert matrix is not None and matrix.manage_priority
    assert matrix.impact == ("high", "low") and matrix.urgency == ("high", "low")
    assert matrix.derive("high", "low") == "P2" and matrix.derive("high", "high") == "P1"
    assert matrix.derive("low", None) is None
    p1, p2 = matrix.priorities["P1"], matrix.priorities["P2"]
    assert (p1.rank, p2.rank) == (0, 1)
    assert p1.title == "Critical" and p2.title == "P2"
    assert p1.respond_within == timedelta(minutes=15)
    assert p2.respond_within == timedelta(hours=1, minutes=30)
    assert p2.resolve_within == timedelta(days=2) and p2.update_every is None
    assert p1.calendar == "24x7" and p2.calendar == "office"
    assert (p2.where.line, p2.where.column) == (13, 5)


def test_service_levels_first_match_wins_and_inherit_the_matrix_targets(tmp_path):
    policy, findings = build(
        tmp_path,
        MATRIX.rstrip(" ")
        + """\
      service_levels:
        - name: acme-contract
          description: Acme Retail's support contract
          match: {field: requester.organization, equals: Acme Retail}
          priorities:
            P1: {resolve_within: 2h}
            P2: {resolve_within: 2h, calendar: 24x7}
        - name: gold
          match: {field: tags, contains: gold}
          priorities:
            P2: {respond_within: 30m}
    """,
    )
    assert findings == []
    matrix = policy.matrix
    assert matrix is not None
    acme, gold = matrix.service_levels
    assert (acme.name, gold.name) == ("acme-contract", "gold")
    assert acme.description == "Acme Retail's support contract"
    assert isinstance(acme.match, FieldCondition)
    assert acme.match == FieldCondition(
        "requester.organization", "equals", "Acme Retail", where=acme.match.where
    )
    assert acme.written == {"P1", "P2"} and gold.written == {"P2"}
    p1 = acme.priorities["P1"]
    assert p1.resolve_within == timedelta(hours=2)
    assert p1.respond_within == timedelta(minutes=15) and p1.update_every == timedelta(hours=1)
    assert p1.title == "Critical" and p1.rank == 0 and p1.calendar == "24x7"
    assert acme.priorities["P2"].calendar == "24x7"
    assert acme.priorities["P2"].respond_within == timedelta(hours=1, minutes=30)
    # a priority the level leaves out keeps the matrix's targets
    assert gold.priorities["P1"] is matrix.priorities["P1"]
    assert gold.priorities["P2"].respond_within == timedelta(minutes=30)
    assert matrix.targets("P2", "gold") == gold.priorities["P2"]
    assert matrix.targets("P2", None) is matrix.priorities["P2"]
    assert matrix.targets(None, "gold") is None


def test_builtin_calendar_is_always_there(tmp_path):
    policy, _ = build(tmp_path, MATRIX)
    assert policy.calendars["24x7"] is BUILTIN_24X7
    assert BUILTIN_24X7.always_open


def test_calendar_hours_per_weekday_sorted_and_merged(tmp_path):
    policy, findings = build(
        tmp_path,
        """\
        apiVersion: escalada/v1
        kind: Calendar
        metadata: {name: ops}
        spec:
          timezone: Europe/Stockholm
          hours:
            mon-fri: ["13:00-17:00", "08:00-12:00"]
            fri: "17:00-20:00"              # touches the range before: merged
            sat,sun: "10:00-14:00"
            mon,tue,wed,thu,fri: "22:00-24:00"   # overnight, part one
            tue-sat: "00:00-06:00"          # overnight, part two
          holidays: {country: AU, subdivision: NSW, dates: [2026-12-24, 2026-12-31]}
        """,
    )
    assert findings == []
    calendar = policy.calendars["ops"]
    assert calendar.timezone == "Europe/Stockholm"
    assert calendar.hours[0] == ((480, 720), (780, 1020), (1320, 1440))
    assert calendar.hours[1] == ((0, 360), (480, 720), (780, 1020), (1320, 1440))
    assert calendar.hours[4] == ((0, 360), (480, 720), (780, 1200), (1320, 1440))
    assert calendar.hours[5] == ((0, 360), (600, 840))
    assert calendar.hours[6] == ((600, 840),)
    assert calendar.holiday_country == "AU" and calendar.holiday_subdivision == "NSW"
    assert calendar.holiday_dates == frozenset({date(2026, 12, 24), date(2026, 12, 31)})
    assert not calendar.always_open


def test_calendar_without_hours_is_open_around_the_clock(tmp_path):
    policy, findings = build(
        tmp_path,
        """\
        apiVersion: escalada/v1
        kind: Calendar
        metadata: {name: always-but-christmas}
        spec: {timezone: UTC, holidays: {dates: [2026-12-25]}}
        """,
    )
    assert findings == []
    assert policy.calendars["always-but-christmas"].hours == ALWAYS_OPEN


@pytest.mark.parametrize(
    ("spec", "days"),
    [
        ("mon", (0,)),
        ("mon-fri", (0, 1, 2, 3, 4)),
        ("fri-mon", (0, 4, 5, 6)),
        ("sat,sun", (5, 6)),
        ("Mon, wed-thu", (0, 2, 3)),
        ("daily", (0, 1, 2, 3, 4, 5, 6)),
        ("weekdays", None),
        ("mon-", None),
        ("mon-tue-wed", None),
    ],
)
def test_parse_days(spec, days):
    assert parse_days(spec) == days


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00-17:00", (480, 1020)),
        ("8:30 - 9:45", (510, 585)),
        ("00:00-24:00", (0, 1440)),
        ("22:00-06:00", "does not start before it ends"),
        ("09:00-09:00", "does not start before it ends"),
        ("24:00-24:00", "does not exist"),
        ("08:00-24:30", "does not exist"),
        ("08:60-09:00", "does not exist"),
        ("8-17", "is not an hour range"),
    ],
)
def test_parse_range(text, expected):
    result = parse_range(text)
    if isinstance(expected, tuple):
        assert result == expected
    else:
        assert isinstance(result, str) and expected in result


CALENDAR_HEAD = """\
    apiVersion: escalada/v1
    kind: Calendar
    metadata: {name: ops}
    spec:
      timezone: UTC
      hours:
"""


def test_bad_hours_point_at_the_range_and_teach_overnight_shifts(tmp_path):
    policy, findings = build(
        tmp_path,
        CALENDAR_HEAD
        + """\
        mon-fri: "22:00-06:00"
        sat: ["10:00-12:00", "12:00-9:00"]
        mon-frj: "08:00-17:00"
    """,
    )
    assert codes(findings) == [("bad-hours", 7, 14), ("bad-hours", 8, 26), ("bad-hours", 9, 5)]
    assert "two ranges" in (findings[0].hint or "")
    assert "'mon-frj' is not a day spec" in findings[2].message
    assert policy.calendars["ops"].hours[5] == ((600, 720),)


def test_hours_overlap_reported_once_at_the_later_range(tmp_path):
    policy, findings = build(
        tmp_path,
        CALENDAR_HEAD
        + """\
        mon-fri: "08:00-17:00"
        daily: "16:00-18:00"
    """,
    )
    assert codes(findings) == [("hours-overlap", 8, 12)]
    assert "16:00-18:00 overlaps 08:00-17:00" in findings[0].message
    assert policy.calendars["ops"].hours[0] == ((480, 1080),)


PATH = """\
    apiVersion: escalada/v1
    kind: EscalationPath
    metadata: {name: outage}
    spec:
      match: {all: [{field: priority, in: [P1, P2]}, {not: {field: tags, contains: test}},
                    {any: [{field: requester.vip, equals: true}, {field: impact, gte: high}]}]}
      precedence: 100
      calendar: office
      levels:
        - team: desk
        - {team: l2, after: 15m, unless: responded, actions: [assign, comment, notify]}
        - {team: l3, at: 75% resolve, unless: resolved, message: "Still open: $title"}
        - {team: managers, at: "12.5 % respond"}
      triggers:
        - {name: vip, if: {field: requester.vip, equals: true}, goto: 2, reason: VIP}
        - name: gdpr
          if: {field: text, matches: "(?i)gdpr|personal data"}
          path: compliance
          reason: Personal data
        - {name: asked, if: {field: tags, contains: escalate}, goto: next,
           reason_from: latest_comment}
    """


def test_path_levels_triggers_and_conditions(tmp_path):
    policy, findings = build(tmp_path, PATH)
    assert findings == []
    path = policy.paths["outage"]
    assert path.precedence == 100 and path.calendar == "office"
    match = path.match
    assert isinstance(match, AllOf) and len(match.items) == 3
    first, second, third = match.items
    assert isinstance(first, FieldCondition)
    assert first == FieldCondition("priority", "in", ("P1", "P2"), where=first.where)
    assert (first.where.line, first.where.column) == (5, 17)
    assert isinstance(second, NotOf) and second.item.op == "contains"  # type: ignore[union-attr]
    assert isinstance(third, AnyOf) and third.items[1].op == "gte"  # type: ignore[union-attr]
    levels = path.levels
    assert [level.index for level in levels] == [0, 1, 2, 3]
    assert levels[0].actions == ("comment", "notify") and levels[0].after is None
    assert levels[1].after == timedelta(minutes=15) and levels[1].unless == "responded"
    assert levels[1].actions == ("assign", "comment", "notify")
    assert levels[2].at == SlaShare(75.0, "resolve") and levels[2].message == "Still open: $title"
    assert levels[3].at == SlaShare(12.5, "respond")
    assert (levels[2].where.line, levels[2].where.column) == (12, 7)
    vip, gdpr, asked = path.triggers
    assert vip.goto == 2 and vip.path is None and vip.reason == "VIP"
    assert gdpr.path == "compliance" and gdpr.goto is None
    assert isinstance(gdpr.condition, FieldCondition) and gdpr.condition.pattern is not None
    assert gdpr.condition.pattern.search("a Personal Data leak")
    assert asked.goto == "next" and asked.reason_from == "latest_comment"


def test_path_without_match_matches_everything(tmp_path):
    policy, _ = build(
        tmp_path,
        """\
        apiVersion: escalada/v1
        kind: EscalationPath
        metadata: {name: standard}
        spec:
          levels: [{team: a}, {team: b, after: 1h}]
        """,
    )
    assert policy.paths["standard"].match is None
    assert policy.paths["standard"].precedence == 0


def test_bad_regex_points_at_the_pattern(tmp_path):
    policy, findings = build(tmp_path, PATH.replace("(?i)gdpr|personal data", "(?i)gdpr|(data"))
    assert codes(findings) == [("bad-regex", 17, 34)]
    assert "missing ), unterminated subpattern at position 9" in findings[0].message
    condition = policy.paths["outage"].triggers[1].condition
    assert isinstance(condition, FieldCondition) and condition.pattern is None


def test_bad_duration_and_bad_threshold(tmp_path):
    text = PATH.replace("after: 15m", "after: 0m").replace("75% resolve", "75 resolve")
    policy, findings = build(tmp_path, text)
    assert codes(findings) == [("bad-duration", 11, 25), ("bad-threshold", 12, 22)]
    assert "zero" in findings[0].message
    assert policy.paths["outage"].levels[1].after is None
    assert policy.paths["outage"].levels[2].at is None


def test_team_and_channel(tmp_path):
    policy, findings = build(
        tmp_path,
        """\
        apiVersion: escalada/v1
        kind: Team
        metadata: {name: service-desk}
        spec:
          description: First line
          rotation:
            - {team: sd-emea, calendar: emea}
            - {team: sd-amer, calendar: amer}
          notify: [leads]
        ---
        apiVersion: escalada/v1
        kind: Channel
        metadata: {name: leads}
        spec: {type: slack, url: {env: SLACK_LEADS}}
        ---
        apiVersion: escalada/v1
        kind: Team
        metadata: {name: sd-emea}
        """,
    )
    assert findings == []
    team = policy.teams["service-desk"]
    assert [(s.team, s.calendar) for s in team.rotation] == [
        ("sd-emea", "emea"),
        ("sd-amer", "amer"),
    ]
    assert team.notify == ("leads",) and team.description == "First line"
    assert policy.teams["sd-emea"].rotation == ()
    channel = policy.channels["leads"]
    assert channel.type == "slack" and channel.url == SecretRef("env", "SLACK_LEADS")
    assert channel.where.line == 11


def test_desk_mappings_auth_and_options(tmp_path):
    policy, findings = build(
        tmp_path,
        """\
        apiVersion: escalada/v1
        kind: Desk
        metadata: {name: snow}
        spec:
          type: servicenow
          url: https://acme.service-now.com
          auth: {user: {env: SN_USER}, password: {file: /run/secrets/sn}}
          scope: active=true^category=network
          priorities: {P1: 1, P2: 2}
          impact: {field: impact, values: {high: 1, low: 3}}
          urgency: {values: {high: 1, low: 3}}
          teams: {l2: Network L2}
          fields: {customer: u_customer}
          options: {table: incident, marker_field: u_escalada}
        """,
    )
    assert findings == []
    desk = policy.desks["snow"]
    assert desk.type == "servicenow" and desk.url == "https://acme.service-now.com"
    assert desk.auth == {
        "user": SecretRef("env", "SN_USER"),
        "password": SecretRef("file", "/run/secrets/sn"),
    }
    assert desk.scope == "active=true^category=network"
    assert desk.priorities == {"P1": "1", "P2": "2"}
    assert desk.impact == ValueMapping("impact", {"high": "1", "low": "3"})
    assert desk.urgency == ValueMapping(None, {"high": "1", "low": "3"})
    assert desk.teams == {"l2": "Network L2"} and desk.fields == {"customer": "u_customer"}
    assert desk.options == {"table": "incident", "marker_field": "u_escalada"}


TEST_DOC = """\
    apiVersion: escalada/v1
    kind: PolicyTest
    metadata: {name: p1}
    spec:
      at: AT
      ticket: {key: T-1, priority: P1, created: 2026-11-23T09:40:00Z, tags: [outage]}
      expect: {path: outage, level: 1}
    """


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        ("2026-11-23T10:00:00Z", datetime(2026, 11, 23, 10, tzinfo=timezone.utc)),
        ("2026-11-23T11:00:00+01:00", datetime(2026, 11, 23, 10, tzinfo=timezone.utc)),
        ('"2026-11-23 10:00:00Z"', datetime(2026, 11, 23, 10, tzinfo=timezone.utc)),
    ],
)
def test_policy_test_at_is_an_aware_datetime(tmp_path, at, expected):
    policy, findings = build(tmp_path, TEST_DOC.replace("AT", at))
    assert findings == []
    test = policy.tests["p1"]
    assert test.at == expected and test.at.tzinfo is not None
    assert test.ticket["created"] == "2026-11-23T09:40:00Z"
    assert test.expect == {"path": "outage", "level": 1}


@pytest.mark.parametrize(
    ("at", "message"),
    [("2026-11-23T10:00:00", "has no UTC offset"), ("yesterday", "is not a date and time")],
)
def test_policy_test_at_without_offset_is_a_finding(tmp_path, at, message):
    policy, findings = build(tmp_path, TEST_DOC.replace("AT", at))
    assert codes(findings) == [("bad-date", 5, 7)]
    assert message in findings[0].message
    assert "p1" not in policy.tests


def test_bad_holiday_date(tmp_path):
    _, findings = build(
        tmp_path,
        """\
        apiVersion: escalada/v1
        kind: Calendar
        metadata: {name: ops}
        spec: {timezone: UTC, holidays: {dates: [2026-12-24, 2026-02-30]}}
        """,
    )
    assert codes(findings) == [("bad-date", 4, 54)]


def test_first_document_of_a_name_wins(tmp_path):
    teams = """\
        apiVersion: escalada/v1
        kind: Team
        metadata: {name: a}
        spec: {description: first}
        ---
        apiVersion: escalada/v1
        kind: Team
        metadata: {name: a}
        spec: {description: second}
        """
    text = "---\n".join([dedent(teams), dedent(MATRIX), dedent(MATRIX).replace("default", "x")])
    policy, _ = build(tmp_path, text)
    assert policy.teams["a"].description == "first"
    assert policy.matrix is not None and policy.matrix.name == "default"


def test_regex_is_compiled_once(tmp_path):
    policy, _ = build(tmp_path, PATH)
    condition = policy.paths["outage"].triggers[1].condition
    assert isinstance(condition, FieldCondition) and isinstance(condition.pattern, Regex)


@pytest.mark.parametrize("after", ["99999999999w", "999999999d", "3661d"])
def test_a_duration_too_long_to_compute_with_is_refused(tmp_path, after):
    # once: 99999999999w was an internal error; 999999999d passed and then
    # test and explain exited 3 (issue 12)
    policy, findings = build(tmp_path, PATH.replace("after: 15m", f"after: {after}"))
    assert codes(findings) == [("bad-duration", 11, 25)]
    assert "longer than 3660d" in findings[0].message


@pytest.mark.parametrize(
    ("at", "created"),
    [
        ("0001-01-01T00:00:00Z", "2026-11-23T09:00:00Z"),
        ("9999-12-31T23:59:59-01:00", "2026-11-23T09:00:00Z"),
    ],
)
def test_a_policytest_outside_the_supported_years_is_a_finding(tmp_path, at, created):
    # once: `escalada test` exited 3 with OverflowError (issue 12)
    from escalada.policy.validate import validate_paths
    from tests.paths import EXAMPLE

    policy = tmp_path / "policy"
    shutil.copytree(EXAMPLE, policy)
    (policy / "tests" / "far.yaml").write_text(
        "apiVersion: escalada/v1\nkind: PolicyTest\nmetadata: {name: far}\nspec:\n"
        f"  at: {at}\n  ticket: {{key: F-1, priority: P2, created: {created}}}\n"
        "  expect: {level: 0}\n"
    )
    result = validate_paths([str(policy)])
    messages = [f.message for f in result.findings if f.where.file.endswith("far.yaml")]
    assert any("outside the years 1900-2999" in m for m in messages), result.findings
