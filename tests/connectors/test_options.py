"""Each desk's options table (connectors/<desk>/options.py, reached through the
desk registry) against the connectors' own option parsers: the same names,
defaults and choices; every option a connector takes passes `escalada
validate`; whatever validate passes, the connector takes; a misspelt option is
named with its line:col and the option meant."""

from __future__ import annotations

import re
import tempfile
from dataclasses import replace
from datetime import datetime
from datetime import timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from escalada.connectors.registry import BUILTIN
from escalada.errors import EscaladaError
from escalada.policy.validate import load_policy
from escalada.policy.validate import validate_paths
from escalada.schemas import kind_schema
from escalada.schemas.deskoptions import option_schema
from escalada.ticket import STATUSES
from tests.paths import ROOT

EXAMPLE = ROOT / "examples" / "policy"
DESK_OPTIONS = {kind.type: kind.options for kind in BUILTIN}
URLS = {
    "jira": "https://acme.atlassian.net",
    "zendesk": "https://acme.zendesk.com",
    "servicenow": "https://acme.service-now.com",
}
# A value each connector's parser takes, for every option it knows.
SAMPLES: dict[str, dict[str, Any]] = {
    "jira": {
        "team_mode": "component",
        "team_field": "customfield_10050",
        "project": "OPS",
        "comment_api": "platform",
        "manage_priorities": False,
    },
    "zendesk": {
        "safe_update": False,
        "time_zones": {"Europe/Stockholm": "Stockholm"},
        "sla_filter": {
            "all": [{"field": "type", "operator": "is", "value": "incident"}],
            "any": [{"field": "current_tags", "operator": "includes", "value": "outage"}],
        },
    },
    "servicenow": {
        "table": "incident",
        "marker_field": "u_escalada",
        "page_size": 500,
        "responded_field": "u_responded_at",
        "states": {"1": "open", "2": "open", "3": "on-hold", "6": "resolved", "7": "closed"},
        "tags_field": None,
        "vip_field": "caller_id.vip",
        "organization_field": None,
        "manage_priority_lookup": True,
        "user": "escalada.integration",
    },
    "sandbox": {"path": "demo.sqlite"},
}


def desk_text(kind: str, options: dict[str, Any], name: str = "desk") -> str:
    spec: dict[str, Any] = {"type": kind, "options": options}
    if kind in URLS:
        spec["url"] = URLS[kind]
    document = {"apiVersion": "escalada/v1", "kind": "Desk", "metadata": {"name": name}}
    text: str = yaml.safe_dump({**document, "spec": spec}, sort_keys=False)
    return text


def validate_text(text: str) -> Any:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "desk.yaml"
        path.write_text(text, encoding="utf-8")
        return validate_paths([str(path)])


def errors(result: Any) -> list[tuple[str, int, int, str]]:
    return [
        (f.code, f.where.line, f.where.column, f.message)
        for f in result.findings
        if f.severity == "error"
    ]


# --- the table and the connectors agree -----------------------------------------


def test_every_builtin_desk_has_its_package_options_and_the_schema_lists_them():
    import importlib

    for kind in BUILTIN:
        package = importlib.import_module(f"escalada.connectors.{kind.type}.options")
        assert kind.options is package.OPTIONS
        assert kind.connector_module == f"escalada.connectors.{kind.type}.connector"
    schema = kind_schema("Desk")
    assert schema["properties"]["spec"]["properties"]["type"]["enum"] == list(DESK_OPTIONS)
    for name, options in DESK_OPTIONS.items():
        generated = schema["$defs"][f"{name}Options"]
        assert generated["additionalProperties"] is False
        assert generated["properties"] == {k: option_schema(o) for k, o in options.items()}


def test_the_names_are_the_connectors_own():
    """Each table names what the desk's parser takes (Zendesk has no parser: its
    options are read where used, and test_connector checks those reads)."""
    from escalada.connectors.jira.options import JiraOptions
    from escalada.connectors.servicenow.options import Options

    assert list(DESK_OPTIONS["jira"]) == list(JiraOptions.__dataclass_fields__)
    assert list(DESK_OPTIONS["servicenow"]) == list(Options.__dataclass_fields__)
    assert {kind: set(samples) for kind, samples in SAMPLES.items()} == {
        kind: set(options) for kind, options in DESK_OPTIONS.items()
    }


def test_the_defaults_and_choices_are_the_connectors_own():
    from escalada.connectors.jira.options import COMMENT_APIS
    from escalada.connectors.jira.options import TEAM_MODES
    from escalada.connectors.jira.options import JiraOptions
    from escalada.connectors.sandbox.options import DEFAULT_PATH
    from escalada.connectors.servicenow.options import MAX_PAGE
    from escalada.connectors.servicenow.options import Options

    jira, servicenow = JiraOptions(), Options()
    assert {k: o.default for k, o in DESK_OPTIONS["jira"].items()} == {
        k: getattr(jira, k) for k in DESK_OPTIONS["jira"]
    }
    assert {k: o.default for k, o in DESK_OPTIONS["servicenow"].items()} == {
        k: dict(v) if k == "states" else v
        for k in DESK_OPTIONS["servicenow"]
        for v in [getattr(servicenow, k)]
    }
    assert DESK_OPTIONS["sandbox"]["path"].default == DEFAULT_PATH
    assert DESK_OPTIONS["jira"]["team_mode"].choices == TEAM_MODES
    assert DESK_OPTIONS["jira"]["comment_api"].choices == COMMENT_APIS
    assert DESK_OPTIONS["servicenow"]["page_size"].maximum == MAX_PAGE
    states = option_schema(DESK_OPTIONS["servicenow"]["states"])
    assert states["additionalProperties"]["enum"] == list(STATUSES)


# --- every option a connector takes passes validate ---------------------------------


def test_the_samples_are_taken_by_the_connectors_parsers():
    from escalada.connectors.jira.options import JiraOptions
    from escalada.connectors.sandbox.options import db_path
    from escalada.connectors.servicenow.options import parse_options
    from escalada.connectors.zendesk.config import desired
    from escalada.connectors.zendesk.schedules import zendesk_time_zone

    policy = load_policy([str(EXAMPLE)])
    desks = {
        kind: replace(policy.desks[f"{kind}-prod" if kind in URLS else kind], options=samples)
        for kind, samples in SAMPLES.items()
    }
    jira = JiraOptions.of(replace(desks["jira"], teams={}))
    assert (jira.team_mode, jira.project, jira.manage_priorities) == ("component", "OPS", False)
    servicenow = parse_options(desks["servicenow"])
    assert (servicenow.page_size, servicenow.tags_field, servicenow.user) == (
        500,
        None,
        "escalada.integration",
    )
    zendesk = desks["zendesk"]
    office = policy.calendars["office"]
    assert zendesk_time_zone(zendesk, office) == ("Stockholm", None)
    now = datetime(2026, 11, 23, tzinfo=timezone.utc)
    slas = {o.name: o for o in desired(zendesk, policy, now=now) if o.kind == "sla" and o.attrs}
    # the example's service level takes its customer's tickets out of the matrix's policy
    contract = {"field": "organization_id", "operator": "is", "value": "Contoso Retail"}
    assert slas["default contoso-contract"].attrs["filter"]["all"][-1] == contract
    sla = slas["default"]
    given = SAMPLES["zendesk"]["sla_filter"]
    assert sla.attrs["filter"] == {
        "all": [*given["all"], {**contract, "operator": "is_not"}],
        "any": given["any"],
    }
    assert str(db_path(desks["sandbox"])) == "demo.sqlite"


@pytest.mark.parametrize("kind", SAMPLES)
def test_every_option_a_connector_takes_passes_validate(kind: str):
    result = validate_text(desk_text(kind, SAMPLES[kind]))
    assert errors(result) == []


def test_the_example_desk_hands_the_priority_lookup_to_escalada():
    result = validate_paths([str(EXAMPLE)])
    assert result.ok(strict=True), result.findings
    assert result.policy is not None
    assert result.policy.desks["servicenow-prod"].options["manage_priority_lookup"] is True
    assert result.policy.desks["jira-prod"].options["manage_priorities"] is False


# --- whatever validate passes, the connector takes ----------------------------------

VALUES = st.sampled_from(
    [
        None,
        True,
        False,
        0,
        1,
        500,
        10_000,
        10_001,
        -1,
        "",
        "x",
        "incident",
        "field",
        "component",
        "assignee",
        "platform",
        "servicedesk",
        "yes",
        {},
        {"1": "open"},
        {"1": "opened"},
        {"3": None},
        [],
        ["x"],
    ]
)


@settings(max_examples=120, deadline=None)
@given(
    kind=st.sampled_from(["jira", "servicenow"]),
    data=st.data(),
)
def test_options_validate_passes_are_taken_by_the_connector(kind: str, data: Any):
    from escalada.connectors.jira.options import JiraOptions
    from escalada.connectors.servicenow.options import parse_options

    names = data.draw(st.lists(st.sampled_from(list(DESK_OPTIONS[kind])), unique=True, max_size=4))
    options = {name: data.draw(VALUES) for name in names}
    result = validate_text(desk_text(kind, options))
    option_errors = [e for e in errors(result) if e[0] in ("desk-option", "schema")]
    assert all(code == "desk-option" for code, *_ in option_errors), option_errors
    parse = JiraOptions.of if kind == "jira" else parse_options
    if not option_errors:
        assert result.policy is not None
        parse(result.policy.desks["desk"])  # raises EscaladaError if it refuses
    else:
        desk = result.policy.desks.get("desk") if result.policy else None
        if desk is not None:  # the checks refused what the schema passed: so does the connector
            with pytest.raises(EscaladaError):
                parse(desk)


# --- a misspelt option -----------------------------------------------------------------


def _misspelt(name: str) -> str:
    """Two letters in the middle swapped: `page_size` -> `pag_esize`."""
    middle = len(name) // 2
    return name[: middle - 1] + name[middle] + name[middle - 1] + name[middle + 1 :]


@pytest.mark.parametrize(
    ("kind", "name"),
    [(kind, name) for kind, options in DESK_OPTIONS.items() for name in options],
)
def test_a_misspelt_option_is_named_at_its_line_and_column_with_the_option_meant(
    kind: str, name: str
):
    typo = _misspelt(name)
    text = desk_text(kind, {typo: SAMPLES[kind][name]})
    result = validate_text(text)
    lines = text.splitlines()
    line = next(i for i, row in enumerate(lines, 1) if row.lstrip().startswith(f"{typo}:"))
    column = lines[line - 1].index(typo) + 1
    [finding] = [f for f in result.findings if f.severity == "error"]
    assert (finding.code, finding.where.line, finding.where.column) == ("desk-option", line, column)
    assert f"unknown key `{typo}` in spec.options" in finding.message
    assert finding.hint == f"did you mean `{name}`?"


def test_an_option_of_another_desk_type_lists_the_options_there_are():
    result = validate_text(desk_text("zendesk", {"table": "incident"}))
    [finding] = [f for f in result.findings if f.severity == "error"]
    assert finding.code == "desk-option"
    assert finding.hint == "valid keys: " + ", ".join(DESK_OPTIONS["zendesk"])


# --- the docs ---------------------------------------------------------------------------


def test_the_policy_language_doc_lists_each_types_options():
    doc = (ROOT / "docs" / "policy-language.md").read_text(encoding="utf-8")
    for kind, options in DESK_OPTIONS.items():
        [row] = re.findall(rf"^\| {kind} \| (.*) \|$", doc, re.M)
        named = set(re.findall(r"`([^`]+)`", row))
        words = {str(o.default) for o in options.values()}
        words |= {choice for o in options.values() for choice in o.choices}
        assert set(options) <= named and named <= set(options) | words, (kind, named)
