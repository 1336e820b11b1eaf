"""The escalation state as marker tokens: desk labels/tags, or a line in a note.

Tokens are lower case (Zendesk lower-cases tags) and contain no spaces (Jira
labels cannot), so the same tokens serve every desk:

    escalada-critical-outage-2        path and level
    escalada-since-20261123t101500z   when that level was announced (UTC)
    escalada-upd-20261123t111500z     the last stakeholder update (UTC)
    escalada-asked                    a reason was requested for an escalation request
    escalada-pending                  notifications of the current level not yet confirmed sent
    escalada-rev-3f2a9c0d1b7e         the policy revision that escalated to this level (the
                                      first 12 hex digits of its git commit, or of its digest)

Markers written before revisions were kept have no `rev` token and read as
before (`EscalationState.policy` is None).

A desk that has no labels keeps the same tokens in one field or in a note line
that starts with NOTE_PREFIX.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from datetime import timezone

from escalada.ticket import EscalationState

PREFIX = "escalada-"
NOTE_PREFIX = "escalada-marker:"
_STAMP = "%Y%m%dt%H%M%Sz"
_REVISION = re.compile(r"^escalada-rev-(?P<rev>[0-9a-f]{12})$")
REVISION_LENGTH = 12
_LEVEL = re.compile(r"^escalada-(?P<path>[a-z0-9][a-z0-9_.-]*?)-(?P<level>\d+)$")


def _stamp(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime(_STAMP)


def _parse_stamp(text: str) -> datetime | None:
    try:
        return datetime.strptime(text, _STAMP).replace(tzinfo=timezone.utc)
    except ValueError:
        return None


def is_marker(token: str) -> bool:
    return token.startswith(PREFIX)


def encode(state: EscalationState) -> tuple[str, ...]:
    """The tokens for a state; none for a ticket escalada has never touched."""
    tokens = [] if state.path is None else [f"{PREFIX}{state.path.lower()}-{state.level}"]
    if state.since is not None:
        tokens.append(f"{PREFIX}since-{_stamp(state.since)}")
    if state.updated is not None:
        tokens.append(f"{PREFIX}upd-{_stamp(state.updated)}")
    if state.asked:
        tokens.append(f"{PREFIX}asked")
    if state.pending:
        tokens.append(f"{PREFIX}pending")
    if state.policy is not None and _REVISION.match(f"{PREFIX}rev-{state.policy}"):
        tokens.append(f"{PREFIX}rev-{state.policy}")
    return tuple(tokens)


def decode(tokens: Iterable[str]) -> EscalationState:
    """Read a state back from tags/labels (other tags are ignored).

    Several level tokens (two runners raced, or a hand edit) resolve to the
    highest level, which never re-announces a level already announced."""
    path: str | None = None
    level = -1
    since = updated = None
    policy: str | None = None
    asked = pending = False
    for token in tokens:
        token = token.strip().lower()
        if not token.startswith(PREFIX):
            continue
        if token == f"{PREFIX}asked":
            asked = True
        elif token == f"{PREFIX}pending":
            pending = True
        elif token.startswith(f"{PREFIX}since-"):
            since = _parse_stamp(token[len(PREFIX) + 6 :]) or since
        elif token.startswith(f"{PREFIX}upd-"):
            updated = _parse_stamp(token[len(PREFIX) + 4 :]) or updated
        elif rev := _REVISION.match(token):
            policy = rev["rev"]
        elif (match := _LEVEL.match(token)) and int(match["level"]) > level:
            path, level = match["path"], int(match["level"])
    if path is None:
        return EscalationState(
            since=since, updated=updated, asked=asked, pending=pending, policy=policy
        )
    return EscalationState(
        path=path,
        level=level,
        since=since,
        updated=updated,
        asked=asked,
        pending=pending,
        policy=policy,
    )


def note_line(state: EscalationState) -> str:
    """The marker as one line of an internal note (desks without labels)."""
    return f"{NOTE_PREFIX} {' '.join(encode(state)) or 'cleared'}"


def decode_note(text: str) -> EscalationState | None:
    """The state in the last marker line of a note, or None when it has none."""
    found = None
    for line in text.splitlines():
        if line.startswith(NOTE_PREFIX):
            found = line[len(NOTE_PREFIX) :].split()
    return None if found is None else decode(found)


def retag(tags: Iterable[str], state: EscalationState) -> tuple[set[str], set[str]]:
    """(tags to add, tags to remove) to move from the current tags to `state`."""
    current = {t for t in tags if is_marker(t)}
    wanted = set(encode(state))
    return wanted - current, current - wanted
