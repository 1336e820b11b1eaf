"""The loader: files and directories, documents with positions, and a finding
(never a traceback) for every refusal, at its line and column."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from escalada.policy.load.events import MAX_ALIASES
from escalada.policy.load.events import MAX_DEPTH
from escalada.policy.load.files import load_file
from escalada.policy.load.files import load_paths
from escalada.policy.load.files import load_text
from escalada.policy.model import Where

TEAM = "apiVersion: escalada/v1\nkind: Team\nmetadata: {name: l2}\n"


def codes(findings) -> list[tuple[str, int, int]]:
    return [(f.code, f.where.line, f.where.column) for f in findings]


def one_refusal(text: str) -> tuple[str, int, int]:
    docs, findings = load_text(text, "p.yaml")
    assert docs == []
    assert len(findings) == 1, findings
    assert findings[0].severity == "error" and findings[0].hint
    return codes(findings)[0]


# --- documents and positions --------------------------------------------------


def test_documents_carry_data_and_one_based_positions_of_values_and_keys():
    text = (
        "apiVersion: escalada/v1\n"
        "kind: EscalationPath\n"
        "metadata: {name: p}\n"
        "spec:\n"
        "  levels:\n"
        "    - team: desk\n"
        "    - {team: l2, after: 15m}\n"
    )
    [doc], findings = load_text(text, "paths.yaml")
    assert findings == []
    assert doc.kind == "EscalationPath" and doc.name == "p" and doc.index == 0
    assert doc.start == Where("paths.yaml", 1, 1)
    assert doc.where("spec", "levels", 1, "after") == Where("paths.yaml", 7, 25)
    assert doc.where_key("spec", "levels", 1, "after") == Where("paths.yaml", 7, 18)
    assert doc.where("spec", "levels", 0) == Where("paths.yaml", 6, 7)
    assert doc.where_key("metadata") == Where("paths.yaml", 3, 1)
    assert doc.where("metadata", "name") == Where("paths.yaml", 3, 18)
    # a path that does not exist falls back to its nearest ancestor
    assert doc.where("spec", "levels", 1, "nope") == Where("paths.yaml", 7, 7)
    assert ("spec", "levels", 1, "after") in doc.marks
    assert len(doc.key_marks) == 9  # apiVersion kind metadata name spec levels team team after


def test_several_documents_per_file_empty_ones_skipped_and_indexed_by_position():
    text = f"---\n{TEAM}---\n# only a comment\n---\n{TEAM.replace('l2', 'l3')}"
    docs, findings = load_text(text, "t.yaml")
    assert findings == []
    assert [(d.name, d.index, d.start.line) for d in docs] == [("l2", 0, 2), ("l3", 2, 8)]


def test_timestamps_stay_text_and_scalars_resolve_as_yaml_1_1():
    text = (
        "at: 2026-11-23T10:00:00Z\n"
        "day: 2026-12-24\n"
        "flags: [yes, No, on, OFF, true]\n"
        "numbers: [12, 0x1f, 017, 1_000, 1:30, 1.5, .inf, -2]\n"
        "nothing: [~, null, Null]\n"
        "quoted: ['yes', \"12\"]\n"
        "tagged: [!!str 12, !!int '7', !!int seven, !!float '2']\n"
        "1: numeric key\n"
        "no: boolean-looking key\n"
    )
    [doc], findings = load_text(text, "s.yaml")
    assert findings == []
    assert doc.data == {
        "at": "2026-11-23T10:00:00Z",
        "day": "2026-12-24",
        "flags": [True, False, True, False, True],
        "numbers": [12, 31, 15, 1000, 90, 1.5, float("inf"), -2],
        "nothing": [None, None, None],
        "quoted": ["yes", "12"],
        "tagged": ["12", 7, "seven", 2.0],
        "1": "numeric key",
        "no": "boolean-looking key",
    }


def test_a_byte_order_mark_is_accepted(tmp_path: Path):
    path = tmp_path / "bom.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + TEAM.encode())
    [doc], findings = load_file(str(path))
    assert findings == [] and doc.name == "l2"


def test_merge_keys_merge_with_positions_of_the_merged_values():
    text = "defaults: &d {after: 15m, unless: resolved}\nlevel:\n  <<: *d\n  unless: responded\n"
    [doc], findings = load_text(text, "m.yaml")
    assert findings == []
    assert doc.data["level"] == {"after": "15m", "unless": "responded"}
    assert doc.where("level", "after") == Where("m.yaml", 1, 22)
    assert doc.where("level", "unless") == Where("m.yaml", 4, 11)
    assert doc.where_key("level", "after") == Where("m.yaml", 1, 15)


def test_merge_of_a_list_of_mappings_earlier_sources_win():
    text = "a: &a {x: 1}\nb: &b {x: 2, y: 2}\nc:\n  <<: [*a, *b]\n"
    [doc], _ = load_text(text, "m.yaml")
    assert doc.data["c"] == {"x": 1, "y": 2}
    assert doc.where("c", "y") == Where("m.yaml", 2, 17)


def test_aliases_share_values_and_copy_positions_to_where_they_are_used():
    text = "base: &b [comment, notify]\nother: *b\n"
    [doc], _ = load_text(text, "a.yaml")
    assert doc.data["other"] == ["comment", "notify"]
    assert doc.where("other", 1) == Where("a.yaml", 1, 20)


# --- files and directories ----------------------------------------------------


def test_directories_are_read_recursively_sorted_and_hidden_entries_skipped(tmp_path: Path):
    (tmp_path / "b").mkdir()
    (tmp_path / ".git").mkdir()
    (tmp_path / "b" / "z.yml").write_text(TEAM.replace("l2", "z"))
    (tmp_path / "b" / "a.yaml").write_text(TEAM.replace("l2", "a"))
    (tmp_path / "c.yaml").write_text(TEAM.replace("l2", "c"))
    (tmp_path / ".hidden.yaml").write_text("not: [valid")
    (tmp_path / ".git" / "x.yaml").write_text("not: [valid")
    (tmp_path / "notes.txt").write_text("not: [valid")
    loaded = load_paths([tmp_path, tmp_path / "c.yaml"])  # c.yaml given twice: read once
    assert loaded.findings == ()
    assert [Path(f).relative_to(tmp_path).as_posix() for f in loaded.files] == [
        "b/a.yaml",
        "b/z.yml",
        "c.yaml",
    ]
    assert [d.name for d in loaded.documents] == ["a", "z", "c"]


def test_a_file_given_by_name_is_read_whatever_its_suffix(tmp_path: Path):
    path = tmp_path / "policy.txt"
    path.write_text(TEAM)
    loaded = load_paths([path])
    assert [d.name for d in loaded.documents] == ["l2"]


def test_an_empty_directory_is_a_finding(tmp_path: Path):
    loaded = load_paths([tmp_path])
    assert codes(loaded.findings) == [("no-files", 1, 1)]
    assert loaded.findings[0].where.file == str(tmp_path)


def test_a_missing_path_is_a_finding(tmp_path: Path):
    loaded = load_paths([tmp_path / "nope.yaml"])
    assert codes(loaded.findings) == [("unreadable", 1, 1)]


# --- refusals: each code at its line and column ---------------------------------


def test_duplicate_key_is_refused_at_the_second_key():
    text = "spec:\n  priorities:\n    P1: {}\n    P1: {}\n"
    assert one_refusal(text) == ("duplicate-key", 4, 5)
    _, [finding] = load_text(text, "p.yaml")
    assert "`P1`" in finding.message and "line 3" in finding.message


def test_duplicate_keys_are_all_reported_and_the_document_dropped():
    text = "a: 1\na: 2\nb: {c: 1, c: 2}\n---\n" + TEAM
    docs, findings = load_text(text, "p.yaml")
    assert codes(findings) == [("duplicate-key", 2, 1), ("duplicate-key", 3, 11)]
    assert [d.name for d in docs] == ["l2"]  # the next document still loads


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("x: !!python/object/apply:os.system [echo hi]\n", 4),
        ("x: !!python/name:os.system ''\n", 4),
        ("x: !custom value\n", 4),
        ("x: !!set {a, b}\n", 4),
        ("x: !!binary aGk=\n", 4),
        ("x: !!omap [a: 1]\n", 4),
    ],
)
def test_tags_that_build_objects_or_are_unknown_are_refused(text: str, column: int):
    assert one_refusal(text) == ("unsafe-tag", 1, column)


def test_billion_laughs_is_refused_fast_without_expanding():
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 9):
        previous, name = chr(ord("a") + i - 1), chr(ord("a") + i)
        lines.append(f"{name}: &{name} [" + ",".join([f"*{previous}"] * 9) + "]")
    code = one_refusal("\n".join(lines) + "\n")
    # refused while reading, at an alias on the first lines: expanded it would be 9**9 nodes
    assert code[0] == "alias-limit"
    assert code[1] in range(3, 10)


def test_too_many_aliases_are_refused_at_the_first_one_past_the_limit():
    text = "a: &a x\nb: [" + ", ".join(["*a"] * (MAX_ALIASES + 1)) + "]\n"
    code, line, column = one_refusal(text)
    assert (code, line) == ("alias-limit", 2)
    assert column == 5 + 4 * MAX_ALIASES


def test_an_undefined_alias_is_a_syntax_finding():
    assert one_refusal("x: *nowhere\n") == ("yaml-syntax", 1, 4)


def test_a_recursive_alias_is_refused_not_followed():
    assert one_refusal("x: &a [*a]\n") == ("yaml-syntax", 1, 8)


@pytest.mark.parametrize(
    ("text", "where"),
    [
        # libyaml's own composer crashes on this, and its scanner is quadratic in it
        ("[" * 200_000 + "]" * 200_000, (1, MAX_DEPTH + 1)),
        ("- " * 200_000 + "x", (1, 2 * MAX_DEPTH + 1)),
        ("".join(" " * i + "a:\n" for i in range(MAX_DEPTH + 2)), (MAX_DEPTH + 1, MAX_DEPTH + 1)),
    ],
    ids=["flow", "block-sequence", "block-mapping"],
)
def test_deep_nesting_is_refused_at_the_first_level_too_deep(text: str, where: tuple[int, int]):
    code, line, column = one_refusal(text)
    assert code == "too-deep" and line == where[0]
    # libyaml as bundled with PyYAML >= 6.0.4 caps flow nesting itself at 1,000 levels,
    # and its scanner runs ahead of the loader's own check: either refusal is right
    assert column == where[1] or (text.startswith("[") and column == 1001)


def test_deep_nesting_stops_the_file_but_keeps_documents_before_it():
    docs, findings = load_text(TEAM + "---\n" + "[" * 1000 + "\n---\n" + TEAM, "d.yaml")
    assert [d.name for d in docs] == ["l2"]
    assert codes(findings) == [("too-deep", 5, MAX_DEPTH + 1)]


def test_a_file_over_the_size_limit_is_refused_before_parsing(tmp_path: Path):
    path = tmp_path / "big.yaml"
    path.write_text("x: [" * 10 + "a" * 2000)  # also invalid YAML: never parsed
    docs, findings = load_file(str(path), max_file_bytes=1024)
    assert docs == []
    assert codes(findings) == [("file-too-large", 1, 1)]
    assert "1 KiB limit" in findings[0].message


def test_the_default_size_limit_is_one_mebibyte(tmp_path: Path):
    path = tmp_path / "big.yaml"
    path.write_text("# " + "x" * (1024 * 1024))
    _, [finding] = load_file(str(path))
    assert finding.code == "file-too-large" and "1 MiB" in finding.message


def test_a_file_that_is_not_utf8_is_refused_at_the_offending_byte(tmp_path: Path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes(TEAM.encode() + "spec: {description: Caf\u00e9}\n".encode("latin-1"))
    docs, findings = load_file(str(path))
    assert docs == []
    assert codes(findings) == [("not-utf8", 4, 24)]
    assert "0xe9" in findings[0].message


@pytest.mark.parametrize(
    ("text", "line", "column"),
    [
        ("a: [1, 2\nb: 3\n", 2, 2),
        ("a: 1\n b: 2\n", 2, 3),
        ("a: 'open\n", 2, 1),
        ("a: \x07\n", 1, 4),
        ("\u00e9: \x00\n", 1, 4),
    ],
)
def test_yaml_syntax_errors_are_findings_at_the_problem(text: str, line: int, column: int):
    assert one_refusal(text) == ("yaml-syntax", line, column)


def test_a_syntax_error_keeps_the_documents_before_it():
    docs, findings = load_text(TEAM + "---\na: [\n", "s.yaml")
    assert [d.name for d in docs] == ["l2"]
    assert [f.code for f in findings] == ["yaml-syntax"]


@pytest.mark.parametrize(
    ("text", "what"),
    [("- a\n- b\n", "a list"), ("just text\n", "a string"), ("42\n", "a number")],
)
def test_a_document_that_is_not_a_mapping_is_refused(text: str, what: str):
    assert one_refusal("# comment\n" + text) == ("not-a-mapping", 2, 1)
    _, [finding] = load_text(text, "p.yaml")
    assert what in finding.message


def test_a_key_that_is_not_a_plain_name_is_refused():
    assert one_refusal("? [a, b]\n: c\n") == ("bad-key", 1, 3)
    assert one_refusal("a: &k x\n*k : y\n") == ("bad-key", 2, 1)


def test_merging_something_that_is_not_a_mapping_is_refused():
    assert one_refusal("a: &a [1]\nb:\n  <<: *a\n") == ("yaml-syntax", 3, 3)


def test_a_directory_given_as_a_file_is_unreadable(tmp_path: Path):
    docs, findings = load_file(str(tmp_path))
    assert docs == [] and codes(findings) == [("unreadable", 1, 1)]


def test_special_files_are_unreadable_findings_not_hangs(tmp_path: Path):
    fifo = tmp_path / "fifo.yaml"
    os.mkfifo(fifo)  # opening it for reading would block until a writer came
    loaded = load_paths([str(tmp_path), "/dev/zero"])
    found = [(f.where.file, f.code, f.message) for f in loaded.findings]
    assert found == [
        (str(fifo), "unreadable", "cannot read the file: not a regular file (it is a FIFO)"),
        ("/dev/zero", "unreadable", "cannot read the file: not a regular file (it is a device)"),
    ]


def test_an_unreadable_subdirectory_is_an_error_finding(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    (tmp_path / "ok.yaml").write_text("a: 1\n")
    locked = tmp_path / "team"
    locked.mkdir()
    (locked / "p.yaml").write_text("a: 1\n")
    scandir = os.scandir

    def refuse(path: str | os.PathLike[str] = "."):  # chmod 000 does not stop root: refuse
        if os.fspath(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(locked))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", refuse)
    loaded = load_paths([str(tmp_path)])
    assert [(f.where.file, f.code, f.severity) for f in loaded.findings] == [
        (str(locked), "unreadable", "error")
    ]
    assert loaded.files == (str(tmp_path / "ok.yaml"),)
