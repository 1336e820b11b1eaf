"""Figures from the audit log: escalation volume (by threshold or trigger, per
day, per week, weekday x hour), time at each level, escalation to resolution,
tickets that reached the top of their path, stakeholder updates on time or
late, and reason requests answered or not.

One pass over the records; per ticket only its current stay is kept, and a
ticket's state is dropped once the log shows it resolved."""

from __future__ import annotations

from array import array
from collections import Counter
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from dataclasses import field
from datetime import datetime
from datetime import timedelta
from datetime import tzinfo
from typing import Any

from escalada.policy.model import Policy
from escalada.report.inputs import AuditEntry
from escalada.report.measures.spread import Spread
from escalada.report.measures.spread import durations
from escalada.report.measures.spread import spread

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
THRESHOLD = "threshold"
TRIGGER = "trigger"
DONE = ("resolved", "closed")
NO_VALUE = "-"


@dataclass(frozen=True, slots=True)
class Bucket:
    start: str  # ISO date of the day, or of the week's Monday
    threshold: int
    trigger: int


@dataclass(frozen=True, slots=True)
class Volume:
    total: int
    tickets: int  # distinct tickets escalated
    by_kind: dict[str, int]
    by_trigger: dict[str, int]
    by: dict[str, dict[str, int]]  # dimension (desk, path, level, team, priority) -> value -> n
    per_day: tuple[Bucket, ...]
    per_week: tuple[Bucket, ...]
    heat: tuple[tuple[int, ...], ...]  # 7 weekdays (Monday first) x 24 hours, local time
    zone: str


@dataclass(frozen=True, slots=True)
class ReachedTop:
    path: str
    top: int  # the path's highest level (the policy's, else the highest seen)
    escalated: int
    reached: int


@dataclass(frozen=True, slots=True)
class Updates:
    on_time: int
    late: int
    unjudged: int  # no update interval known for the priority (no policy, or none set)
    grace: float  # seconds allowed past the interval (a cycle's lag)
    by_priority: dict[str, tuple[int, int]]  # priority -> (on time, late)


@dataclass(frozen=True, slots=True)
class Asks:
    asked: int
    answered: int  # an escalation of the same ticket followed the request
    unanswered: int


@dataclass(frozen=True, slots=True)
class AuditFigures:
    records: int
    first: datetime | None
    last: datetime | None
    volume: Volume
    level_time: dict[str, Spread]  # "path L<n>" -> time spent there before moving on
    to_resolution: dict[str, Spread]  # priority -> first escalation to resolution
    reached_top: tuple[ReachedTop, ...]
    updates: Updates
    asks: Asks

    def as_json(self) -> dict[str, Any]:
        from escalada.report.render.data import plain

        found: dict[str, Any] = plain(self)
        return found


@dataclass(slots=True)
class _Track:
    """One ticket's state while its records stream by."""

    path: str | None = None
    level: int = 0
    since: datetime | None = None  # when the current stay began (an escalation)
    first: datetime | None = None  # its first escalation
    last: datetime | None = None  # the instant of the last escalation counted
    updated: datetime | None = None  # the last stakeholder update (or escalation)
    priority: str | None = None
    asked: datetime | None = None  # an open reason request


@dataclass
class _Tally:
    zone: tzinfo
    policy: Policy | None
    grace: timedelta
    records: int = 0
    first: datetime | None = None
    last: datetime | None = None
    tracks: dict[tuple[str, str], _Track] = field(default_factory=dict)
    escalated: set[tuple[str, str]] = field(default_factory=set)
    firsts: dict[tuple[str, str], datetime] = field(default_factory=dict)
    kinds: Counter[str] = field(default_factory=Counter)
    triggers: Counter[str] = field(default_factory=Counter)
    by: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    days: dict[str, list[int]] = field(default_factory=dict)
    weeks: dict[str, list[int]] = field(default_factory=dict)
    heat: list[list[int]] = field(default_factory=lambda: [[0] * 24 for _ in WEEKDAYS])
    stays: dict[str, array[float]] = field(default_factory=lambda: defaultdict(durations))
    resolutions: dict[str, array[float]] = field(default_factory=lambda: defaultdict(durations))
    top_seen: Counter[str] = field(default_factory=Counter)
    # path -> ticket -> the highest level it reached there
    path_tickets: dict[str, dict[tuple[str, str], int]] = field(
        default_factory=lambda: defaultdict(dict)
    )
    updates: Counter[str] = field(default_factory=Counter)
    update_priority: dict[str, list[int]] = field(default_factory=dict)
    asks: Counter[str] = field(default_factory=Counter)

    def add(self, entry: AuditEntry) -> None:
        self.records += 1
        if self.first is None or entry.time < self.first:
            self.first = entry.time
        if self.last is None or entry.time > self.last:
            self.last = entry.time
        if not entry.done:
            return
        key = (entry.desk, entry.ticket)
        track = self.tracks.get(key)
        if track is None:
            track = self.tracks[key] = _Track()
        if entry.priority:
            track.priority = entry.priority
        if entry.escalation:
            if track.last != entry.time:
                self._escalation(key, track, entry)
        elif entry.action == "update" and entry.channel is None:
            self._update(track, entry)
        elif entry.action == "ask_reason" and track.asked is None:
            track.asked = entry.time
            self.asks["asked"] += 1
        elif entry.action == "clear" or (entry.status in DONE and entry.action == "mark"):
            self._end(key, track, entry.time, resolved=entry.status in DONE)

    def _escalation(self, key: tuple[str, str], track: _Track, entry: AuditEntry) -> None:
        track.last = entry.time
        kind = TRIGGER if entry.trigger else THRESHOLD
        self.kinds[kind] += 1
        if entry.trigger:
            self.triggers[entry.trigger] += 1
        path = entry.path or NO_VALUE
        level = f"{path} L{entry.level_to}"
        for dimension, value in (
            ("desk", entry.desk),
            ("path", path),
            ("level", level),
            ("team", entry.team or NO_VALUE),
            ("priority", entry.priority or NO_VALUE),
        ):
            self.by[dimension][value] += 1
        local = entry.time.astimezone(self.zone)
        day = local.date()
        week = day - timedelta(days=day.weekday())
        column = 1 if entry.trigger else 0
        self.days.setdefault(day.isoformat(), [0, 0])[column] += 1
        self.weeks.setdefault(week.isoformat(), [0, 0])[column] += 1
        self.heat[local.weekday()][local.hour] += 1
        if track.since is not None and track.path is not None:
            self.stays[f"{track.path} L{track.level}"].append(
                (entry.time - track.since).total_seconds()
            )
        track.path, track.level, track.since = entry.path, entry.level_to, entry.time
        track.updated = entry.time
        if track.first is None:
            track.first = entry.time
            self.escalated.add(key)
            self.firsts[key] = entry.time
        if track.asked is not None:
            self.asks["answered"] += 1
            track.asked = None
        highest = self.path_tickets[path]
        if entry.level_to > highest.get(key, -1):
            highest[key] = entry.level_to
        if entry.level_to > self.top_seen[path]:
            self.top_seen[path] = entry.level_to

    def _update(self, track: _Track, entry: AuditEntry) -> None:
        every = self._every(track.priority)
        reference = track.updated
        track.updated = entry.time
        if every is None or reference is None:
            self.updates["unjudged"] += 1
            return
        verdict = "on_time" if entry.time - reference <= every + self.grace else "late"
        self.updates[verdict] += 1
        row = self.update_priority.setdefault(track.priority or NO_VALUE, [0, 0])
        row[0 if verdict == "on_time" else 1] += 1

    def _every(self, priority: str | None) -> timedelta | None:
        found = self.policy.priority(priority) if self.policy else None
        return found.update_every if found else None

    def _end(self, key: tuple[str, str], track: _Track, at: datetime, *, resolved: bool) -> None:
        if track.since is not None and track.path is not None:
            self.stays[f"{track.path} L{track.level}"].append((at - track.since).total_seconds())
        if resolved:
            if track.first is not None:
                seconds = (at - track.first).total_seconds()
                self.resolutions[track.priority or NO_VALUE].append(seconds)
            if track.asked is not None:
                self.asks["unanswered"] += 1
            del self.tracks[key]
            return
        track.path, track.level, track.since = None, 0, None

    def resolve(self, key: tuple[str, str], at: datetime, priority: str | None) -> None:
        """A ticket file says the ticket was resolved at `at`: end its open stay."""
        track = self.tracks.get(key)
        if track is None or track.first is None or at < track.first:
            return
        if priority and not track.priority:
            track.priority = priority
        self._end(key, track, at, resolved=True)

    def figures(self) -> AuditFigures:
        def buckets(table: dict[str, list[int]]) -> tuple[Bucket, ...]:
            return tuple(Bucket(start, *table[start]) for start in sorted(table))

        unanswered = self.asks["unanswered"] + sum(
            1 for t in self.tracks.values() if t.asked is not None
        )
        tops = []
        for path in sorted(self.path_tickets):
            spec = self.policy.paths.get(path) if self.policy else None
            top = len(spec.levels) - 1 if spec is not None else self.top_seen[path]
            highest = self.path_tickets[path]
            reached = sum(1 for level in highest.values() if level >= top)
            tops.append(ReachedTop(path, top, len(highest), reached))
        return AuditFigures(
            records=self.records,
            first=self.first,
            last=self.last,
            volume=Volume(
                total=sum(self.kinds.values()),
                tickets=len(self.escalated),
                by_kind={THRESHOLD: self.kinds[THRESHOLD], TRIGGER: self.kinds[TRIGGER]},
                by_trigger=dict(self.triggers.most_common()),
                by={d: dict(c.most_common()) for d, c in sorted(self.by.items())},
                per_day=buckets(self.days),
                per_week=buckets(self.weeks),
                heat=tuple(tuple(row) for row in self.heat),
                zone=str(self.zone),
            ),
            level_time={name: spread(self.stays[name]) for name in sorted(self.stays)},
            to_resolution={p: spread(self.resolutions[p]) for p in sorted(self.resolutions)},
            reached_top=tuple(tops),
            updates=Updates(
                on_time=self.updates["on_time"],
                late=self.updates["late"],
                unjudged=self.updates["unjudged"],
                grace=self.grace.total_seconds(),
                by_priority={p: (v[0], v[1]) for p, v in sorted(self.update_priority.items())},
            ),
            asks=Asks(self.asks["asked"], self.asks["answered"], unanswered),
        )


class AuditTally:
    """Feed audit entries with `add`; optionally tell it resolutions read from ticket
    files with `resolve`; read the figures once at the end."""

    def __init__(
        self, *, zone: tzinfo, policy: Policy | None = None, grace: timedelta | None = None
    ) -> None:
        self._tally = _Tally(zone=zone, policy=policy, grace=grace or timedelta(minutes=15))

    def add_all(self, entries: Iterable[AuditEntry]) -> AuditTally:
        add = self._tally.add
        for entry in entries:
            add(entry)
        return self

    def resolve(self, desk: str, ticket: str, at: datetime, priority: str | None) -> None:
        self._tally.resolve((desk, ticket), at, priority)

    def first_escalation(self, desk: str, ticket: str) -> datetime | None:
        return self._tally.firsts.get((desk, ticket))

    def figures(self) -> AuditFigures:
        return self._tally.figures()


def tally_audit(
    entries: Iterable[AuditEntry], *, zone: tzinfo, policy: Policy | None = None
) -> AuditFigures:
    """The audit figures of a stream of entries (the pure form, for tests and tools)."""
    return AuditTally(zone=zone, policy=policy).add_all(entries).figures()
