"""What a cycle is given: its options, what it needs of a notifier, how it connects
to a desk, and the desks it covers."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from escalada.connectors.base import Connector
from escalada.connectors.base import Shard
from escalada.errors import EscaladaError
from escalada.notify import Notification
from escalada.notify import NotifyResult
from escalada.policy.model import Desk
from escalada.policy.model import Policy


class Sender(Protocol):
    """What the runner needs of a notifier (escalada.notify.Notifier; the demo's recorder).

    A notifier may also have `send_many(items) -> list[NotifyResult]` (results in
    the input order): the runner then hands it a chunk's messages at once, to go
    out concurrently across channels; without it, the runner calls `send` for each."""

    def send(self, channel: str, message: Notification) -> NotifyResult: ...


CYCLE_BUDGET = 600.0
# How old a `pending` token must be before another run re-sends its notifications:
# longer than a runner can take between its escalation write and its clearing
# write (the notifier's retries: 3 attempts, up to 60s Retry-After, per channel).
RESEND_AFTER = timedelta(minutes=10)
# Tickets per chunk: written one by one (or several at once, RunOptions.writers),
# then their messages sent together and their pending tokens cleared in one call
# (Zendesk's update_many takes 100 ids).
BATCH = 100


@dataclass(frozen=True, slots=True)
class RunOptions:
    desks: tuple[str, ...] = ()  # empty: every desk in the policy
    dry_run: bool = False
    shard: Shard | None = None
    concurrency: int = 4  # desks processed at once
    resend_after: timedelta = RESEND_AFTER
    # written on the markers of the escalations this run makes and on its audit records
    # (escalada.revision.policy_revision), so simulate, report and explain can say
    # under which version of the policy a ticket was escalated
    policy_revision: str | None = None
    # Seconds a cycle may take: past it, requests in flight end and every desk
    # leaves its remaining tickets to the next cycle (a scheduled job must end).
    budget: float | None = CYCLE_BUDGET
    # Tickets per chunk (see BATCH); 1 confirms each ticket before writing the next.
    batch: int = BATCH
    # A chunk's writes in flight per desk. None: as many as the desk account's budget
    # can use at the calls' observed latency (RateBudget.in_flight: 1 to 8; 1 without
    # a rate of its own). Tests and the bench set it; a desk type without concurrent
    # writes (the sandbox) writes one at a time whatever it says.
    writers: int | None = None


ConnectFn = Callable[[Desk], Connector]


def select_desks(policy: Policy, names: Sequence[str]) -> list[Desk]:
    """The desks a run covers; an unknown name is a user error naming the known ones."""
    if not names:
        return list(policy.desks.values())
    unknown = [name for name in names if name not in policy.desks]
    if unknown:
        raise EscaladaError(
            f"no Desk named {', '.join(unknown)} in the policy",
            hint=f"known desks: {', '.join(policy.desks) or 'none'}",
        )
    return [policy.desks[name] for name in dict.fromkeys(names)]  # `--desk a --desk a`: once
