"""No ticket and no `--at` makes `explain`, `test` or `simulate --tickets` crash.

Tickets shaped like real ones (the example's PolicyTest tickets, any node replaced by
another type or an edge value, dropped or added, written as YAML or JSON, to a file or
stdin, sometimes with bytes spliced in), instants of any shape, and ticket files (JSON
Lines) of such tickets come back as exit 0 or 1, with one `error:` line on stderr when 1;
never a traceback, never exit 3 (the internal-error code). A bad `--at` is click's usage
error (exit 2) with one `Error:` line. Through click's CliRunner, so an exception that
escapes the command's handler fails the test with its traceback.

Like tests/policy/test_validate_fuzz.py for policies (issue 12: `created: 2026-02-30`,
`+25:00`, 5,000 nested brackets, a NUL byte, non-UTF-8 stdin, 5,000-digit numbers and
`--at 0001-01-01T00:00:00Z` once exited 3). What it found: a PolicyTest `at: " \x85"` split
`test`'s error line in two (tests/policy/check/test_schema.py, tests/test_cli_group.py);
a 5,000-digit number or 5,000 nested brackets on a line of a ticket file exited 3
(tests/test_jsonlines.py, tests/test_ticket_file.py, tests/report/test_inputs.py)."""

from __future__ import annotations

import json
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from click.testing import Result
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from escalada.cli import cli
from escalada.policy.load.files import load_paths
from tests.paths import EXAMPLE

AT = "2026-11-23T12:00:00Z"
TESTS = [d.data for d in load_paths([EXAMPLE / "tests"]).documents if d.kind == "PolicyTest"]
TICKETS: list[Any] = [t["spec"]["ticket"] for t in TESTS]


class Digits:
    """A whole number of that many digits, written as one (hypothesis cannot print it)."""

    def __init__(self, count: int) -> None:
        self.text = "9" * count

    def __repr__(self) -> str:
        return f"Digits({len(self.text)})"


class _Dumper(yaml.SafeDumper):
    pass


_Dumper.add_representer(
    Digits, lambda dumper, d: dumper.represent_scalar("tag:yaml.org,2002:int", d.text)
)
EDGES = [
    "2026-02-30T09:00:00Z",
    "2026-11-23T09:00:00+25:00",
    "2026-13-45",
    "0001-01-01T00:00:00Z",
    "9999-12-31T23:59:59-01:00",
    "9999-12-31T23:59:59Z",
    "2026-11-23T09:00:00",
    "2026-11-23",
    "P1",
    "open",
    "pending",
    "outage",
    "escalada-critical-outage-2",
    "critical-outage",
    "\x00",
    "\x1b[31m",
    "١٢",
    "",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.sampled_from([2**63, 1e308, -0.0]),
    st.builds(Digits, st.sampled_from([4301, 5000])),
    st.floats(),
    st.sampled_from(EDGES),
    st.datetimes(),
    st.dates(),
    st.text(max_size=12),
)
NODES = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(
            st.sampled_from(["status", "since", "path", "level", "vip", "organization", "x"]),
            inner,
            max_size=3,
        ),
    ),
    max_leaves=6,
)
FIELDS = st.sampled_from(
    ["key", "created", "status", "priority", "impact", "urgency", "responded", "resolved"]
    + ["tags", "requester", "fields", "escalation", "status_history", "latest_comment", "x"]
)


def _spots(data: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _spots(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _spots(value, (*path, index))
    return found


def _replaced(data: Any, path: tuple[Any, ...], new: Any, drop: bool) -> Any:
    if not path:
        return new
    head, rest = path[0], path[1:]
    if isinstance(data, dict):
        if drop and not rest:
            return {k: v for k, v in data.items() if k != head}
        return {k: (_replaced(v, rest, new, drop) if k == head else v) for k, v in data.items()}
    return [(_replaced(v, rest, new, drop) if i == head else v) for i, v in enumerate(data)]


def _json_default(value: Any) -> Any:
    if isinstance(value, Digits):
        return f"<digits:{len(value.text)}>"
    return value.isoformat()


def _dumps(data: Any, *, as_json: bool, plain: bool) -> str:
    if not as_json:
        return yaml.dump(data, Dumper=_Dumper, sort_keys=False, allow_unicode=not plain)
    text = json.dumps(data, default=_json_default, ensure_ascii=plain)
    for count in (4301, 5000):
        text = text.replace(f'"<digits:{count}>"', "9" * count)
    return text


@st.composite
def tickets(draw: Any) -> Any:
    """A ticket's data: an example ticket with a few nodes replaced, dropped or added."""
    ticket = draw(st.sampled_from(TICKETS))
    for _ in range(draw(st.integers(1, 4))):
        if draw(st.booleans()) and isinstance(ticket, dict):
            ticket = {**ticket, draw(FIELDS): draw(NODES)}
            continue
        spot = draw(st.sampled_from(_spots(ticket)))
        ticket = _replaced(ticket, spot, draw(NODES), draw(st.booleans()))
    return ticket


@st.composite
def ticket_bytes(draw: Any) -> bytes:
    """A ticket file's bytes: YAML or JSON, sometimes with a splice of any bytes."""
    data = draw(tickets())
    text = _dumps(data, as_json=draw(st.booleans()), plain=draw(st.booleans()))
    raw = text.encode("utf-8")
    if draw(st.integers(0, 3)) == 0:
        at = draw(st.integers(0, len(raw)))
        cut = draw(st.integers(0, 4))
        raw = raw[:at] + draw(st.binary(max_size=6)) + raw[at + cut :]
    return raw


@st.composite
def instants(draw: Any) -> str:
    """Text shaped like an ISO-8601 instant, each part possibly out of range, or any text."""
    if draw(st.integers(0, 4)) == 0:
        return str(draw(st.text(max_size=30)))
    year = draw(st.sampled_from([1, 2, 1970, 2026, 9998, 9999, 10000, 0]))
    month, day = draw(st.integers(0, 13)), draw(st.integers(0, 32))
    hour, minute, second = (
        draw(st.integers(0, 25)),
        draw(st.integers(0, 61)),
        draw(st.integers(0, 61)),
    )
    offset = draw(
        st.one_of(
            st.sampled_from(["Z", "", "+00:00", "-01:00", "+14:00", "+23:59", "+25:00", "z"]),
            st.builds(
                lambda sign, h, m: f"{sign}{h:02d}:{m:02d}",
                st.sampled_from("+-"),
                st.integers(0, 30),
                st.integers(0, 70),
            ),
        )
    )
    sep = draw(st.sampled_from(["T", " ", "t"]))
    fraction = draw(st.sampled_from(["", ".5", ".123456", ".1234567"]))
    day_part = f"{year:04d}-{month:02d}-{day:02d}"
    return f"{day_part}{sep}{hour:02d}:{minute:02d}:{second:02d}{fraction}{offset}"


def check(result: Result, allowed: tuple[int, ...] = (0, 1)) -> None:
    """Exit 0 or 1 (or 2 for a usage error, where allowed), never a traceback; an error is
    one line on stderr."""
    everything = result.stdout + result.stderr
    assert "Traceback" not in everything, everything
    assert result.exit_code in allowed, (result.exit_code, result.stderr, result.exception)
    lines = result.stderr.splitlines()
    if result.exit_code == 1 and lines:
        assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    if result.exit_code == 2:
        errors = [line for line in lines if line.startswith("Error: ")]
        assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    if result.exit_code == 0:
        assert not any(line.startswith(("error", "internal error")) for line in lines), lines


def explain(*args: str, stdin: bytes | None = None) -> Result:
    return CliRunner().invoke(
        cli, ["explain", *args, "--policy", str(EXAMPLE)], input=stdin, catch_exceptions=False
    )


FUZZ = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FUZZ
@given(ticket_bytes(), st.booleans(), st.sampled_from(["text", "json"]))
def test_no_ticket_makes_explain_crash(raw: bytes, from_stdin: bool, output: str):
    if from_stdin:
        result = explain("-", "--at", AT, "--format", output, stdin=raw)
    else:
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "ticket.yaml"
            path.write_bytes(raw)
            result = explain(str(path), "--at", AT, "--format", output)
    check(result)


@FUZZ
@given(instants(), st.sampled_from(TICKETS))
def test_no_at_makes_explain_crash(moment: str, ticket: Any):
    text = yaml.safe_dump(ticket, sort_keys=False).encode()
    check(explain("-", "--at", moment, stdin=text), allowed=(0, 1, 2))


@pytest.fixture(scope="module")
def policy_copy() -> Any:
    """The example policy without its tests, copied once; each example adds its own."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder) / "policy"
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("tests"))
        yield root


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(st.sampled_from(TESTS), tickets(), st.one_of(instants(), st.datetimes()))
def test_no_policy_test_ticket_or_at_makes_test_crash(
    policy_copy: Path, test: Any, ticket: Any, at: Any
):
    document = {**test, "spec": {**test["spec"], "ticket": ticket, "at": at}}
    (policy_copy / "fuzz.yaml").write_text(
        _dumps(document, as_json=False, plain=False), encoding="utf-8"
    )
    check(CliRunner().invoke(cli, ["test", str(policy_copy)], catch_exceptions=False))


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(ticket_bytes(), min_size=1, max_size=3))
def test_no_ticket_file_makes_simulate_crash(lines: list[bytes]):
    """JSON Lines: each ticket on one line (YAML ones are not JSON: an error at their line)."""
    raw = b"\n".join(line.replace(b"\n", b" ") for line in lines) + b"\n"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tickets.jsonl"
        path.write_bytes(raw)
        args = ["simulate", "--policy", str(EXAMPLE), "--baseline", str(EXAMPLE)]
        args += ["--tickets", str(path), "--at", AT]
        check(CliRunner().invoke(cli, args, catch_exceptions=False))
