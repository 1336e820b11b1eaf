"""`escalada validate` against `check-jsonschema` over the same policy files.

Generates a realistic policy repository (default 1,000 documents, one per file,
since check-jsonschema reads one document per YAML file) into a temporary
directory, writes escalada's schemas combined into one (chosen by `kind` with
if/then: `escalada schema`), then times, side by side in each round:

    escalada validate DIR                                  (schema + semantic checks)
    check-jsonschema --schemafile combined.json FILE...    (schema only)

Both run as installed commands in fresh processes (start-up included, as in CI).
Prints each round, the medians and the ratio escalada / check-jsonschema.

    python bench/validate.py                  # 1,000 documents, 5 rounds
    python bench/validate.py --documents 3000 --rounds 7
    python bench/validate.py --profile        # where escalada spends its time (cProfile)
"""

from __future__ import annotations

import argparse
import cProfile
import json
import pstats
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

IMPACT = ["extensive", "significant", "moderate", "minor"]
URGENCY = ["critical", "high", "medium", "low"]
PRIORITIES = ["P1", "P2", "P3", "P4"]
ZONES = ["Europe/Stockholm", "Europe/London", "America/New_York", "Asia/Singapore", "UTC"]
COUNTRIES = ["SE", "GB", "US", "SG", "DE"]
WORDS = "network database storage payments identity email portal billing search mobile".split()


def header(kind: str, name: str, note: str) -> str:
    return (
        f"# {note}\napiVersion: escalada/v1\nkind: {kind}\n"
        f"metadata:\n  name: {name}\n  labels: {{owner: ops, area: {name.split('-')[0]}}}\n"
    )


def matrix() -> str:
    rows = "\n".join(
        f"    {impact}: [{', '.join(PRIORITIES[min(3, i + j // 2)] for j in range(4))}]"
        for i, impact in enumerate(IMPACT)
    )
    return header("PriorityMatrix", "default", "Priority from impact x urgency") + (
        f"spec:\n  impact: [{', '.join(IMPACT)}]\n  urgency: [{', '.join(URGENCY)}]\n"
        f"  matrix:\n{rows}\n  priorities:\n"
        "    P1: {title: Critical, respond_within: 15m, resolve_within: 4h, "
        "update_every: 1h, calendar: 24x7}\n"
        "    P2: {title: High, respond_within: 1h, resolve_within: 8h, "
        "update_every: 4h, calendar: office-0}\n"
        "    P3: {title: Medium, respond_within: 4h, resolve_within: 3d, calendar: office-0}\n"
        "    P4: {title: Low, respond_within: 1d, resolve_within: 10d, calendar: office-0}\n"
    )


def calendar(index: int, rng: random.Random) -> str:
    days = "\n".join(f'    - "2026-{month:02d}-{rng.randint(1, 28):02d}"' for month in range(1, 13))
    return header("Calendar", f"office-{index}", "Office hours of one region") + (
        f"spec:\n  timezone: {rng.choice(ZONES)}\n  hours:\n"
        '    mon-thu: ["08:00-12:00", "13:00-17:00"]\n    fri: "08:00-15:00"\n'
        f"  holidays:\n    country: {rng.choice(COUNTRIES)}\n    dates:\n{days}\n"
    )


def team(index: int, calendars: int, channels: int, rng: random.Random) -> str:
    notify = ", ".join(f"chat-{c}" for c in rng.sample(range(channels), rng.randint(1, 3)))
    text = header("Team", f"team-{index}", "A team tickets escalate to") + (
        f"spec:\n  description: {rng.choice(WORDS).title()} specialists, second line\n"
        f"  notify: [{notify}]\n"
    )
    if index % 10 == 0 and index > 0:
        text += (
            "  rotation:\n"
            f"    - {{team: team-{index - 1}, calendar: office-{index % calendars}}}\n"
            f"    - {{team: team-{index - 2}, calendar: office-{(index + 1) % calendars}}}\n"
        )
    return text


def channel(index: int, rng: random.Random) -> str:
    kind = rng.choice(["slack", "teams", "webhook"])
    return header("Channel", f"chat-{index}", "Where a team hears about escalations") + (
        f"spec:\n  type: {kind}\n  url: {{env: CHAT_{index}_WEBHOOK}}\n"
    )


def path(index: int, teams: int, calendars: int, rng: random.Random) -> str:
    word = WORDS[index % len(WORDS)]
    levels = [f"    - team: team-{rng.randrange(teams)}"]
    for level in range(1, rng.randint(3, 5)):
        chosen = f"team-{rng.randrange(teams)}"
        if level % 2:
            levels.append(
                f"    - team: {chosen}\n      after: {level * 30}m\n      unless: responded\n"
                "      actions: [assign, comment, notify]\n"
                '      message: "$priority ticket $key waited $elapsed: $team takes it."'
            )
        else:
            levels.append(
                f"    - team: {chosen}\n      at: {50 + level * 10}% resolve\n"
                "      unless: resolved"
            )
    return header("EscalationPath", f"path-{index}", f"Escalation for {word} incidents") + (
        "spec:\n  match:\n    all:\n"
        f"      - {{field: priority, in: [{', '.join(PRIORITIES[: rng.randint(1, 4)])}]}}\n"
        f"      - {{field: tags, contains: {word}-{index}}}\n"
        f"      - {{not: {{field: status, equals: pending}}}}\n"
        f"  precedence: {index + 1}\n  calendar: office-{index % calendars}\n"
        "  levels:\n" + "\n".join(levels) + "\n  triggers:\n"
        "    - name: vip-customer\n      if: {field: requester.vip, equals: true}\n"
        "      goto: 1\n      reason: A VIP customer is affected\n"
        "    - name: data-protection\n"
        '      if: {field: text, matches: "(?i)gdpr|personal data|breach"}\n'
        "      goto: next\n      reason: Possible personal-data incident\n"
        "    - name: requested\n      if: {field: tags, contains: escalate}\n"
        "      goto: next\n      reason_from: latest_comment\n"
    )


def desk(index: int, teams: int) -> str:
    kind = ["jira", "zendesk", "servicenow", "sandbox"][index % 4]
    options = {
        "jira": "{team_field: customfield_10050, team_mode: field, project: OPS}",
        "zendesk": "{safe_update: true}",
        "servicenow": "{table: incident, marker_field: u_escalada}",
        "sandbox": "{path: sandbox.db}",
    }[kind]
    mapped = "\n".join(f"    team-{t}: Group {t}" for t in range(teams))
    url = "" if kind == "sandbox" else f"  url: https://acme-{index}.example.com\n"
    return header("Desk", f"desk-{index}", "A service desk escalada works on") + (
        f"spec:\n  type: {kind}\n{url}"
        "  auth: {email: {env: DESK_EMAIL}, token: {env: DESK_TOKEN}}\n"
        "  scope: type:incident\n"
        "  priorities: {P1: urgent, P2: high, P3: normal, P4: low}\n"
        "  impact:\n    field: impact_field\n    values: {"
        + ", ".join(f"{v}: {v[:3]}" for v in IMPACT)
        + "}\n  urgency:\n    field: urgency_field\n    values: {"
        + ", ".join(f"{v}: {v[:4]}" for v in URGENCY)
        + f"}}\n  teams:\n{mapped}\n  options: {options}\n"
    )


def policy_test(index: int, paths: int, rng: random.Random) -> str:
    target = rng.randrange(paths)
    word = WORDS[target % len(WORDS)]
    return header("PolicyTest", f"test-{index}", "What the policy should decide") + (
        "spec:\n  at: 2026-11-23T10:00:00Z\n  ticket:\n"
        f"    key: T-{index}\n    title: {word.title()} is slow for some users\n"
        "    description: Several customers report timeouts since this morning.\n"
        "    priority: P1\n    status: open\n    created: 2026-11-23T09:40:00Z\n"
        f"    tags: [{word}-{target}]\n    requester: {{organization: Acme, vip: false}}\n"
        f"  expect:\n    path: path-{target}\n    level: 0\n"
    )


def generate(root: Path, documents: int, seed: int = 7) -> list[Path]:
    """A coherent policy of `documents` documents, one per file, in `root`."""
    rng = random.Random(seed)
    calendars = max(2, documents // 25)
    channels = max(2, documents // 12)
    desks = 4
    paths = max(2, documents // 4)
    teams = max(3, (documents - 1 - calendars - channels - desks - paths) // 2)
    tests = documents - 1 - calendars - channels - desks - paths - teams
    texts = {"matrix.yaml": matrix()}
    texts.update({f"calendars/office-{i}.yaml": calendar(i, rng) for i in range(calendars)})
    texts.update({f"channels/chat-{i}.yaml": channel(i, rng) for i in range(channels)})
    texts.update({f"teams/team-{i}.yaml": team(i, calendars, channels, rng) for i in range(teams)})
    texts.update({f"paths/path-{i}.yaml": path(i, teams, calendars, rng) for i in range(paths)})
    texts.update({f"desks/desk-{i}.yaml": desk(i, teams) for i in range(desks)})
    texts.update({f"tests/test-{i}.yaml": policy_test(i, paths, rng) for i in range(tests)})
    files = []
    for name, text in texts.items():
        file = root / name
        file.parent.mkdir(parents=True, exist_ok=True)
        file.write_text(text, encoding="utf-8")
        files.append(file)
    return sorted(files)


def timed(command: list[str]) -> tuple[float, subprocess.CompletedProcess[str]]:
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    return time.perf_counter() - started, done


def command(name: str) -> str:
    found = shutil.which(name)
    if not found:
        sys.exit(f"{name} is not installed: pip install -e '.[bench]'")
    return found


def profile(root: Path) -> None:
    from escalada.policy.validate import validate_paths

    profiler = cProfile.Profile()
    profiler.enable()
    validate_paths([str(root)])
    profiler.disable()
    pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile escalada in-process")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="escalada-bench-") as tmp:
        root = Path(tmp) / "policy"
        files = generate(root, args.documents)
        size = sum(f.stat().st_size for f in files)
        combined = Path(tmp) / "combined.json"
        schema = subprocess.run(
            [command("escalada"), "schema"], capture_output=True, text=True, check=True
        )
        combined.write_text(schema.stdout, encoding="utf-8")
        print(
            f"{len(files)} files, {args.documents} documents, {size / 1024:.0f} KiB "
            f"(median {statistics.median(f.stat().st_size for f in files)} bytes per file)"
        )
        if args.profile:
            profile(root)
            return

        ours = [command("escalada"), "validate", str(root), "--format", "json"]
        theirs = [command("check-jsonschema"), "--schemafile", str(combined)] + [
            str(f) for f in files
        ]
        times: dict[str, list[float]] = {"escalada": [], "check-jsonschema": []}
        for round_ in range(args.rounds):
            order = [("escalada", ours), ("check-jsonschema", theirs)]
            if round_ % 2:
                order.reverse()  # neither always runs with a warm page cache first
            for name, argv in order:
                seconds, done = timed(argv)
                times[name].append(seconds)
                if name == "escalada":
                    report = json.loads(done.stdout)
                    errors = sum(f["severity"] == "error" for f in report["findings"])
                    warnings = len(report["findings"]) - errors
                    outcome = f"exit {done.returncode}, {errors} errors, {warnings} warnings"
                else:
                    outcome = f"exit {done.returncode}: {done.stdout.strip()[:60]}"
                print(f"round {round_ + 1}: {name:<16} {seconds:6.2f}s  ({outcome})")
        mine = statistics.median(times["escalada"])
        other = statistics.median(times["check-jsonschema"])
        print(f"median escalada validate:  {mine:.2f}s  (schema + semantic checks)")
        print(f"median check-jsonschema:   {other:.2f}s  (schema only)")
        print(f"ratio escalada / check-jsonschema: {mine / other:.2f}x")


if __name__ == "__main__":
    main()
