"""The report laid out for people: a summary, then sections of figures, each a
chart (optional) with the table that carries the same numbers. The text, markdown
and html renderers draw these; the json renderer writes the measures instead."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from escalada.policy.durations import format_duration
from escalada.report.build import Report
from escalada.report.measures.escalations import WEEKDAYS
from escalada.report.measures.escalations import Bucket
from escalada.report.measures.spread import Spread
from escalada.report.measures.tickets import SlaRow

Value = float | None


@dataclass(frozen=True, slots=True)
class Chart:
    kind: str  # stacked | bar | hbar | dot (a weekday x hour punch card)
    labels: tuple[str, ...]
    series: tuple[tuple[str, tuple[Value, ...]], ...]
    unit: str = ""


@dataclass(frozen=True, slots=True)
class Table:
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


@dataclass(frozen=True, slots=True)
class Figure:
    id: str
    title: str
    table: Table
    chart: Chart | None = None


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    figures: tuple[Figure, ...]


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return format_duration(timedelta(seconds=round(seconds / 60) * 60))


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


def summary(report: Report) -> list[str]:
    """A few lines a lead reads first (the demo prints these)."""
    lines = []
    audit, tickets = report.audit, report.tickets
    if audit is not None:
        v = audit.volume
        top = next(iter(v.by_trigger.items()), None)
        lines.append(
            f"{v.total} escalations of {v.tickets} tickets: {v.by_kind['threshold']} by time "
            f"threshold, {v.by_kind['trigger']} by trigger"
            + (f" (most: {top[0]}, {top[1]})" if top else "")
        )
        reached = sum(r.reached for r in audit.reached_top)
        escalated = sum(r.escalated for r in audit.reached_top)
        lines.append(
            f"{reached} of {escalated} escalated tickets reached the top level of their path"
        )
        all_resolved = [s for s in audit.to_resolution.values() if s.count]
        if all_resolved:
            count = sum(s.count for s in all_resolved)
            lines.append(
                f"{count} escalated tickets resolved; median escalation to resolution "
                f"by priority: "
                + ", ".join(f"{p} {duration(s.median)}" for p, s in audit.to_resolution.items())
            )
        u = audit.updates
        judged = u.on_time + u.late
        lines.append(
            f"stakeholder updates: {u.on_time} on time, {u.late} late"
            + (f" ({percent(u.on_time, judged)} on time)" if judged else "")
            + (f", {u.unjudged} without a known interval" if u.unjudged else "")
        )
        a = audit.asks
        lines.append(f"reason requests: {a.asked} asked, {a.answered} answered, {a.unanswered} not")
    if tickets is not None:
        breaches = sum(r.breaches for r in tickets.sla_by_priority)
        warned = sum(r.warned for r in tickets.sla_by_priority)
        lines.append(
            f"{tickets.tickets} tickets, {tickets.escalated} escalated "
            f"({percent(tickets.escalated, tickets.tickets)}); {breaches} SLA targets breached"
            + (f", {warned} of them after an escalation warned first" if breaches else "")
        )
        if tickets.recurring:
            r = tickets.recurring[0]
            lines.append(
                f"most recurring: {r.dimension} {r.value}, {r.escalated} of {r.tickets} "
                f"tickets escalated ({percent(r.escalated, r.tickets)})"
            )
    return lines


def sections(report: Report) -> list[Section]:
    found = []
    if report.audit is not None:
        found += _audit_sections(report)
    if report.tickets is not None:
        found += _ticket_sections(report)
    return found


def _audit_sections(report: Report) -> list[Section]:
    audit = report.audit
    assert audit is not None
    v = audit.volume
    days = v.per_day
    weeks = v.per_week
    volume = [
        _volume_figure("per-day", "Escalations per day", "day", days),
        _volume_figure("per-week", "Escalations per week (from Monday)", "week of", weeks),
        Figure(
            "triggers",
            "What caused them",
            Table(
                ("cause", "escalations", "share"),
                tuple(
                    (name, str(n), percent(n, v.total))
                    for name, n in [
                        ("time threshold", v.by_kind["threshold"]),
                        *((f"trigger {t}", n) for t, n in v.by_trigger.items()),
                    ]
                ),
            ),
            Chart(
                "hbar",
                ("time threshold", *(f"trigger {t}" for t in v.by_trigger)),
                (
                    (
                        "escalations",
                        (float(v.by_kind["threshold"]), *(float(n) for n in v.by_trigger.values())),
                    ),
                ),
            ),
        ),
        Figure(
            "heat",
            f"When: weekday x hour ({v.zone})",
            Table(
                ("weekday", *(f"{h:02d}" for h in range(24))),
                tuple(
                    (day, *(str(n) if n else "." for n in row))
                    for day, row in zip(WEEKDAYS, v.heat, strict=True)
                ),
            ),
            Chart(
                "dot",
                tuple(f"{h:02d}" for h in range(24)),
                tuple(
                    (day, tuple(float(n) if n else None for n in row))
                    for day, row in zip(WEEKDAYS, v.heat, strict=True)
                ),
            ),
        ),
    ]
    for dimension, counts in v.by.items():
        volume.append(
            Figure(
                f"by-{dimension}",
                f"By {dimension}",
                Table((dimension, "escalations"), tuple((k, str(n)) for k, n in counts.items())),
            )
        )
    levels = [
        Figure(
            "level-time",
            "Time at each level before moving on (wall time)",
            _spread_table("level", audit.level_time),
            Chart(
                "hbar",
                tuple(audit.level_time),
                (
                    ("median hours", tuple(_hours(s.median) for s in audit.level_time.values())),
                    ("p90 hours", tuple(_hours(s.p90) for s in audit.level_time.values())),
                ),
                unit="h",
            ),
        ),
        Figure(
            "to-resolution",
            "First escalation to resolution, per priority",
            _spread_table("priority", audit.to_resolution),
            Chart(
                "bar",
                tuple(audit.to_resolution),
                (
                    ("median hours", tuple(_hours(s.median) for s in audit.to_resolution.values())),
                    ("p90 hours", tuple(_hours(s.p90) for s in audit.to_resolution.values())),
                ),
                unit="h",
            )
            if audit.to_resolution
            else None,
        ),
        Figure(
            "reached-top",
            "Tickets that reached the top of their path (management)",
            Table(
                ("path", "top level", "escalated", "reached top", "share"),
                tuple(
                    (
                        r.path,
                        f"L{r.top}",
                        str(r.escalated),
                        str(r.reached),
                        percent(r.reached, r.escalated),
                    )
                    for r in audit.reached_top
                ),
            ),
            Chart(
                "hbar",
                tuple(r.path for r in audit.reached_top),
                (
                    ("escalated", tuple(float(r.escalated) for r in audit.reached_top)),
                    ("reached top", tuple(float(r.reached) for r in audit.reached_top)),
                ),
            ),
        ),
    ]
    u, a = audit.updates, audit.asks
    follow = [
        Figure(
            "updates",
            f"Stakeholder updates: on time (within the interval + {duration(u.grace)}) or late",
            Table(
                ("priority", "on time", "late", "on time %"),
                tuple(
                    (p, str(ok), str(late), percent(ok, ok + late))
                    for p, (ok, late) in u.by_priority.items()
                )
                + (("all", str(u.on_time), str(u.late), percent(u.on_time, u.on_time + u.late)),),
            ),
            Chart(
                "stacked",
                tuple(u.by_priority),
                (
                    ("on time", tuple(float(ok) for ok, _ in u.by_priority.values())),
                    ("late", tuple(float(late) for _, late in u.by_priority.values())),
                ),
            )
            if u.by_priority
            else None,
        ),
        Figure(
            "asks",
            "Escalation requests without a reason: asked, then answered or not",
            Table(
                ("asked", "answered", "not answered"),
                ((str(a.asked), str(a.answered), str(a.unanswered)),),
            ),
        ),
    ]
    return [
        Section("Escalation volume", tuple(volume)),
        Section("Levels and resolution", tuple(levels)),
        Section("Follow-up", tuple(follow)),
    ]


def _ticket_sections(report: Report) -> list[Section]:
    tickets = report.tickets
    assert tickets is not None
    figures = []
    for id_, title, rows in (
        ("sla-priority", "SLA attainment per priority", tickets.sla_by_priority),
        (
            "sla-service-level",
            "SLA attainment per customer service level",
            tickets.sla_by_service_level,
        ),
    ):
        if not rows:
            continue
        figures.append(Figure(id_, title, _sla_table(rows), _sla_chart(rows)))
    recurring = Figure(
        "recurring",
        "Recurring escalations: who and what escalates again and again",
        Table(
            ("kind", "value", "tickets", "escalated", "share"),
            tuple(
                (
                    r.dimension,
                    r.value,
                    str(r.tickets),
                    str(r.escalated),
                    percent(r.escalated, r.tickets),
                )
                for r in tickets.recurring
            ),
        ),
        Chart(
            "hbar",
            tuple(f"{r.dimension} {r.value}" for r in tickets.recurring[:12]),
            (
                ("escalated", tuple(float(r.escalated) for r in tickets.recurring[:12])),
                (
                    "not escalated",
                    tuple(float(r.tickets - r.escalated) for r in tickets.recurring[:12]),
                ),
            ),
        )
        if tickets.recurring
        else None,
    )
    return [Section("SLA attainment", tuple(figures)), Section("Recurring", (recurring,))]


def _sla_table(rows: tuple[SlaRow, ...]) -> Table:
    def outcome(counts: dict[str, int]) -> str:
        return f"{counts['met']} met / {counts['breached']} breached / {counts['running']} running"

    return Table(
        ("group", "tickets", "respond", "resolve", "breach rate", "warned first"),
        tuple(
            (
                r.group,
                str(r.tickets),
                outcome(r.respond),
                outcome(r.resolve),
                "-" if r.breach_rate is None else f"{100 * r.breach_rate:.0f}%",
                f"{r.warned} of {r.breaches}",
            )
            for r in rows
        ),
    )


def _sla_chart(rows: tuple[SlaRow, ...]) -> Chart:
    labels = tuple(r.group for r in rows)
    return Chart(
        "stacked",
        labels,
        (
            ("met", tuple(float(r.respond["met"] + r.resolve["met"]) for r in rows)),
            ("breached", tuple(float(r.breaches) for r in rows)),
            ("running", tuple(float(r.respond["running"] + r.resolve["running"]) for r in rows)),
        ),
    )


def _spread_table(name: str, spreads: dict[str, Spread]) -> Table:
    return Table(
        (name, "stays" if name == "level" else "tickets", "median", "p90", "mean"),
        tuple(
            (k, str(s.count), duration(s.median), duration(s.p90), duration(s.mean))
            for k, s in spreads.items()
        ),
    )


def _hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 2)


def _volume_figure(key: str, title: str, column: str, buckets: Sequence[Bucket]) -> Figure:
    """Escalations per time bucket, by threshold and by trigger: a table and its stacked chart."""
    return Figure(
        key,
        title,
        Table(
            (column, "by threshold", "by trigger", "total"),
            tuple(
                (b.start, str(b.threshold), str(b.trigger), str(b.threshold + b.trigger))
                for b in buckets
            ),
        ),
        Chart(
            "stacked",
            tuple(b.start for b in buckets),
            (
                ("by threshold", tuple(float(b.threshold) for b in buckets)),
                ("by trigger", tuple(float(b.trigger) for b in buckets)),
            ),
        ),
    )
