"""`escalada simulate`: the policy against a baseline, over open tickets now and a
past window (see escalada.simulate)."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import click

from escalada.errors import EscaladaError
from escalada.ticket import Ticket


@dataclass(frozen=True, slots=True)
class SimulateSettings:
    policy_paths: tuple[str, ...]
    baseline: str
    desk: str | None
    tickets_file: str | None
    start: datetime | None
    end: datetime | None
    now: datetime
    output_format: str
    detailed_exitcode: bool


def main(
    settings: SimulateSettings,
    *,
    echo: Callable[[str], Any] = click.echo,
    connect_fn: Callable[..., Any] | None = None,
) -> int:
    """Print the comparison; 0 same, 2 changed (with --detailed-exitcode)."""
    from escalada.policy.validate import load_policy
    from escalada.revision import policy_revision
    from escalada.simulate import Window
    from escalada.simulate import simulate
    from escalada.simulate.baseline import load_baseline
    from escalada.simulate.render import RENDERERS
    from escalada.ticket_file import read_tickets

    policy = load_policy(settings.policy_paths)
    baseline = load_baseline(settings.baseline, settings.policy_paths)
    window = None
    if settings.start is not None:
        end = settings.end or settings.now
        if end <= settings.start:
            raise EscaladaError(
                "--from must be before --to", hint="e.g. --from 30d (30 days ago) --to now"
            )
        window = Window(settings.start, end)
    if settings.tickets_file is not None:
        tickets: Sequence[Ticket] = read_tickets(settings.tickets_file, policy=None)
    else:
        assert settings.desk is not None
        from escalada.commands.tickets import read_desk_tickets

        tickets = read_desk_tickets(
            policy, settings.desk, since=settings.start, now=settings.now, connect_fn=connect_fn
        )
    result = simulate(
        policy,
        baseline.policy,
        tickets,
        now=settings.now,
        window=window,
        baseline_name=baseline.name,
        revisions=(baseline.revision, policy_revision(settings.policy_paths)),
    )
    echo(RENDERERS[settings.output_format](result))
    return 2 if settings.detailed_exitcode and result.changed else 0
