"""Schema findings: one case per code and per kind of mistake, asserting code,
line, column and what the message and hint say; then the schemas themselves."""

from __future__ import annotations

import json
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from escalada.policy.check.messages import closest
from escalada.policy.check.schema import FORMATS
from escalada.policy.check.schema import check_document
from escalada.policy.check.schema import validator
from escalada.policy.load.files import load_text
from escalada.policy.model import KINDS
from escalada.schemas import combined_schema
from escalada.schemas import kind_schema
from escalada.schemas.examples import EXAMPLES
from escalada.schemas.generate import HERE
from escalada.schemas.generate import kind_schema as generated_schema
from escalada.schemas.generate import render


def doc(kind: str, spec: str, name: str = "x") -> str:
    """A document whose `spec:` is on line 4 and whose spec text starts on line 5."""
    return f"apiVersion: escalada/v1\nkind: {kind}\nmetadata: {{name: {name}}}\nspec:\n{spec}"


def findings_of(text: str) -> list[Any]:
    [document], loaded = load_text(text, "p.yaml")
    assert loaded == []
    return sorted(check_document(document), key=lambda f: (f.where.line, f.where.column))


def only(text: str) -> Any:
    found = findings_of(text)
    assert len(found) == 1, [(f.code, str(f.where), f.message) for f in found]
    assert found[0].severity == "error"
    return found[0]


MATRIX = "  impact: [high]\n  urgency: [high]\n  matrix: {high: [P1]}\n"
CASES = [
    # (id, text, code, line, where on the line (the text the finding points at),
    #  in the message, in the hint)
    (
        "typo-in-key",
        doc("PriorityMatrix", MATRIX)
        + "  priorities:\n    P1: {title: Critical, resolve_whitin: 4h}\n",
        "schema",
        9,
        "resolve_whitin",
        "unknown key `resolve_whitin` in spec.priorities.P1",
        "did you mean `resolve_within`?",
    ),
    (
        "unknown-key-no-close-match",
        doc("Team", "  description: x\n  pager: 555\n"),
        "schema",
        6,
        "pager",
        "unknown key `pager` in spec",
        "valid keys: description, rotation, notify",
    ),
    (
        "missing-key",
        doc("Channel", "  type: slack\n"),
        "schema",
        4,
        "spec",
        "missing required key `url` in spec",
        "{env: NAME} or {file: PATH}",
    ),
    (
        "missing-spec",
        "apiVersion: escalada/v1\nkind: Channel\nmetadata: {name: x}\n",
        "schema",
        1,
        "apiVersion",
        "missing required key `spec` in the document",
        None,
    ),
    (
        "wrong-type",
        doc("EscalationPath", "  levels: {team: desk}\n"),
        "schema",
        5,
        "{team",
        "spec.levels must be a list, not a mapping",
        "Level 0 is where tickets start",
    ),
    (
        "norway",
        doc("Calendar", "  timezone: Europe/Oslo\n  holidays: {country: NO}\n"),
        "schema",
        6,
        "NO",
        "spec.holidays.country must be text, not true/false",
        'quote text, e.g. country: "NO"',
    ),
    (
        "enum",
        doc("Channel", "  type: slak\n  url: {env: HOOK}\n"),
        "schema",
        5,
        "slak",
        "`slak` is not a valid `type` (spec.type)",
        "did you mean `slack`? use one of: slack, teams, webhook",
    ),
    (
        "bad-name",
        doc("Team", "  description: x\n", name="Service_Desk"),
        "schema",
        3,
        "Service_Desk",
        "`Service_Desk` is not a valid name (metadata.name)",
        "lower-case letters, digits and dashes",
    ),
    (
        "builtin-calendar",
        doc("Calendar", "  timezone: UTC\n", name="24x7"),
        "duplicate-name",
        3,
        "24x7",
        "`24x7` is not allowed as metadata.name",
        "built in",
    ),
    (
        "bad-duration",
        doc("EscalationPath", "  levels:\n    - {team: desk}\n    - {team: l2, after: 15 min}\n"),
        "bad-duration",
        7,
        "15 min",
        "`15 min` is not a duration (spec.levels[1].after)",
        "30s, 15m, 1h30m, 2d, 1w",
    ),
    (
        "zero-width-duration",
        doc("PriorityMatrix", MATRIX + "  priorities:\n    P1: {respond_within: h}\n"),
        "bad-duration",
        9,
        "h}",
        "`h` is not a duration",
        "largest first",
    ),
    (
        "literal-secret",
        doc("Channel", "  type: slack\n  url: https://hooks.slack.com/services/T0/B0/s3cr3t\n"),
        "literal-secret",
        6,
        "https",
        "a literal secret in spec.url",
        "write {env: NAME} or {file: PATH}; never commit a token",
    ),
    (
        "literal-secret-in-desk-auth",
        doc(
            "Desk",
            "  type: zendesk\n  url: https://acme.zendesk.com\n  auth: {token: s3cr3t}\n",
        ),
        "literal-secret",
        7,
        "s3cr3t",
        "a literal secret in spec.auth.token",
        "never commit a token",
    ),
    (
        "secret-with-both-sources",
        doc("Channel", "  type: teams\n  url: {env: A, file: /b}\n"),
        "schema",
        6,
        "{env",
        "spec.url allows at most 1 key, found 2",
        "{env: NAME}",
    ),
    (
        "unknown-kind",
        "apiVersion: escalada/v1\nkind: Teams\nmetadata: {name: x}\nspec: {}\n",
        "unknown-kind",
        2,
        "Teams",
        "unknown kind `Teams`",
        "did you mean `Team`? kinds: PriorityMatrix, Calendar, Team",
    ),
    (
        "missing-kind",
        "apiVersion: escalada/v1\nmetadata: {name: x}\n",
        "schema",
        1,
        "apiVersion",
        "missing required key `kind`",
        "EscalationPath",
    ),
    (
        "unknown-api-version",
        "apiVersion: escalada/v2\nkind: Team\nmetadata: {name: x}\n",
        "unknown-api-version",
        1,
        "escalada/v2",
        "apiVersion `escalada/v2` is not supported",
        "write apiVersion: escalada/v1",
    ),
    (
        "condition-without-operator",
        doc("EscalationPath", "  match: {field: priority}\n  levels: [{team: desk}]\n"),
        "schema",
        5,
        "{field",
        "the condition on `priority` in spec.match has no operator",
        "add one of: equals, in, contains, matches, exists, gte, lte",
    ),
    (
        "condition-two-operators",
        doc(
            "EscalationPath",
            "  match: {field: priority, equals: P1, in: [P2]}\n  levels: [{team: d}]\n",
        ),
        "schema",
        5,
        "{field",
        "spec.match has several operators (`equals`, `in`)",
        "all: [...] or any: [...]",
    ),
    (
        "condition-combinator-not-alone",
        doc(
            "EscalationPath",
            "  match: {any: [{field: tags, exists: true}], field: tags}\n  levels: [{team: d}]\n",
        ),
        "schema",
        5,
        "{any",
        "`any` must stand alone in a condition (spec.match also has `field`)",
        "put the other tests inside it",
    ),
    (
        "condition-operator-without-field",
        doc("EscalationPath", "  match: {all: [{equals: P1}]}\n  levels: [{team: d}]\n"),
        "schema",
        5,
        "{equals",
        "operator `equals` in spec.match.all[0] needs a `field`",
        "field: priority",
    ),
    (
        "condition-typo-reported-once",
        doc("EscalationPath", "  match: {field: priority, equal: P1}\n  levels: [{team: d}]\n"),
        "schema",
        5,
        "equal:",
        "unknown key `equal` in spec.match",
        "did you mean `equals`?",
    ),
    (
        "condition-field",
        doc(
            "EscalationPath",
            "  match: {field: requester.vipp, equals: true}\n  levels: [{team: d}]\n",
        ),
        "unknown-field",
        5,
        "requester.vipp",
        "`requester.vipp` is not a valid condition field (spec.match.field)",
        "did you mean `requester.vip`?",
    ),
    (
        "condition-regex",
        doc("EscalationPath", "  match: {field: text, matches: '(gdpr'}\n  levels: [{team: d}]\n"),
        "bad-regex",
        5,
        "'(gdpr'",
        "spec.match.matches is not a valid regular expression",
        "RE2 syntax",
    ),
    (
        "trigger-goto-and-path",
        doc(
            "EscalationPath",
            "  levels: [{team: d}]\n  triggers:\n"
            "    - {name: t, if: {field: tags, contains: x}, goto: 1, path: p, reason: r}\n",
        ),
        "schema",
        7,
        "{name",
        "spec.triggers[0] has `goto` and `path`; keep one",
        "goto: The level to jump to",
    ),
    (
        "trigger-without-reason",
        doc(
            "EscalationPath",
            "  levels: [{team: d}]\n  triggers:\n"
            "    - {name: t, if: {field: tags, contains: x}, goto: next}\n",
        ),
        "schema",
        7,
        "{name",
        "spec.triggers[0] needs one of `reason`, `reason_from`",
        "reason_from: Take the reason",
    ),
    (
        "trigger-goto-word",
        doc(
            "EscalationPath",
            "  levels: [{team: d}]\n  triggers:\n"
            "    - {name: t, if: {field: tags, contains: x}, goto: later, reason: r}\n",
        ),
        "schema",
        7,
        "later",
        "`later` is not valid for spec.triggers[0].goto",
        "(0, 1, ...) or `next`",
    ),
    (
        "level-after-and-at",
        doc(
            "EscalationPath",
            "  levels:\n    - {team: d}\n    - {team: e, after: 1h, at: 50% resolve}\n",
        ),
        "schema",
        7,
        "{team: e",
        "spec.levels[1] has both `after` and `at`; keep one",
        None,
    ),
    (
        "level-sla-share",
        doc("EscalationPath", "  levels:\n    - {team: d}\n    - {team: e, at: 75 resolve}\n"),
        "bad-threshold",
        7,
        "75 resolve",
        "`75 resolve` is not a valid `at` (spec.levels[1].at)",
        "`75% resolve`",
    ),
    (
        "level-action",
        doc("EscalationPath", "  levels:\n    - {team: d, actions: [comment, page]}\n"),
        "schema",
        6,
        "page",
        "`page` is not allowed in spec.levels[0].actions[1]",
        "use one of: assign, comment, notify",
    ),
    (
        "hours-day",
        doc("Calendar", "  timezone: UTC\n  hours: {weekdays: 08:00-17:00}\n"),
        "bad-hours",
        6,
        "weekdays",
        "`weekdays` is not a valid day (a key in spec.hours)",
        "mon-fri",
    ),
    (
        "hours-range-in-list",
        doc("Calendar", "  timezone: UTC\n  hours: {mon: [08:00-12:00, 13:00-25:00]}\n"),
        "bad-hours",
        6,
        "13:00-25:00",
        "`13:00-25:00` is not a valid time range (spec.hours.mon[1])",
        "HH:MM-HH:MM",
    ),
    (
        "holiday-date",
        doc("Calendar", "  timezone: UTC\n  holidays: {dates: [2026-02-30]}\n"),
        "bad-date",
        6,
        "2026-02-30",
        "`2026-02-30` is not a valid date (YYYY-MM-DD, or MM-DD for every year) "
        "(spec.holidays.dates[0])",
        "YYYY-MM-DD",
    ),
    (
        "duplicate-in-list",
        doc(
            "PriorityMatrix",
            "  impact: [high]\n  urgency: [high, low, high]\n  matrix: {high: [P1]}\n",
        )
        + "  priorities: {P1: {}}\n",
        "duplicate-value",
        6,
        "high]",
        "spec.urgency lists `high` more than once",
        None,
    ),
    (
        "desk-url-https",
        doc("Desk", "  type: servicenow\n  url: http://acme.service-now.com\n"),
        "desk-url",
        6,
        "http:",
        "`http://acme.service-now.com` is not a valid `url` (spec.url)",
        "https only",
    ),
    (
        "desk-url-required",
        doc("Desk", "  type: jira\n"),
        "desk-url",
        5,
        "type",
        "missing required key `url` in spec",
        "Every desk but the sandbox",
    ),
    (
        "desk-options-per-type",
        doc(
            "Desk", "  type: zendesk\n  url: https://a.zendesk.com\n  options: {table: incident}\n"
        ),
        "desk-option",
        7,
        "table",
        "unknown key `table` in spec.options",
        "valid keys: safe_update",
    ),
    (
        "desk-option-value",
        doc(
            "Desk", "  type: jira\n  url: https://a.atlassian.net\n  options: {team_mode: group}\n"
        ),
        "desk-option",
        7,
        "group",
        "`group` is not a valid `team_mode` (spec.options.team_mode)",
        "field, component, assignee",
    ),
    (
        "test-date-time",
        doc(
            "PolicyTest",
            "  at: 2026-11-23 10:00\n  ticket: {key: T-1, created: 2026-11-23T09:00:00Z}\n",
        )
        + "  expect: {level: 1}\n",
        "bad-date",
        5,
        "2026-11-23 10:00",
        "`2026-11-23 10:00` is not a valid date and time (spec.at)",
        "RFC 3339",
    ),
    (
        "test-status",
        doc("PolicyTest", "  at: 2026-11-23T10:00:00Z\n")
        + "  ticket: {key: T-1, created: 2026-11-23T09:00:00Z, status: opened}\n"
        + "  expect: {level: 1}\n",
        "schema",
        6,
        "opened",
        "`opened` is not a valid `status` (spec.ticket.status)",
        "did you mean `open`?",
    ),
    (
        "test-minimum",
        doc("PolicyTest", "  at: 2026-11-23T10:00:00Z\n")
        + "  ticket: {key: T-1, created: 2026-11-23T09:00:00Z}\n  expect: {level: -1}\n",
        "schema",
        7,
        "-1",
        "spec.expect.level must be at least 0",
        "The level.",
    ),
]


@pytest.mark.parametrize(
    ("text", "code", "line", "at", "message", "hint"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_each_mistake_is_one_finding_at_its_node(
    text: str, code: str, line: int, at: str, message: str, hint: str | None
):
    column = text.splitlines()[line - 1].index(at) + 1
    finding = only(text)
    assert (finding.code, finding.where.line, finding.where.column) == (code, line, column)
    assert message in finding.message
    if hint is not None:
        assert finding.hint is not None and hint in finding.hint


def test_an_unknown_kind_and_api_version_are_both_said_and_nothing_else():
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: x}\nspec: {containers: []}\n"
    found = [(f.code, f.where.line, f.where.column) for f in findings_of(text)]
    assert found == [("unknown-api-version", 1, 13), ("unknown-kind", 2, 7)]


def test_a_literal_secret_is_never_echoed():
    text = doc("Channel", "  type: slack\n  url: xoxb-123-s3cr3t-token\n")
    finding = only(text)
    rendered = json.dumps(finding.as_json())
    assert "s3cr3t" not in rendered and "xoxb" not in rendered


def test_every_problem_in_a_document_is_reported():
    text = doc(
        "EscalationPath",
        "  precedence: high\n  levels:\n    - {team: Desk, after: soon}\n  triggers: x\n",
    )
    found = {(f.code, f.where.line) for f in findings_of(text)}
    assert found == {("schema", 5), ("schema", 7), ("bad-duration", 7), ("schema", 8)}


@pytest.mark.parametrize("kind", KINDS)
def test_the_example_of_every_kind_is_valid(kind: str):
    assert list(validator(kind).iter_errors(EXAMPLES[kind])) == []


def test_a_validator_is_built_once_per_kind():
    assert validator("Team") is validator("Team")


# --- the schema files ------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_the_shipped_json_is_what_the_generator_writes(kind: str):
    shipped = (HERE / f"{kind}.json").read_text(encoding="utf-8")
    assert shipped == render(generated_schema(kind)), "run python -m escalada.schemas.generate"


@pytest.mark.parametrize("kind", KINDS)
def test_each_schema_is_valid_2020_12_with_id_examples_and_closed_objects(kind: str):
    schema = kind_schema(kind)
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == f"https://escalada.dev/schemas/v1/{kind}.json"
    assert schema["examples"] == [EXAMPLES[kind]]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["spec"]["additionalProperties"] is False


def _properties(node: Any, path: str = "") -> list[tuple[str, Any]]:
    found = []
    if isinstance(node, dict):
        for name, value in node.get("properties", {}).items():
            found.append((f"{path}.{name}", value))
        for key, value in node.items():
            found.extend(_properties(value, f"{path}/{key}"))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found.extend(_properties(value, f"{path}[{index}]"))
    return found


@pytest.mark.parametrize("kind", KINDS)
def test_every_property_has_a_description(kind: str):
    missing = [path for path, value in _properties(kind_schema(kind)) if "description" not in value]
    assert missing == []


def test_the_combined_schema_picks_the_kind_and_accepts_every_example():
    combined = Draft202012Validator(combined_schema(), format_checker=FORMATS)
    Draft202012Validator.check_schema(combined.schema)
    for example in EXAMPLES.values():
        assert list(combined.iter_errors(example)) == []
    wrong = {**EXAMPLES["Channel"], "spec": {"type": "slack", "url": "https://hooks"}}
    assert [e.json_path for e in combined.iter_errors(wrong)] == ["$.spec.url"]
    assert not combined.is_valid({**EXAMPLES["Team"], "kind": "Teams"})


@pytest.mark.parametrize(
    ("word", "expected"),
    [("resolve_whitin", "resolve_within"), ("team", "Team"), ("zzz", None)],
)
def test_closest(word: str, expected: str | None):
    assert closest(word, ["resolve_within", "respond_within", "Team"]) == expected


@pytest.mark.parametrize("value", ['" \\x85"', '"a\\nb"', '"\\e[31mred"', '"x\\u2028y"'])
def test_a_quoted_value_cannot_break_the_findings_line_or_reach_the_terminal_raw(value: str):
    """Found by tests/policy/test_ticket_input_fuzz.py: `at: " \\x85"` (NEL, a line break
    to str.splitlines) made `escalada test`'s one error line two."""
    finding = only(
        doc("PolicyTest", f"  at: {value}\n  ticket: {{key: T-1, created: 2026-11-23T09:00:00Z}}\n")
        + "  expect: {level: 1}\n"
    )
    assert finding.code == "bad-date"
    assert finding.message.isprintable() and len(finding.message.splitlines()) == 1
    assert "\\" in finding.message  # escaped, as Python writes it: \x85, \n, \x1b, \u2028
