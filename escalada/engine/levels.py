"""Level thresholds, precomputed once per (path, priority), and the time rules.

A level with `after: D` falls due when D of business time has passed since the
ticket was opened, on the path's calendar when it names one, else on the
priority's calendar (24x7 without a priority). A level with `at: N% respond|
resolve` falls due when N% of that SLA target has passed, always on the
priority's calendar; without a priority, or when the priority has no such
target, it never falls due by time (a trigger can still send a ticket there).
"The priority" is its targets under the ticket's service level when one
matches (`PriorityMatrix.service_levels`, first match wins): its own target
and calendar.

`unless: responded|resolved` stops the level's clock: a ticket responded (or
resolved) before the threshold fell due never falls due for that level. One
responded after it fell due did fall due (the escalation was earned).

Due checks compare business time elapsed with the threshold (elapsed >= D),
so an evaluation needs one `elapsed` per calendar, and only the next due
instant needs `add`.
"""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import timedelta
from datetime import timezone

from escalada.engine.calendars import BusinessClock
from escalada.engine.timeline import Timelines
from escalada.policy.durations import format_duration
from escalada.policy.model import BUILTIN_CALENDAR
from escalada.policy.model import EscalationPath
from escalada.policy.model import Level
from escalada.policy.model import Priority
from escalada.policy.model import SlaTarget
from escalada.ticket import NextStep

ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class Ruler:
    """Business time on one calendar; `wall` when it is always open (24x7),
    which lets the hot path subtract datetimes instead of calling the clock."""

    calendar: str
    clock: BusinessClock
    wall: bool

    def elapsed(self, start: datetime, end: datetime) -> timedelta:
        if self.wall:
            return end - start if end > start else ZERO
        return self.clock.elapsed(start, end)


@dataclass(frozen=True, slots=True)
class LevelPlan:
    """One level of a path for one priority, ready for evaluation."""

    level: Level
    ruler: Ruler | None  # None: no time rule (level 0, or reached by triggers only)
    threshold: timedelta | None
    rule: str  # "15m business time without a response", "75% of the 4h resolve target for P1"
    target: SlaTarget  # the SLA target a reason's "time left" refers to
    stop: str | None  # "responded" | "resolved"
    fired: str  # the rule as a reason says it once it fell due

    @property
    def index(self) -> int:
        return self.level.index


def build_plans(
    path: EscalationPath,
    priority: Priority | None,
    ruler: Callable[[str], Ruler],
    service: str | None = None,
) -> tuple[LevelPlan, ...]:
    """The plans of a path's levels for one priority (None: no known priority), with
    the targets of the service level named `service` when one applies."""
    under = f" (service level {service})" if service else ""
    after_calendar = path.calendar or (priority.calendar if priority else BUILTIN_CALENDAR)
    sla_calendar = priority.calendar if priority else BUILTIN_CALENDAR
    plans = []
    for level in path.levels:
        target: SlaTarget = "respond" if level.unless == "responded" else "resolve"
        plan_ruler: Ruler | None = None
        threshold: timedelta | None = None
        rule = "reached by triggers only"
        if level.index == 0:
            rule = "where tickets start"
        elif level.after is not None:
            plan_ruler, threshold = ruler(after_calendar), level.after
            rule = f"{format_duration(level.after)} business time since opening{_stop(level)}"
        elif level.at is not None:
            target = level.at.target
            share = f"{level.at.percent:g}% of the"
            within = _target(priority, target)
            if priority is None:
                rule = f"{share} {target} target (no priority: never by time)"
            elif within is None:
                rule = f"{share} {target} target ({priority.name} has none: never by time)"
            else:
                plan_ruler = ruler(sla_calendar)
                threshold = within * (level.at.percent / 100)
                rule = (
                    f"{share} {format_duration(within)} {target} target for {priority.name}{under}"
                )
        fired = f"{rule} passed" if level.at is not None else rule
        plans.append(LevelPlan(level, plan_ruler, threshold, rule, target, level.unless, fired))
    return tuple(plans)


def _stop(level: Level) -> str:
    if level.unless == "responded":
        return " without a response"
    if level.unless == "resolved":
        return " unresolved"
    return ""


def _target(priority: Priority | None, target: SlaTarget) -> timedelta | None:
    if priority is None:
        return None
    return priority.respond_within if target == "respond" else priority.resolve_within


def stop_instant(plan: LevelPlan, clocks: Clocks) -> datetime | None:
    """When the level's stop condition was met, or None while it is not (at `now`)."""
    if plan.stop == "responded":
        return clocks.responded
    if plan.stop == "resolved":
        return clocks.resolved
    return None


def utc(moment: datetime) -> datetime:
    """The instant in UTC: Python subtracts two datetimes sharing a ZoneInfo in
    wall time, so real time is measured in UTC."""
    return moment if moment.tzinfo is timezone.utc else moment.astimezone(timezone.utc)


# Spans [start, end) during which a ticket's clock stood still, oldest first
Spans = tuple[tuple[datetime, datetime], ...]


class Clocks:
    """Per-evaluation memo of business time elapsed since a ticket was opened,
    the ticket's clock paused where `paused` says (see `engine.pauses`).

    `due` is the bitmask of levels whose time rule `schedule_level` found due
    (stop condition included), so a reason can name the levels a ticket skips
    without another pass over the calendar. With `lines`, questions about the
    evaluation instant go to its calendars' timelines (see `engine_timeline`).
    `responded` and `resolved` are the stop instants as known at `now` (a
    response after `now` has not happened yet; a resolution counts only while
    the ticket's status says resolved or closed). `frozen`: the clock stands
    still at `now` (the ticket is in a pausing status)."""

    __slots__ = (
        "created",
        "now",
        "wall",
        "due",
        "responded",
        "resolved",
        "paused",
        "frozen",
        "_now",
        "_memo",
        "_lines",
    )

    def __init__(
        self,
        created: datetime,
        now: datetime,
        lines: Timelines | None = None,
        *,
        responded: datetime | None = None,
        resolved: datetime | None = None,
        paused: Spans = (),
        frozen: bool = False,
    ) -> None:
        # utc() inlined: one Clocks per evaluation, and most instants are UTC already
        if created.tzinfo is not timezone.utc:
            created = created.astimezone(timezone.utc)
        if now.tzinfo is not timezone.utc:
            now = now.astimezone(timezone.utc)
        self.created = created
        self.now = now
        # wall time since opening: business time never exceeds it
        self.wall = now - created if now > created else ZERO
        self.due = 0
        self.responded = utc(responded) if responded is not None and responded <= now else None
        self.resolved = utc(resolved) if resolved is not None and resolved <= now else None
        self.paused = paused
        self.frozen = frozen
        self._now: dict[str, timedelta] = {}
        self._memo: dict[tuple[str, datetime], timedelta] = {}
        self._lines = lines

    def so_far(self, ruler: Ruler) -> timedelta:
        """Business time the clock ran from opening to `now` on the ruler's calendar."""
        found = self._now.get(ruler.calendar)
        if found is None:
            if self.paused:
                found = self._gross_now(ruler)
                for start, end in self.paused:
                    found -= self._gross(ruler, end) - self._gross(ruler, start)
            else:  # the common case: nothing to subtract, no second memo
                found = self._business_now(ruler)
            self._now[ruler.calendar] = found
        return found

    def paused_time(self, ruler: Ruler) -> timedelta:
        """Business time from opening to `now` during which the clock stood still."""
        return self._gross_now(ruler) - self.so_far(ruler)

    def elapsed(self, ruler: Ruler, end: datetime) -> timedelta:
        """Business time the clock ran from opening to `end`."""
        if end is self.now:
            return self.so_far(ruler)
        found = self._gross(ruler, end)
        for start, stop in self.paused:
            if start >= end:
                break
            found -= self._gross(ruler, stop if stop < end else end) - self._gross(ruler, start)
        return found

    def running(self, ruler: Ruler, start: datetime) -> timedelta:
        """Business time the clock ran from `start` to `now`."""
        if start <= self.created:
            return self.so_far(ruler)
        return self.so_far(ruler) - self.elapsed(ruler, utc(start))

    def _gross_now(self, ruler: Ruler) -> timedelta:
        """Business time from opening to `now`, pauses included."""
        if not self.paused:
            return self.so_far(ruler)
        key = (ruler.calendar, self.now)
        found = self._memo.get(key)
        if found is None:
            found = self._memo[key] = self._business_now(ruler)
        return found

    def _business_now(self, ruler: Ruler) -> timedelta:
        """Business time from opening to `now` on the ruler's calendar (not memoized)."""
        if ruler.wall:
            return self.wall
        lines = self._lines
        line = lines.line(ruler.calendar, ruler.clock, self.now) if lines else None
        found = line.to_now(self.created) if line is not None else None
        if found is None:
            found = ruler.clock.elapsed(self.created, self.now)
        return found

    def _gross(self, ruler: Ruler, end: datetime) -> timedelta:
        """Business time from opening to `end`, pauses included."""
        if end is self.now:
            return self._gross_now(ruler)
        key = (ruler.calendar, end)
        found = self._memo.get(key)
        if found is None:
            lines = self._lines
            if lines and not ruler.wall and self.created < end < self.now:
                line = lines.line(ruler.calendar, ruler.clock, self.now)
                rest = line.to_now(end) if line is not None else None
                if rest is not None:
                    found = self._gross_now(ruler) - rest
            if found is None:
                found = ruler.elapsed(self.created, end)
            self._memo[key] = found
        return found

    def due_at(self, ruler: Ruler, threshold: timedelta) -> datetime:
        """The instant the clock has run `threshold` (> 0) of business time since
        opening (UTC): the clock's `add`, or on the timeline: `threshold -
        so_far` after `now` when that is later, else the instant that leaves
        `so_far - threshold` before `now`. With pauses, the running stretches
        are walked (a frozen clock's future instant is `now`'s: unknown, so
        callers ask only when `so_far` reached the threshold)."""
        if self.paused or self.frozen:
            return self._due_paused(ruler, threshold)
        lines = self._lines
        if lines and not ruler.wall and self.created <= self.now and threshold > ZERO:
            line = lines.line(ruler.calendar, ruler.clock, self.now)
            if line is not None:
                so_far = self.so_far(ruler)
                if so_far < threshold:
                    found = line.after_now(threshold - so_far)
                else:
                    found = line.before_now(so_far - threshold)
                if found is not None:
                    return found
        return add(ruler, self.created, threshold)

    def _due_paused(self, ruler: Ruler, threshold: timedelta) -> datetime:
        so_far = self.so_far(ruler)
        if so_far < threshold:
            return add(ruler, self.now, threshold - so_far)
        done = ZERO
        start = self.created
        for pause, resume in (*self.paused, (self.now, self.now)):
            if pause > start:
                stretch = self._gross(ruler, pause) - self._gross(ruler, start)
                if done + stretch >= threshold:
                    return add(ruler, start, threshold - done)
                done += stretch
            start = resume
        return add(ruler, start, threshold - done)


# (level index, ruler, threshold, stop) of the levels that have a time rule
Timed = tuple[tuple[int, Ruler, timedelta, "str | None"], ...]


def timed(plans: Sequence[LevelPlan]) -> Timed:
    return tuple(
        (p.index, p.ruler, p.threshold, p.stop)
        for p in plans
        if p.ruler is not None and p.threshold is not None
    )


def schedule_level(rules: Timed, clocks: Clocks) -> int:
    """The highest level whose time rule has fallen due at `clocks.now` (0 when none).

    Sets `clocks.due` to the bitmask of every level found due. Business time
    never exceeds wall time, so a threshold above the wall time since opening
    (or a stop reached within it) settles a level without the calendar. A
    frozen clock (a paused ticket) brings no level due."""
    if clocks.frozen:
        clocks.due = 0
        return 0
    due = 0
    mask = 0
    wall = clocks.wall
    for index, ruler, threshold, stop in rules:
        if wall < threshold or clocks.so_far(ruler) < threshold:
            continue
        if stop is not None:
            stopped = clocks.responded if stop == "responded" else clocks.resolved
            if stopped is not None and on_time(clocks, ruler, threshold, stopped):
                continue  # stop condition met before the level fell due (or as it did)
        due = index
        mask |= 1 << index
    clocks.due = mask
    return due


def on_time(clocks: Clocks, ruler: Ruler, threshold: timedelta, stopped: datetime) -> bool:
    """Whether a stop at `stopped` came before the level fell due or at that
    very instant (a response exactly at the threshold is on time)."""
    if threshold and stopped - clocks.created < threshold:
        return True  # business time never exceeds wall time
    spent = clocks.elapsed(ruler, stopped)
    if spent != threshold:
        return spent < threshold
    return stopped <= clocks.due_at(ruler, threshold) if threshold else stopped <= clocks.created


def add(ruler: Ruler, start: datetime, amount: timedelta) -> datetime:
    """`start` plus `amount` of business time, in UTC."""
    if ruler.wall:
        return utc(start) + amount
    return ruler.clock.add(start, amount)


def due_instant(plan: LevelPlan, clocks: Clocks) -> datetime | None:
    """When the level's time rule falls (or fell) due, ignoring stop conditions;
    None without a time rule, or while a frozen clock has not reached it."""
    if plan.threshold is None or plan.ruler is None:
        return None
    if clocks.frozen and clocks.so_far(plan.ruler) < plan.threshold:
        return None
    if plan.threshold == ZERO:
        return clocks.created
    return clocks.due_at(plan.ruler, plan.threshold)


class Schedule:
    """The timed levels of one path for one priority, with the choice of the next
    level to fall due computed once per (level, responded?, resolved?): which
    levels are still to come depends on nothing else."""

    __slots__ = ("rules", "_choices")

    def __init__(self, rules: Timed) -> None:
        self.rules = rules
        top = max((index for index, _, _, _ in rules), default=0)
        self._choices = tuple(
            _choose(rules, level, responded, resolved)
            for level in range(top)
            for responded in (False, True)
            for resolved in (False, True)
        )

    def choice(self, level: int, clocks: Clocks) -> _Choice | None:
        slot = level * 4 + (2 if clocks.responded is not None else 0)
        slot += 1 if clocks.resolved is not None else 0
        return self._choices[slot] if slot < len(self._choices) else None


@dataclass(frozen=True, slots=True)
class _Choice:
    """The levels above a level still to fall due by time (stop not yet met).

    `single` is set when they all run on one calendar: (ruler, the smallest
    threshold, the highest level due at that threshold)."""

    candidates: Timed
    single: tuple[Ruler, timedelta, int] | None


def _choose(rules: Timed, level: int, responded: bool, resolved: bool) -> _Choice | None:
    candidates = tuple(
        entry
        for entry in rules
        if entry[0] > level
        and not (entry[3] == "responded" and responded or entry[3] == "resolved" and resolved)
    )
    if not candidates:
        return None
    ruler = candidates[0][1]
    if any(entry[1] is not ruler for entry in candidates):
        return _Choice(candidates, None)
    first = min(threshold for _, _, threshold, _ in candidates)
    best = max(index for index, _, threshold, _ in candidates if threshold <= first)
    return _Choice(candidates, (ruler, first, best))


def next_step(
    schedule: Schedule,
    level: int,
    clocks: Clocks,
    shared: dict[tuple[int, datetime], NextStep] | None = None,
) -> NextStep | None:
    """The next level above `level` to fall due by time, and when.

    Levels whose stop condition is already met are skipped. When several fall
    due at the same instant the highest one is named (the ticket goes straight
    there). With `shared` (one dict per evaluation instant), equal steps are one
    object: every ticket opened while a calendar was closed falls due at the
    same instant, and a runner keeps a cycle's decisions, so fewer objects for
    the garbage collector to trace."""
    if clocks.frozen:
        return None  # a paused clock brings nothing due by time
    choice = schedule.choice(level, clocks)
    if choice is None:
        return None
    if choice.single is not None:
        ruler, threshold, best = choice.single
        at = clocks.due_at(ruler, threshold)
    else:
        candidates = choice.candidates
        firsts: dict[str, timedelta] = {}
        for _, ruler, threshold, _ in candidates:
            known = firsts.get(ruler.calendar)
            if known is None or threshold < known:
                firsts[ruler.calendar] = threshold
        rulers = {ruler.calendar: ruler for _, ruler, _, _ in candidates}
        at = min(clocks.due_at(rulers[name], threshold) for name, threshold in firsts.items())
        best = max(
            index
            for index, ruler, threshold, _ in candidates
            if clocks.elapsed(ruler, at) >= threshold
        )
    if shared is None:
        return NextStep(level=best, at=at)
    key = (best, at)
    found = shared.get(key)
    if found is None:
        found = shared[key] = NextStep(level=best, at=at)
    return found
