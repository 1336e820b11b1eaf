"""Reason and comment templates: `string.Template` over a flat mapping of strings.

No attribute traversal and no expressions, so a policy author cannot reach into
Python objects: `$title` works, `${ticket.title}` is not a placeholder at all.
Unknown placeholders are left as written (validation reports them with
`unknown_placeholders`), so a typo shows up in the comment rather than
crashing the runner.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Mapping
from operator import itemgetter
from string import Template
from typing import Any

PLACEHOLDERS: dict[str, str] = {
    "key": "the ticket key, e.g. SD-123",
    "title": "the ticket title",
    "url": "the ticket's link on its desk (empty when unknown)",
    "status": "open, pending, on-hold, resolved or closed",
    "priority": "the priority the engine uses (after the matrix)",
    "priority_title": "the priority's title, e.g. Critical",
    "impact": "the ticket's impact, or 'unknown'",
    "urgency": "the ticket's urgency, or 'unknown'",
    "organization": "the requester's organisation, or 'unknown'",
    "vip": "'VIP' for a VIP requester, else empty",
    "path": "the escalation path",
    "level": "the level number the ticket moves to (or is at)",
    "team": "the team that takes the level (the regional team on shift for a rotation)",
    "rule": "why: the threshold or trigger that fired",
    "elapsed": "business time since the ticket was opened, e.g. 3h02m",
    "left": "time left on the SLA target, or how much it is overdue",
    "target": "the SLA target in play, e.g. 4h resolve target for P1",
    "before": "the levels below, e.g. L0 service-desk, L1 network-l2",
    "skipped": "a sentence naming levels jumped over (empty when none)",
    "trigger": "the trigger's name (triggered escalations, reason requests)",
    "since": "when the current level was announced (updates)",
    "why": "why the escalation state is cleared",
    "written_priority": "the priority written on the ticket (set_priority)",
    "matrix": "the priority matrix's name (set_priority)",
    "now": "the evaluation instant, UTC",
}

DEFAULTS: dict[str, str] = {
    "escalate": (
        "Escalated to level $level ($team) on $path: $rule ($elapsed business time elapsed, "
        '$left). $key "$title" $priority, impact $impact, requester $organization. '
        "Before: $before.$skipped"
    ),
    "move": (
        "Moved to path $path at level $level ($team): $rule ($elapsed business time elapsed, "
        '$left). $key "$title" $priority, impact $impact, requester $organization. '
        "Before: $before.$skipped"
    ),
    "set_priority": (
        "Priority set to $priority (was $written_priority): impact $impact x urgency "
        "$urgency gives $priority in the $matrix matrix."
    ),
    "ask_reason": (
        'Escalation of $key "$title" was requested ($trigger) without a reason. Reply with '
        "what is at stake: who is affected, since when, and why it cannot wait; the "
        "escalation goes ahead once the latest comment says why."
    ),
    "update": (
        'Update on $key "$title": at level $level ($team) on $path since $since; $elapsed '
        "business time elapsed, $left. $priority, impact $impact, requester $organization."
    ),
    "clear": "Escalation of $key cleared: $why.",
}

# A template compiled to (literal, placeholder name or None, text as written)
# parts, rendered by one join: the runner renders a reason per escalation.
Parts = tuple[tuple[str, "str | None", str], ...]
_CACHE: dict[str, Parts] = {}
_COMPILED: dict[str, Compiled] = {}
_IDENTIFIER = re.compile(r"\$(?:\{([^}]*)\}|(\w+))")


def compile_template(text: str) -> Parts:
    """Parse a template once (cached); same meaning as Template.safe_substitute."""
    found = _CACHE.get(text)
    if found is not None:
        return found
    parts: list[tuple[str, str | None, str]] = []
    literal, position = "", 0
    for match in Template.pattern.finditer(text):
        literal += text[position : match.start()]
        position = match.end()
        if match.group("escaped") is not None:
            literal += Template.delimiter
        elif match.group("named") is not None or match.group("braced") is not None:
            name = match.group("named") or match.group("braced")
            parts.append((literal, name, match.group(0)))
            literal = ""
        else:  # an invalid placeholder stays as written
            literal += match.group(0)
    parts.append((literal + text[position:], None, ""))
    if len(_CACHE) > 1024:
        _CACHE.clear()
    found = _CACHE[text] = tuple(parts)
    return found


class Compiled:
    """A template parsed once, knowing its placeholders: `names`, and a printf
    form that `fill_known` renders in one `%` when the caller has checked that
    every name is in the mapping (no per-placeholder lookups in Python)."""

    __slots__ = ("parts", "names", "_printf", "_pick")

    def __init__(self, parts: Parts) -> None:
        self.parts = parts
        order = [name for _, name, _ in parts if name]
        self.names = frozenset(order)
        self._printf = "".join(
            literal.replace("%", "%%") + ("%s" if name else "") for literal, name, _ in parts
        )
        self._pick: Callable[[Mapping[str, str]], Any] | None = None
        if len(order) == 1:
            only = order[0]
            self._pick = lambda values: (values[only],)
        elif order:
            self._pick = itemgetter(*order)
        else:
            self._printf = parts[0][0]

    def fill_known(self, values: Mapping[str, str]) -> str:
        """Render over a mapping that holds every name in `names`."""
        pick = self._pick
        return self._printf if pick is None else self._printf % pick(values)


def compiled(text: str) -> Compiled:
    """The template, parsed once (cached)."""
    found = _COMPILED.get(text)
    if found is None:
        if len(_COMPILED) > 1024:
            _COMPILED.clear()
        found = _COMPILED[text] = Compiled(compile_template(text))
    return found


def render(text: str, values: Mapping[str, str]) -> str:
    """Fill `$placeholders` from a flat mapping; unknown ones stay as written."""
    return fill(compile_template(text), values)


def fill(parts: Parts, values: Mapping[str, str]) -> str:
    """Render a compiled template (see `compile_template`)."""
    get = values.get
    return "".join([literal + get(name, raw) if name else literal for literal, name, raw in parts])


def placeholders(text: str) -> list[str]:
    """The placeholder names a template uses, in order (`$$` is a literal `$`)."""
    names = []
    for match in _IDENTIFIER.finditer(text.replace("$$", "")):
        names.append(match.group(1) if match.group(1) is not None else match.group(2))
    return names


def unknown_placeholders(text: str) -> list[str]:
    """Placeholders that no reason mapping provides (for validation findings)."""
    return [name for name in placeholders(text) if name not in PLACEHOLDERS]
