"""The json format: the measures as data (see docs/report.md for the shape)."""

from __future__ import annotations

import json

from escalada.report.build import Report


def render(report: Report) -> str:
    return json.dumps(report.as_json(), indent=2, ensure_ascii=False) + "\n"
