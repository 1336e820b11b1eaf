"""What the HTTP desks' connectors set up the same way: the credentials named in
the Desk's auth, and a requests session with the shared ResilientAdapter
mounted (escalada.connectors.http), whose `calls` counts what the desk served.

No desk client library is imported here: each connector hands the session to
its own library (zenpy, pysnc) or mounts the adapter on the library's session
(jira builds its own)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence

import requests

from escalada.connectors.http import ResilientAdapter
from escalada.connectors.http import mount_resilience
from escalada.errors import EscaladaError
from escalada.pacing import RateBudget
from escalada.policy.model import Desk
from escalada.secrets import Secret
from escalada.secrets import resolve


def desk_secrets(
    desk: Desk,
    names: Sequence[str],
    *,
    environ: Mapping[str, str] | None,
    hint: str,
) -> tuple[Secret, ...]:
    """The Desk's auth secrets of these names, resolved, in the order named.

    One error names every missing one; `hint` says what to write."""
    missing = [name for name in names if name not in desk.auth]
    if missing:
        raise EscaladaError(
            f"desk {desk.name!r}: spec.auth lacks {' and '.join(missing)}",
            where=str(desk.where) if desk.where.line else None,
            hint=hint,
        )
    return tuple(resolve(desk.auth[name], environ=environ) for name in names)


def resilient_session(
    desk: Desk,
    *,
    sleep: Callable[[float], None] = time.sleep,
    jitter: Callable[[], float] = random.random,
    budget: RateBudget | None = None,
) -> tuple[requests.Session, ResilientAdapter]:
    """A new session with every call going through the desk's ResilientAdapter,
    paced to the account's `budget` (connectors.base.Wiring.budget)."""
    session = requests.Session()
    adapter = mount_resilience(session, desk.name, sleep=sleep, jitter=jitter, budget=budget)
    return session, adapter
