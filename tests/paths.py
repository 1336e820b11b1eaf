"""Where the tests find the checkout's files, whatever folder a test module sits in."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "examples" / "policy"
BAD = ROOT / "tests" / "policy" / "bad"
