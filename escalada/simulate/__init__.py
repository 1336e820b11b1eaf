"""`escalada simulate`: what a policy change does to open tickets now, and what it
would have done over a past window, before it is merged.

Two parts, each run under both policies: `compare.compare_now` (the open
tickets as the desk holds them, assessed at one instant) and `replay.replay`
(the event-driven backtest). `simulate` joins them into one `Simulation`, which
`render` prints as text, markdown (a pull-request comment) or the JSON of the
command-line contract."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from escalada.engine.evaluator import Evaluator
from escalada.policy.model import Policy
from escalada.simulate.compare import Change as Change
from escalada.simulate.compare import NowComparison
from escalada.simulate.compare import compare_now
from escalada.simulate.replay import Tally
from escalada.simulate.replay import replay
from escalada.ticket import Ticket


@dataclass(frozen=True, slots=True)
class Window:
    start: datetime
    end: datetime


@dataclass(frozen=True, slots=True)
class Backtest:
    window: Window
    baseline: Tally
    policy: Tally
    changed: tuple[str, ...]  # tickets whose escalations differ, in input order


@dataclass(frozen=True, slots=True)
class Simulation:
    read: int  # tickets read (open and resolved)
    baseline_name: str  # how the baseline was given (a path or a git revision)
    baseline_revision: str | None
    policy_revision: str | None
    now: NowComparison
    backtest: Backtest | None

    @property
    def tickets(self) -> int:
        return self.now.tickets

    @property
    def changed(self) -> bool:
        return bool(self.now.changed) or bool(self.backtest and self.backtest.changed)


def renames(policy: Policy, baseline: Policy) -> dict[str, str]:
    """A path's name in the policy -> its name in the baseline, where the path says it
    was renamed (`moved_from`) and the baseline has the old name: the same path."""
    out: dict[str, str] = {}
    for name, path in policy.paths.items():
        for old in path.moved_from:
            if old in baseline.paths and name not in baseline.paths:
                out[name] = old
    return out


def simulate(
    policy: Policy,
    baseline: Policy,
    tickets: Sequence[Ticket],
    *,
    now: datetime,
    window: Window | None = None,
    baseline_name: str = "baseline",
    revisions: tuple[str | None, str | None] = (None, None),
) -> Simulation:
    """Compare the two policies over `tickets`: the open ones at `now`, and every one
    over `window` when it is given. `revisions` is (baseline's, policy's)."""
    old, new = Evaluator(baseline), Evaluator(policy)
    moved = renames(policy, baseline)
    comparison = compare_now(old, new, tickets, now, renames=moved)
    backtest = None
    if window is not None:
        before = replay(old, tickets, window.start, window.end)
        after = replay(new, tickets, window.start, window.end)
        was, is_ = before.per_ticket(), after.per_ticket()

        def same(key: str) -> bool:
            mine = tuple((moved.get(p, p), level, at) for p, level, at in is_.get(key, ()))
            return was.get(key, ()) == mine

        changed = tuple(t.key for t in tickets if not same(t.key))
        backtest = Backtest(window, before, after, changed)
    return Simulation(len(tickets), baseline_name, revisions[0], revisions[1], comparison, backtest)
