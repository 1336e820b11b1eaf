"""`escalada run`'s core (run_main.execute) on sandbox desks, with an injected clock,
the real Notifier against a `responses` webhook fake, and real policy files."""

from __future__ import annotations

import json
import logging
import os
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from typing import cast

import pytest
import responses

from escalada.commands.run import RunSettings
from escalada.commands.run import execute
from escalada.commands.run import parse_shard
from escalada.commands.run import shard_from_env
from escalada.connectors import connect
from escalada.connectors.base import Connector
from escalada.connectors.base import Shard
from escalada.connectors.base import Wiring
from escalada.engine.readneeds import ReadNeeds
from escalada.errors import EscaladaError
from escalada.errors import PolicyInvalid
from escalada.policy.model import Desk
from escalada.runner import RunOptions
from tests.connectors.contract import NOW
from tests.runner_fixtures import HOOKS
from tests.runner_fixtures import M
from tests.runner_fixtures import sandbox_rows
from tests.runner_fixtures import seed_sandbox
from tests.runner_fixtures import webhooks
from tests.runner_fixtures import write_policy
from tests.test_audit import FIELDS as AUDIT_FIELDS


@pytest.fixture
def hooks(monkeypatch: pytest.MonkeyPatch) -> Iterator[responses.RequestsMock]:
    """The three channels' webhooks, answering 200 and counting posts."""
    with webhooks(monkeypatch) as mock:
        yield mock


def posts(mock: responses.RequestsMock) -> list[tuple[str, dict[str, Any]]]:
    """(url, payload) of every webhook post, in order."""
    return [
        (call.request.url or "", json.loads(cast("str | bytes", call.request.body or "{}")))
        for call in mock.calls
    ]


@pytest.fixture
def desk_file(tmp_path: Path) -> Path:
    path = tmp_path / "desk.sqlite"
    seed_sandbox(path, NOW)
    return path


def sandbox_at(now: Any = NOW) -> Any:
    """connect_fn for sandbox desks whose writes are stamped with the test clock."""

    def make(desk: Desk, **options: Any) -> Connector:
        assert isinstance(options.get("needs"), ReadNeeds)  # what the policy's reads need
        assert "policy" not in options  # connectors do not read the Policy
        return connect(desk, wiring=Wiring(clock=lambda: now), **options)

    return make


def settings(policy: Path, **changes: Any) -> RunSettings:
    options = changes.pop("options", RunOptions())
    return RunSettings(
        policy_paths=(str(policy),),
        options=options,
        interval=changes.pop("interval", None),
        log_format=changes.pop("log_format", "text"),
        **changes,
    )


def execute_once(policy: Path, *, now: Any = NOW, **changes: Any) -> tuple[int, list[str]]:
    lines: list[str] = []
    code = execute(
        settings(policy, **changes),
        echo=lines.append,
        clock=lambda: now,
        connect_fn=sandbox_at(now),
        install_signals=False,
    )
    return code, lines


def test_once_escalates_notifies_and_summarises(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    code, lines = execute_once(policy)
    assert code == 0
    assert lines == [
        "cycle 2026-11-23T10:00:00Z: 1 desk(s), 4 tickets seen, 3 written, 0 errors, "
        f"6 API calls, {lines[-1].rsplit(', ', 1)[1]}"
    ]
    sent = posts(hooks)
    assert sorted((url.rsplit("/", 1)[1], p.get("ticket") or p["text"][:4]) for url, p in sent) == [
        ("mgmt", "SB-2"),
        ("net", "SB-1"),
        ("net", "SB-3"),
        ("sdleads", "SB-1"),
        ("sdleads", "SB-3"),
    ]
    rows = sandbox_rows(desk_file)
    assert rows["SB-1"][0] == "network-l2"  # assign: the level says so
    assert "escalada-critical-outage-1" in rows["SB-1"][1]
    assert not any("escalada-pending" in row[1] for row in rows.values())
    # the same instant again: nothing to do
    assert execute_once(policy)[0] == 0
    assert len(hooks.calls) == 5 and sandbox_rows(desk_file) == rows


def test_a_failing_desk_fails_the_run_but_not_the_other_desks(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    broken = tmp_path / "broken.sqlite"
    broken.write_text("not a database", encoding="utf-8")
    policy = write_policy(tmp_path / "policy", {"broken": broken, "sandbox": desk_file})
    code, lines = execute_once(policy)
    assert code == 1
    assert lines[0].startswith(f"desk broken failed: desk 'broken': open: {broken} is not")
    assert "2 desk(s), 4 tickets seen, 3 written, 1 errors" in lines[-1]
    assert len(hooks.calls) == 5


def test_one_desk_only_with_desk_and_an_unknown_desk_is_refused(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    other = tmp_path / "other.sqlite"
    seed_sandbox(other, NOW)
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file, "other": other})
    code, lines = execute_once(policy, options=RunOptions(desks=("other",)))
    assert code == 0 and "1 desk(s), 4 tickets seen, 3 written" in lines[-1]
    assert not any(row[3] for row in sandbox_rows(desk_file).values())  # untouched
    with pytest.raises(EscaladaError, match="no Desk named nope in the policy") as caught:
        execute_once(policy, options=RunOptions(desks=("nope",)))
    assert caught.value.hint == "known desks: sandbox, other"


def test_dry_run_prints_decisions_and_writes_and_sends_nothing(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    before = sandbox_rows(desk_file)
    code, lines = execute_once(policy, options=RunOptions(dry_run=True))
    assert code == 0
    assert sandbox_rows(desk_file) == before and len(hooks.calls) == 0
    text = "\n".join(lines)
    assert "sandbox SB-1: critical-outage level 1 (network-l2)\n  assign, comment, mark, " in text
    assert "notify net+sd-leads: Escalated to level 1 (network-l2) on critical-outage" in text
    assert "sandbox SB-2: critical-outage level 2 (it-management)\n  comment, mark, " in text
    assert "SB-4" not in text
    assert len(lines) == 4  # three decisions of two lines each, and the summary
    assert lines[-1].startswith("cycle 2026-11-23T10:00:00Z: 1 desk(s), 4 tickets seen, 3 would")


def test_dry_run_with_json_prints_one_object_per_decision(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    code, lines = execute_once(policy, options=RunOptions(dry_run=True), log_format="json")
    records = [json.loads(line) for line in lines]
    decisions = [r for r in records if r["event"] == "decision"]
    assert [d["ticket"] for d in decisions] == ["SB-1", "SB-2", "SB-3"]
    assert decisions[0]["actions"][0] == {
        "type": "assign",
        "reason": decisions[0]["actions"][0]["reason"],
    }
    assert {"type", "reason", "channels"} <= set(decisions[0]["actions"][-1])
    (cycle,) = [r for r in records if r["event"] == "cycle"]
    assert (cycle["seen"], cycle["escalated"], cycle["errors"], cycle["dry_run"]) == (4, 3, 0, True)
    assert cycle["per_desk"][0]["desk"] == "sandbox" and cycle["calls"] == 2  # + status history


def test_invalid_policy_stops_the_run_with_its_findings(
    tmp_path: Path, desk_file: Path, caplog: pytest.LogCaptureFixture
) -> None:
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    text = (policy / "policy.yaml").read_text(encoding="utf-8")
    (policy / "policy.yaml").write_text(text.replace("after: 15m", "after: soon"), encoding="utf-8")
    before = sandbox_rows(desk_file)
    with pytest.raises(PolicyInvalid) as caught:
        execute_once(policy)
    assert "policy.yaml:" in str(caught.value)
    assert sandbox_rows(desk_file) == before
    logged = [r.getMessage() for r in caught_records(caplog)]
    assert logged and all("policy.yaml:" in line and " error " in line for line in logged)


def caught_records(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "escalada.runner" and r.levelno >= logging.ERROR]


def test_shards_split_the_tickets_between_runs(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    seen = []
    for index in range(2):
        shard = Shard(index, 2)
        code, lines = execute_once(policy, options=RunOptions(shard=shard))
        assert code == 0
        seen.append(int(lines[-1].split(" tickets seen")[0].rsplit(" ", 1)[1]))
    assert sum(seen) == 4 and all(seen)
    rows = sandbox_rows(desk_file)
    assert {key for key, row in rows.items() if row[3]} == {"SB-1", "SB-2", "SB-3"}
    assert len(hooks.calls) == 5


@pytest.mark.parametrize(
    ("text", "shard"), [("0/1", Shard(0, 1)), ("3/4", Shard(3, 4)), (" 1/2", Shard(1, 2))]
)
def test_parse_shard(text: str, shard: Shard) -> None:
    assert parse_shard(text) == shard


@pytest.mark.parametrize(
    "text",
    ["4/4", "-1/4", "1", "a/b", "1/0", "1/2/3", "", "1/99999999999999999999999", "١/٤", "1_0/20"],
)
def test_parse_shard_refuses_with_the_form(text: str) -> None:
    with pytest.raises(ValueError, match=r"write I/N with 0 <= I < N, e.g. 0/4"):
        parse_shard(text)


def test_shard_from_an_indexed_job() -> None:
    assert shard_from_env({"JOB_COMPLETION_INDEX": "2", "ESCALADA_SHARD_COUNT": "4"}) == Shard(2, 4)
    assert shard_from_env({}) is None
    # without a count every pod of the Job would do all the work: refused
    with pytest.raises(EscaladaError, match="ESCALADA_SHARD_COUNT is not"):
        shard_from_env({"JOB_COMPLETION_INDEX": "2"})
    with pytest.raises(EscaladaError, match="JOB_COMPLETION_INDEX=4 and ESCALADA_SHARD_COUNT=4"):
        shard_from_env({"JOB_COMPLETION_INDEX": "4", "ESCALADA_SHARD_COUNT": "4"})


def test_every_ticket_falls_in_exactly_one_shard() -> None:
    keys = [f"SB-{n}" for n in range(1, 2001)] + [str(n) for n in range(1000, 3000)]
    for count in (2, 3, 4, 7):
        owners = [[i for i in range(count) if Shard(i, count).owns(key)] for key in keys]
        assert all(len(owner) == 1 for owner in owners)
        sizes = [sum(1 for o in owners if o == [i]) for i in range(count)]
        assert min(sizes) > len(keys) / count * 0.8  # a spread, not one big shard


def test_audit_file_gets_one_record_per_action(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    audit = tmp_path / "logs" / "audit.jsonl"
    execute_once(policy, audit=str(audit))
    records = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    sb1 = [(r["action"], r["result"]) for r in records if r["ticket"] == "SB-1"]
    assert sb1 == [
        ("assign", "ok"),
        ("comment", "ok"),
        ("mark", "ok"),
        ("notify:net", "sent"),
        ("notify:sd-leads", "sent"),
        ("mark", "ok"),  # the pending token cleared
    ]
    first = records[0]
    assert set(first) == set(AUDIT_FIELDS)
    assert (first["time"], first["desk"], first["path"]) == (
        "2026-11-23T10:00:00Z",
        "sandbox",
        "critical-outage",
    )
    assert (first["level_from"], first["level_to"], first["dry_run"]) == (0, 1, False)
    assert "network-l2" in first["reason"]
    # appended, never truncated: a second run adds nothing (nothing to do)
    execute_once(policy, audit=str(audit))
    assert len(audit.read_text(encoding="utf-8").splitlines()) == len(records)


def test_metrics_file_is_written_after_the_cycle(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    metrics = tmp_path / "textfile" / "escalada.prom"
    execute_once(policy, metrics=str(metrics))
    text = metrics.read_text(encoding="utf-8")
    assert 'escalada_tickets_seen{desk="sandbox"} 4\n' in text
    assert 'escalada_notifications_sent{desk="sandbox"} 5\n' in text
    assert 'escalada_desk_up{desk="sandbox"} 1\n' in text
    assert list(metrics.parent.iterdir()) == [metrics]  # no temporary file left


def test_a_channel_that_fails_keeps_the_pending_token_and_is_retried(
    tmp_path: Path, desk_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, url in HOOKS.items():
        monkeypatch.setenv(name, url)
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, HOOKS["HOOK_MGMT"], status=404, body="no_service")
        for name in ("HOOK_NET", "HOOK_SD_LEADS"):
            mock.add(responses.POST, HOOKS[name], body="ok")
        code, lines = execute_once(policy)
        assert code == 0  # a channel is not a desk: the run succeeds
    assert "escalada-pending" in sandbox_rows(desk_file)["SB-2"][1]  # mgmt only: nothing sent
    assert "escalada-pending" not in sandbox_rows(desk_file)["SB-1"][1]
    later = NOW + 11 * M
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add(responses.POST, HOOKS["HOOK_MGMT"], body="ok")
        code, lines = execute_once(policy, now=later)
        (call,) = mock.calls
        payload = json.loads(cast("str | bytes", call.request.body or "{}"))
    assert (payload["ticket"], payload["level"]) == ("SB-2", 2)
    assert "re-sent" in payload["reason"]
    assert "escalada-pending" not in sandbox_rows(desk_file)["SB-2"][1]


# --- the loop -------------------------------------------------------------------------


def test_interval_loop_runs_until_stopped(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    stop = threading.Event()
    instants = iter([NOW, NOW + M, NOW + 2 * M])
    lines: list[str] = []

    def clock() -> Any:
        moment = next(instants)
        if moment == NOW + 2 * M:
            stop.set()  # the third cycle runs, then the loop ends
        return moment

    code = execute(
        settings(policy, interval=0.0),
        echo=lines.append,
        clock=clock,
        connect_fn=sandbox_at(),
        install_signals=False,
        stop=stop,
    )
    assert code == 0
    assert [line.split(":", 1)[0] for line in lines] == ["cycle 2026-11-23T10"] * 3
    assert [" 3 written" in line for line in lines] == [True, False, False]


def test_interval_loop_counters_add_up_across_cycles_in_the_textfile(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    stop = threading.Event()
    instants = iter([NOW, NOW + M, NOW + 2 * M])
    textfile = tmp_path / "escalada.prom"

    def clock() -> Any:
        moment = next(instants)
        if moment == NOW + 2 * M:
            stop.set()
        return moment

    execute(
        settings(policy, interval=0.0, metrics=str(textfile)),
        echo=lambda line: None,
        clock=clock,
        connect_fn=sandbox_at(),
        install_signals=False,
        stop=stop,
    )
    text = textfile.read_text(encoding="utf-8")
    assert "\nescalada_cycles_total 3\n" in text
    # the first cycle's 3 writes stay counted after two cycles that wrote nothing
    assert 'escalada_ticket_writes_total{desk="sandbox"} ' in text
    assert 'escalada_tickets_escalated{desk="sandbox"} 0' in text  # the gauge: last cycle
    (writes,) = [
        line for line in text.splitlines() if line.startswith("escalada_ticket_writes_total")
    ]
    assert int(writes.rsplit(" ", 1)[1]) >= 3
    assert "escalada_escalations_total{" in text


def test_sigterm_finishes_the_ticket_in_hand_then_exits_0(
    tmp_path: Path, desk_file: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGTERM lands while the first chunk's notifications are going out (a chunk's
    tickets are all written before its messages go out): the chunk is finished
    (every message sent, every pending token cleared) and the loop ends."""
    for name, url in HOOKS.items():
        monkeypatch.setenv(name, url)
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    previous = signal.getsignal(signal.SIGTERM)
    posted: list[str] = []
    stop = threading.Event()

    def post(request: Any) -> tuple[int, dict[str, str], str]:
        if not posted:
            os.kill(os.getpid(), signal.SIGTERM)
            # the handler runs in the main thread; this desk's thread waits for it
            # (else the race decides whether the next ticket starts)
            stop.wait(10)
        posted.append(request.url)
        return 200, {}, "ok"

    lines: list[str] = []
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        for url in HOOKS.values():
            mock.add_callback(responses.POST, url, callback=post)
        code = execute(
            settings(policy, interval=60.0),
            echo=lines.append,
            clock=lambda: NOW,
            connect_fn=sandbox_at(),
            install_signals=True,
            stop=stop,
        )
    assert code == 0 and len(lines) == 1  # one cycle, cut short, then out of the loop
    assert "4 tickets seen, 3 written" in lines[0]
    rows = sandbox_rows(desk_file)
    assert [key for key, row in rows.items() if row[3]] == ["SB-1", "SB-2", "SB-3"]
    net, leads, mgmt = HOOKS["HOOK_NET"], HOOKS["HOOK_SD_LEADS"], HOOKS["HOOK_MGMT"]
    channels = {"SB-1": [net, leads], "SB-2": [mgmt], "SB-3": [net, leads]}
    pending = {key for key, row in rows.items() if "escalada-pending" in row[1]}
    assert "SB-1" not in pending  # the ticket in hand when the signal came is confirmed
    # a message refused once the grace is over (paced per webhook, it had not left)
    # leaves its ticket's token: retried past the lease, never lost
    confirmed = Counter(url for key, urls in channels.items() if key not in pending for url in urls)
    assert not confirmed - Counter(posted)
    assert signal.getsignal(signal.SIGTERM) is previous  # handlers put back


def test_a_sharded_run_builds_its_connectors_with_the_shard(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock
) -> None:
    """`--shard I/N` reaches connect(), which takes 1/N of the desk's rate budget."""
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    seen: list[Any] = []
    make = sandbox_at()

    def recording(desk: Desk, **options: Any) -> Connector:
        seen.append(options.get("shard"))
        return make(desk, **options)

    code = execute(
        settings(policy, options=RunOptions(shard=Shard(1, 2))),
        echo=lambda line: None,
        clock=lambda: NOW,
        connect_fn=recording,
        install_signals=False,
    )
    assert code == 0 and seen == [Shard(1, 2)]


def test_interval_reloads_the_policy_each_cycle_and_keeps_the_last_good_one(
    tmp_path: Path, desk_file: Path, hooks: responses.RequestsMock, caplog: pytest.LogCaptureFixture
) -> None:
    """docs/runner.md: each cycle loads the policy. An invalid edit leaves the last good
    policy running and is said once, not once per cycle (issue 12)."""
    policy = write_policy(tmp_path / "policy", {"sandbox": desk_file})
    text = (policy / "policy.yaml").read_text(encoding="utf-8")
    assert "after: 4h" in text
    stop = threading.Event()
    edits = {
        # after cycle 1: a broken edit, seen by cycles 2 and 3
        NOW: text.replace("after: 4h", "after: soon"),
        # after cycle 3: a good edit that makes the quiet ticket (opened 1h ago) due
        NOW + 2 * M: text.replace("after: 4h", "after: 30m"),
    }
    instants = iter([NOW + i * M for i in range(5)])
    lines: list[str] = []

    def clock() -> Any:
        moment = next(instants)
        if moment in edits:
            (policy / "policy.yaml").write_text(edits[moment], encoding="utf-8")
        if moment == NOW + 4 * M:
            stop.set()
        return moment

    caplog.set_level(logging.INFO, logger="escalada")
    code = execute(
        settings(policy, interval=0.0, options=RunOptions(policy_revision="aaaaaaaaaaaa")),
        echo=lines.append,
        clock=clock,
        connect_fn=sandbox_at(),
        install_signals=False,
        stop=stop,
    )
    assert code == 0
    assert len(lines) == 5  # every cycle ran, the ones under the broken edit too
    assert [" 0 written" in line for line in lines] == [False, True, True, False, True]
    said = [r.getMessage() for r in caplog.records if r.name == "escalada.runner"]
    refused = [m for m in said if m.startswith("the policy changed but cannot be used")]
    assert len(refused) == 1 and "(revision aaaaaaaaaaaa)" in refused[0]
    assert len([m for m in said if m.startswith("the policy changed: reloaded")]) == 1
    assert sandbox_rows(desk_file)["SB-4"][1]  # the quiet ticket escalated under the new one
