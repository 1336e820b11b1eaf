"""Render a ValidationResult: text (editors and people), json (DESIGN.md's shape),
github (workflow annotations). `REPORTERS` builds `--format`'s choices."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # importing validate would load jsonschema when the CLI only builds --help
    from escalada.policy.validate import ValidationResult

Reporter = Callable[["ValidationResult", bool], str]


def render_text(result: ValidationResult, strict: bool) -> str:
    """`FILE:LINE:COL: error CODE message`, an indented hint, then a summary line."""
    lines = []
    for finding in result.findings:
        lines.append(f"{finding.where}: {finding.severity} {finding.code} {finding.message}")
        if finding.hint:
            lines.append(f"    hint: {finding.hint}")
    lines.append(summary(result, strict))
    return "\n".join(lines)


def render_json(result: ValidationResult, strict: bool) -> str:
    """One object: ok, files, documents, findings (see DESIGN.md)."""
    return json.dumps(
        {
            "ok": result.ok(strict=strict),
            "files": result.files,
            "documents": result.documents,
            "findings": [finding.as_json() for finding in result.findings],
        },
        indent=2,
    )


def render_github(result: ValidationResult, strict: bool) -> str:
    """GitHub Actions workflow commands: one annotation per finding, then the summary."""
    lines = []
    for finding in result.findings:
        where = finding.where
        properties = ",".join(
            f"{key}={_escape_property(str(value))}"
            for key, value in (
                ("file", where.file),
                ("line", where.line),
                ("col", where.column),
                ("title", f"escalada {finding.code}"),
            )
        )
        message = f"{finding.code} {finding.message}"
        if finding.hint:
            message += f"\nhint: {finding.hint}"
        lines.append(f"::{finding.severity} {properties}::{_escape_data(message)}")
    lines.append(summary(result, strict))
    return "\n".join(lines)


REPORTERS: dict[str, Reporter] = {
    "text": render_text,
    "json": render_json,
    "github": render_github,
}


def summary(result: ValidationResult, strict: bool) -> str:
    """`policy/ ok: 12 files, 40 documents, 0 errors, 1 warning`."""
    state = "ok" if result.ok(strict=strict) else "failed"
    counts = ", ".join(
        _count(number, noun)
        for number, noun in (
            (result.files, "file"),
            (result.documents, "document"),
            (result.errors, "error"),
            (result.warnings, "warning"),
        )
    )
    line = f"{' '.join(result.paths)} {state}: {counts}"
    if result.held_back:
        line += (
            f" ({result.held_back} follow-on finding{'s' * (result.held_back != 1)} about "
            "names held back until the schema errors are fixed)"
        )
    return line


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}{'' if number == 1 else 's'}"


def _escape_data(text: str) -> str:
    # https://github.com/actions/toolkit/blob/main/packages/core/src/command.ts
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(text: str) -> str:
    return _escape_data(text).replace(":", "%3A").replace(",", "%2C")
