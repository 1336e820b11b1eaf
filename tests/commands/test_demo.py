from __future__ import annotations

import subprocess

from click.testing import CliRunner

from escalada.cli import cli
from escalada.commands.demo import example_policy_path
from escalada.commands.demo import run_demo


def test_the_demo_day_escalates_with_reasons_and_a_rerun_writes_nothing(tmp_path):
    lines: list[str] = []
    result = run_demo(db=tmp_path / "demo.sqlite", tickets=30, seed=3, echo=lines.append)
    text = "\n".join(lines)
    assert result.cycles == 21
    assert result.escalations > 0 and result.writes >= result.escalations
    assert result.rerun_writes == 0
    assert "Escalated to level" in text and "Before:" in text
    assert sum(result.levels.values()) > 0
    assert any(where.startswith("critical-outage") for where in result.levels)


def test_the_demo_is_deterministic_for_a_seed(tmp_path):
    first = run_demo(db=tmp_path / "a.sqlite", tickets=20, seed=5, echo=lambda line: None)
    second = run_demo(db=tmp_path / "b.sqlite", tickets=20, seed=5, echo=lambda line: None)
    assert first == second


def test_the_demo_command(tmp_path):
    result = CliRunner().invoke(
        cli, ["demo", "--db", str(tmp_path / "d.sqlite"), "--tickets", "12", "--step", "2h"]
    )
    assert result.exit_code == 0, result.output
    assert "[Mon 08:00]  1/6" in result.output
    assert "An immediate rerun at the last instant wrote 0 tickets" in result.output


def test_a_bad_step_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(cli, ["demo", "--db", str(tmp_path / "d.sqlite"), "--step", "2x"])
    assert result.exit_code == 2
    assert "is not a duration" in result.output


def test_the_example_policy_ships_with_the_package():
    assert (example_policy_path() / "desks.yaml").is_file()


def test_the_installed_command_runs_the_demo(tmp_path, escalada_exe):
    done = subprocess.run(
        [
            escalada_exe,
            "demo",
            "--tickets",
            "10",
            "--step",
            "5h",
            "--db",
            str(tmp_path / "demo.sqlite"),
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "cycles over the simulated day" in done.stdout
    assert "[Mon 18:00]  3/3" in done.stdout  # 5h steps: 08:00, 13:00, 18:00


def test_the_demo_ends_with_the_days_report_and_writes_the_html(tmp_path):
    db = tmp_path / "d.sqlite"
    result = CliRunner().invoke(cli, ["demo", "--db", str(db), "--tickets", "12", "--step", "2h"])
    assert result.exit_code == 0, result.output
    tail = result.output.split("The day's report (escalada report):\n", 1)[1]
    assert " escalations of " in tail and "reason requests:" in tail
    page = tmp_path / "d-report.html"
    assert f"The html report, charts and tables: {page}" in result.output
    assert page.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (tmp_path / "d-audit.jsonl").stat().st_size > 0


def test_output_into_a_reader_that_leaves_is_not_an_error(tmp_path, escalada_exe):
    """`escalada demo | head -2`: once a BrokenPipeError (issue 12)."""
    child = subprocess.Popen(
        [escalada_exe, "demo", "--tickets", "10", "--db", str(tmp_path / "demo.sqlite")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
    )
    assert child.stdout is not None and child.stderr is not None
    child.stdout.readline()
    child.stdout.close()  # the reader leaves after one line, as head does
    err = child.stderr.read().decode()
    child.stderr.close()
    assert child.wait(timeout=120) == 0, err
    assert "Traceback" not in err and "internal error" not in err


def test_a_db_that_is_not_a_sandbox_is_one_line_and_exit_1(tmp_path):
    text = tmp_path / "somefile.txt"
    text.write_text("notes\n", encoding="utf-8")
    for db, said in ((text, "is not a sandbox database"), ("/dev/null", "is not a regular file")):
        result = CliRunner().invoke(cli, ["demo", "--db", str(db)])
        assert result.exit_code == 1
        (line,) = result.stderr.splitlines()
        assert line.startswith(f"error: {db} ") and said in line
    assert text.read_text(encoding="utf-8") == "notes\n"
