"""Schema-valid documents -> the frozen `Policy`.

Parsing that JSON Schema cannot do (durations, hour ranges, regexes, SLA shares,
dates) happens here; what fails becomes a Finding at the offending node, never an
exception. The first document of a kind and name wins; `check_policy` reports
the duplicates."""

from __future__ import annotations

import re
from collections.abc import Callable
from collections.abc import Sequence
from dataclasses import replace
from datetime import date
from datetime import datetime
from datetime import timedelta
from typing import Any

from escalada.instants import from_iso
from escalada.instants import supported
from escalada.instants import unsupported_text
from escalada.policy.durations import parse_duration
from escalada.policy.fields import CONDITION_OPS
from escalada.policy.hours import parse_hours
from escalada.policy.load.documents import Document
from escalada.policy.load.documents import Finding
from escalada.policy.load.documents import get
from escalada.policy.model import ALWAYS_OPEN
from escalada.policy.model import BUILTIN_24X7
from escalada.policy.model import BUILTIN_CALENDAR
from escalada.policy.model import DEFAULT_LEVEL_ACTIONS
from escalada.policy.model import DEFAULT_PAUSE
from escalada.policy.model import AllOf
from escalada.policy.model import AnyOf
from escalada.policy.model import Calendar
from escalada.policy.model import Channel
from escalada.policy.model import Condition
from escalada.policy.model import ConditionOp
from escalada.policy.model import Desk
from escalada.policy.model import EscalationPath
from escalada.policy.model import FieldCondition
from escalada.policy.model import Level
from escalada.policy.model import NotOf
from escalada.policy.model import Policy
from escalada.policy.model import PolicyTest
from escalada.policy.model import Priority
from escalada.policy.model import PriorityMatrix
from escalada.policy.model import RotationShift
from escalada.policy.model import SecretRef
from escalada.policy.model import ServiceLevel
from escalada.policy.model import SlaShare
from escalada.policy.model import Team
from escalada.policy.model import Trigger
from escalada.policy.model import ValueMapping
from escalada.policy.regex import HINT as REGEX_HINT
from escalada.policy.regex import Regex
from escalada.policy.regex import RegexError
from escalada.policy.regex import compile_regex

_SHARE = re.compile(r"^\s*([0-9]{1,6}(?:\.[0-9]{1,6})?)\s*%\s*(respond|resolve)\s*$")


class _Build:
    """Collects findings while one document at a time is turned into model objects."""

    def __init__(self) -> None:
        self.findings: list[Finding] = []

    def error(
        self,
        code: str,
        doc: Document,
        path: tuple[str | int, ...],
        message: str,
        hint: str | None = None,
    ) -> None:
        self.findings.append(Finding("error", code, doc.where(*path), message, hint))

    def duration(self, doc: Document, path: tuple[str | int, ...]) -> timedelta | None:
        text = get(doc.data, path)
        if text is None:
            return None
        try:
            return parse_duration(str(text))
        except ValueError as error:
            self.error(
                "bad-duration",
                doc,
                path,
                str(error),
                "write a number and a unit, largest first: 30s, 15m, 1h30m, 2d, 1w",
            )
            return None

    def day(self, doc: Document, path: tuple[str | int, ...]) -> date | None:
        value = get(doc.data, path)
        if isinstance(value, date) and not isinstance(value, datetime):
            return value
        try:
            return date.fromisoformat(str(value))
        except ValueError:
            self.error(
                "bad-date",
                doc,
                path,
                f"{value!r} is not a date",
                "write dates as YYYY-MM-DD, e.g. 2026-12-24, or MM-DD for every year: 12-24",
            )
            return None

    def month_day(self, doc: Document, path: tuple[str | int, ...]) -> tuple[int, int] | None:
        """`12-24`: a day closed every year (29 February only in leap years)."""
        value = str(get(doc.data, path))
        try:
            date(2024, int(value[:2]), int(value[3:]))  # a leap year: 02-29 exists
        except ValueError:
            self.error(
                "bad-date",
                doc,
                path,
                f"{value!r} is not a day of the year",
                "write MM-DD for a day closed every year, e.g. 12-24 (or YYYY-MM-DD once)",
            )
            return None
        return int(value[:2]), int(value[3:])

    def instant(self, doc: Document, path: tuple[str | int, ...]) -> datetime | None:
        value = get(doc.data, path)
        moment: datetime | None = value if isinstance(value, datetime) else None
        if moment is None:
            text = str(value).strip()
            try:
                moment = from_iso(text)
            except ValueError:
                self.error(
                    "bad-date",
                    doc,
                    path,
                    f"{value!r} is not a date and time",
                    "write an ISO 8601 instant with its offset, e.g. 2026-11-23T10:00:00Z",
                )
                return None
        if moment.tzinfo is None or moment.utcoffset() is None:
            self.error(
                "bad-date",
                doc,
                path,
                f"{value!s} has no UTC offset",
                "add one so the instant is unambiguous: ...T10:00:00Z or ...T10:00:00+01:00",
            )
            return None
        if not supported(moment):
            self.error("bad-date", doc, path, unsupported_text(moment), None)
            return None
        return moment

    # --- conditions -----------------------------------------------------------

    def condition(self, doc: Document, path: tuple[str | int, ...]) -> Condition:
        data = get(doc.data, path)
        if not isinstance(data, dict):
            return AllOf(())
        if "all" in data:
            return AllOf(
                tuple(self.condition(doc, (*path, "all", i)) for i in range(len(data["all"] or ())))
            )
        if "any" in data:
            return AnyOf(
                tuple(self.condition(doc, (*path, "any", i)) for i in range(len(data["any"] or ())))
            )
        if "not" in data:
            return NotOf(self.condition(doc, (*path, "not")))
        op: ConditionOp = next((op for op in CONDITION_OPS if op in data), "exists")
        value = data.get(op, True)
        pattern = None
        if op == "in":
            value = tuple(value) if isinstance(value, list) else (value,)
        elif op == "matches":
            pattern = self.regex(doc, (*path, "matches"), value)
        return FieldCondition(
            field=str(data.get("field", "")),
            op=op,
            value=value,
            pattern=pattern,
            where=doc.where(*path),
        )

    def regex(self, doc: Document, path: tuple[str | int, ...], text: Any) -> Regex | None:
        try:
            return compile_regex(str(text))
        except RegexError as error:
            self.error(
                "bad-regex",
                doc,
                path,
                f"the pattern {_short(text)} cannot be used: {error}",
                REGEX_HINT,
            )
            return None

    # --- kinds ----------------------------------------------------------------

    def matrix(self, doc: Document) -> PriorityMatrix:
        spec = doc.data["spec"]
        impact = tuple(str(v) for v in spec.get("impact") or ())
        urgency = tuple(str(v) for v in spec.get("urgency") or ())
        cells: dict[tuple[str, str], str] = {}
        for row, values in (spec.get("matrix") or {}).items():
            for column, value in zip(urgency, values or (), strict=False):
                cells[(str(row), column)] = str(value)
        priorities: dict[str, Priority] = {}
        pause = _statuses(spec.get("pause"), DEFAULT_PAUSE)
        for rank, (name, item) in enumerate((spec.get("priorities") or {}).items()):
            at = ("spec", "priorities", name)
            item = item or {}
            priorities[name] = Priority(
                name=name,
                title=str(item.get("title", name)),
                respond_within=self.duration(doc, (*at, "respond_within")),
                resolve_within=self.duration(doc, (*at, "resolve_within")),
                update_every=self.duration(doc, (*at, "update_every")),
                calendar=str(item.get("calendar", BUILTIN_CALENDAR)),
                rank=rank,
                where=doc.where_key(*at),
                pause=_statuses(item.get("pause"), pause),
            )
        levels = tuple(
            self.service_level(doc, i, priorities)
            for i in range(len(spec.get("service_levels") or ()))
        )
        return PriorityMatrix(
            name=_name(doc),
            impact=impact,
            urgency=urgency,
            cells=cells,
            priorities=priorities,
            manage_priority=bool(spec.get("manage_priority", False)),
            service_levels=levels,
            where=doc.start,
            pause=pause,
        )

    def service_level(
        self, doc: Document, index: int, priorities: dict[str, Priority]
    ) -> ServiceLevel:
        """One `service_levels` entry; targets it leaves out are the matrix's."""
        at: tuple[str | int, ...] = ("spec", "service_levels", index)
        data = get(doc.data, at) or {}
        written = data.get("priorities") or {}
        merged = dict(priorities)
        for name, item in written.items():
            base = priorities.get(name)
            if base is None or not isinstance(item, dict):
                continue  # an unknown priority: check_references reports it
            here = (*at, "priorities", name)
            changes: dict[str, Any] = {"where": doc.where_key(*here)}
            for target in ("respond_within", "resolve_within", "update_every"):
                if target in item:
                    changes[target] = self.duration(doc, (*here, target))
            if "calendar" in item:
                changes["calendar"] = str(item["calendar"])
            merged[name] = replace(base, **changes)
        return ServiceLevel(
            name=str(data.get("name", f"service level {index}")),
            match=self.condition(doc, (*at, "match")),
            priorities=merged,
            written=frozenset(str(n) for n in written if n in priorities),
            description=str(data.get("description", "")),
            where=doc.where(*at),
        )

    def calendar(self, doc: Document) -> Calendar:
        spec = doc.data["spec"]
        hours = ALWAYS_OPEN
        if "hours" in spec:
            hours = parse_hours(doc, ("spec", "hours"), self.findings)
        holidays = spec.get("holidays") or {}
        listed = holidays.get("dates") or ()
        dates = (
            self.day(doc, ("spec", "holidays", "dates", i))
            for i, text in enumerate(listed)
            if not _is_month_day(text)
        )
        every_year = (
            self.month_day(doc, ("spec", "holidays", "dates", i))
            for i, text in enumerate(listed)
            if _is_month_day(text)
        )
        country = holidays.get("country")
        subdivision = holidays.get("subdivision")
        return Calendar(
            name=_name(doc),
            timezone=str(spec.get("timezone", "UTC")),
            hours=hours,
            holiday_country=str(country) if country is not None else None,
            holiday_subdivision=str(subdivision) if subdivision is not None else None,
            holiday_dates=frozenset(d for d in dates if d is not None),
            where=doc.start,
            holiday_days=frozenset(d for d in every_year if d is not None),
        )

    def team(self, doc: Document) -> Team:
        spec = doc.data.get("spec") or {}
        rotation = tuple(
            RotationShift(team=str(s.get("team")), calendar=str(s.get("calendar")))
            for s in spec.get("rotation") or ()
        )
        return Team(
            name=_name(doc),
            description=str(spec.get("description", "")),
            rotation=rotation,
            notify=tuple(str(c) for c in spec.get("notify") or ()),
            handover=bool(spec.get("handover", False)),
            where=doc.start,
        )

    def channel(self, doc: Document) -> Channel:
        spec = doc.data["spec"]
        return Channel(
            name=_name(doc), type=spec.get("type"), url=_secret(spec.get("url")), where=doc.start
        )

    def path(self, doc: Document) -> EscalationPath:
        spec = doc.data["spec"]
        levels = tuple(self.level(doc, i) for i in range(len(spec.get("levels") or ())))
        triggers = tuple(self.trigger(doc, i) for i in range(len(spec.get("triggers") or ())))
        match = self.condition(doc, ("spec", "match")) if spec.get("match") else None
        calendar = spec.get("calendar")
        return EscalationPath(
            name=_name(doc),
            match=match,
            precedence=int(spec.get("precedence", 0)),
            levels=levels,
            triggers=triggers,
            calendar=str(calendar) if calendar is not None else None,
            where=doc.start,
            moved_from=tuple(str(name) for name in spec.get("moved_from") or ()),
        )

    def level(self, doc: Document, index: int) -> Level:
        at = ("spec", "levels", index)
        data = get(doc.data, at) or {}
        share = None
        if data.get("at") is not None:
            share = self.share(doc, (*at, "at"))
        actions = data.get("actions")
        return Level(
            index=index,
            team=str(data.get("team", "")),
            after=self.duration(doc, (*at, "after")),
            at=share,
            unless=data.get("unless"),
            actions=tuple(actions) if actions is not None else DEFAULT_LEVEL_ACTIONS,
            message=data.get("message"),
            where=doc.where(*at),
        )

    def share(self, doc: Document, path: tuple[str | int, ...]) -> SlaShare | None:
        text = str(get(doc.data, path))
        found = _SHARE.match(text)
        percent = float(found.group(1)) if found else 0.0
        if not found or percent <= 0:
            self.error(
                "bad-threshold",
                doc,
                path,
                f"at: {text!r} is not a share of an SLA target",
                "write a percentage above 0 and the target: `at: 75% resolve` or `at: 50% respond`",
            )
            return None
        return SlaShare(percent=percent, target=found.group(2))  # type: ignore[arg-type]

    def trigger(self, doc: Document, index: int) -> Trigger:
        at = ("spec", "triggers", index)
        data = get(doc.data, at) or {}
        goto = data.get("goto")
        path = data.get("path")
        return Trigger(
            name=str(data.get("name", f"trigger {index}")),
            condition=self.condition(doc, (*at, "if")),
            goto=goto if isinstance(goto, int) or goto == "next" else None,
            path=str(path) if path is not None else None,
            reason=data.get("reason"),
            reason_from=data.get("reason_from"),
            where=doc.where(*at),
        )

    def desk(self, doc: Document) -> Desk:
        spec = doc.data["spec"]
        return Desk(
            name=_name(doc),
            type=spec.get("type"),
            url=spec.get("url"),
            auth={str(k): _secret(v) for k, v in (spec.get("auth") or {}).items()},
            scope=spec.get("scope"),
            priorities=_strings(spec.get("priorities")),
            impact=_value_mapping(spec.get("impact")),
            urgency=_value_mapping(spec.get("urgency")),
            teams=_strings(spec.get("teams")),
            fields=_strings(spec.get("fields")),
            options=dict(spec.get("options") or {}),
            rate_limit=_rate_text(spec.get("rate_limit")),
            where=doc.start,
        )

    def test(self, doc: Document) -> PolicyTest | None:
        spec = doc.data["spec"]
        moment = self.instant(doc, ("spec", "at"))
        if moment is None:
            return None
        return PolicyTest(
            name=_name(doc),
            at=moment,
            ticket=dict(spec.get("ticket") or {}),
            expect=dict(spec.get("expect") or {}),
            where=doc.start,
        )


def build_policy(documents: Sequence[Document]) -> tuple[Policy, list[Finding]]:
    """Turn schema-valid documents into the frozen Policy, plus the findings of parsing."""
    build = _Build()
    matrix: PriorityMatrix | None = None
    calendars: dict[str, Calendar] = {BUILTIN_CALENDAR: BUILTIN_24X7}
    teams: dict[str, Team] = {}
    channels: dict[str, Channel] = {}
    paths: dict[str, EscalationPath] = {}
    desks: dict[str, Desk] = {}
    tests: dict[str, PolicyTest] = {}
    makers: dict[str, tuple[dict[str, Any], Callable[[Document], Any]]] = {
        "Calendar": (calendars, build.calendar),
        "Team": (teams, build.team),
        "Channel": (channels, build.channel),
        "EscalationPath": (paths, build.path),
        "Desk": (desks, build.desk),
        "PolicyTest": (tests, build.test),
    }
    for doc in documents:
        if doc.kind == "PriorityMatrix":
            if matrix is None:
                matrix = build.matrix(doc)
            continue
        if doc.kind not in makers or doc.name is None:
            continue
        into, make = makers[doc.kind]
        if doc.name in into:
            continue
        built = make(doc)
        if built is not None:
            into[doc.name] = built
    policy = Policy(
        matrix=matrix,
        calendars=calendars,
        teams=teams,
        channels=channels,
        paths=paths,
        desks=desks,
        tests=tests,
    )
    return policy, build.findings


# --- small helpers ----------------------------------------------------------


def _statuses(value: Any, default: frozenset[str]) -> frozenset[str]:
    return default if value is None else frozenset(str(v) for v in value)


def _is_month_day(value: Any) -> bool:
    """`12-24` (every year) rather than `2026-12-24` (once)."""
    return isinstance(value, str) and len(value) == 5 and value[2:3] == "-"


def _name(doc: Document) -> str:
    return doc.name or ""


def _secret(value: Any) -> SecretRef:
    if isinstance(value, dict) and "file" in value:
        return SecretRef("file", str(value["file"]))
    if isinstance(value, dict) and "env" in value:
        return SecretRef("env", str(value["env"]))
    return SecretRef("env", "")  # a literal secret: the schema pass reports `literal-secret`


def _rate_text(value: Any) -> str | None:
    """spec.rate_limit as written (the desks check reads it; a number alone is
    kept as text, so the check names it as written)."""
    return None if value is None else str(value)


def _strings(value: Any) -> dict[str, str]:
    return {str(k): str(v) for k, v in (value or {}).items()}


def _value_mapping(value: Any) -> ValueMapping | None:
    if not isinstance(value, dict):
        return None
    field = value.get("field")
    return ValueMapping(
        field=str(field) if field is not None else None, values=_strings(value.get("values"))
    )


def _short(text: Any, limit: int = 60) -> str:
    """A pattern as a finding quotes it: long ones cut (a finding is one line)."""
    shown = repr(str(text))
    return shown if len(shown) <= limit else shown[: limit - 4] + "...'"
