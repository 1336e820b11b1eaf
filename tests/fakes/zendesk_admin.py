"""The admin half of the Zendesk fake: ticket fields with drop-down options,
SLA policies, business-hours schedules with workweek intervals and holidays.

Bodies are validated the way Zendesk documents them: wrapper keys
(`ticket_field`, `sla_policy`, `schedule`, `workweek`, `holiday`), known
attributes only (400 otherwise), values checked (422 RecordInvalid): SLA
metrics and priorities from the documented lists, targets in whole minutes,
schedule time zones as Zendesk's Rails-style names (an IANA name is refused),
intervals in minutes since Sunday 00:00 that stay within one day."""

from __future__ import annotations

import re
from datetime import date
from typing import TYPE_CHECKING
from typing import Any

import requests

from tests.fakes.base import FakeServer
from tests.fakes.base import Reply
from tests.fakes.base import body
from tests.fakes.base import reply

SLA_METRICS = frozenset(
    {
        "first_reply_time",
        "next_reply_time",
        "periodic_update_time",
        "pausable_update_time",
        "requester_wait_time",
        "agent_work_time",
        "total_resolution_time",
    }
)
SLA_FILTER_FIELDS = frozenset(
    {
        "type",
        "current_tags",
        "priority",
        "group_id",
        "brand_id",
        "ticket_form_id",
        "via_id",
        "organization_id",
        "requester_id",
        "assignee_id",
        "status",
    }
)
# Operators per field, from the Conditions reference (the SLA filter "is identical
# to the conditions property"): organization_id is / is_not with an id (a recorded
# SLA policy in airbytehq/airbyte source-zendesk-support expected_records.jsonl has
# {"field": "organization_id", "operator": "is", "value": 360033549136}),
# current_tags includes / not_includes.
SLA_FILTER_OPERATORS = {
    "organization_id": frozenset({"is", "is_not"}),
    "current_tags": frozenset({"includes", "not_includes"}),
}
SLA_ATTRIBUTES = frozenset({"title", "description", "filter", "policy_metrics", "position"})
FIELD_ATTRIBUTES = frozenset(
    {"title", "description", "active", "required", "position", "custom_field_options", "tag"}
)
# A sample of Zendesk's time-zone names (Rails ActiveSupport names), written out
# independently of the connector's table so a wrong mapping fails a test.
RAILS_ZONES = frozenset(
    {
        "UTC",
        "London",
        "Dublin",
        "Lisbon",
        "Amsterdam",
        "Berlin",
        "Brussels",
        "Copenhagen",
        "Madrid",
        "Paris",
        "Rome",
        "Stockholm",
        "Vienna",
        "Zurich",
        "Prague",
        "Warsaw",
        "Helsinki",
        "Athens",
        "Eastern Time (US & Canada)",
        "Central Time (US & Canada)",
        "Mountain Time (US & Canada)",
        "Pacific Time (US & Canada)",
        "Arizona",
        "Alaska",
        "Hawaii",
        "Brasilia",
        "Tokyo",
        "Singapore",
        "Sydney",
        "Kolkata",
        "Beijing",
        "Auckland",
    }
)
DEFAULT_WORKWEEK = [  # Mon-Fri 09:00-17:00, what a new schedule starts with
    {"start_time": day * 1440 + 540, "end_time": day * 1440 + 1020} for day in range(1, 6)
]


def _invalid(status: int, field: str, text: str) -> Reply:
    return reply(
        status,
        {
            "error": "RecordInvalid",
            "description": "Record validation errors",
            "details": {field: [{"description": text, "error": "InvalidValue"}]},
        },
    )


class AdminRoutes(FakeServer):
    """Mixed into ZendeskFake: state and routes for configuration objects."""

    if TYPE_CHECKING:  # ZendeskFake's

        def new_id(self) -> int: ...
        def tick(self) -> str: ...

    ticket_fields: dict[int, dict[str, Any]]
    sla_policies: dict[int, dict[str, Any]]
    schedules: dict[int, dict[str, Any]]
    holidays: dict[int, dict[int, dict[str, Any]]]

    def admin_routes(self) -> None:
        self.ticket_fields, self.sla_policies, self.schedules, self.holidays = {}, {}, {}, {}
        s = r"/api/v2/business_hours/schedules"
        for method, pattern, handler, name in (
            ("GET", r"/api/v2/ticket_fields/(\d+)\.json", self._field, "field"),
            ("PUT", r"/api/v2/ticket_fields/(\d+)\.json", self._field_update, "field_update"),
            ("GET", r"/api/v2/slas/policies\.json", self._slas, "slas"),
            ("POST", r"/api/v2/slas/policies\.json", self._sla_create, "sla_create"),
            ("PUT", r"/api/v2/slas/policies/(\d+)\.json", self._sla_update, "sla_update"),
            ("DELETE", r"/api/v2/slas/policies/(\d+)\.json", self._sla_delete, "sla_delete"),
            ("GET", rf"{s}\.json", self._schedules, "schedules"),
            ("POST", rf"{s}\.json", self._schedule_create, "schedule_create"),
            ("PUT", rf"{s}/(\d+)\.json", self._schedule_update, "schedule_update"),
            ("DELETE", rf"{s}/(\d+)\.json", self._schedule_delete, "schedule_delete"),
            ("PUT", rf"{s}/(\d+)/workweek\.json", self._workweek, "workweek"),
            ("GET", rf"{s}/(\d+)/holidays\.json", self._holidays, "holidays"),
            ("POST", rf"{s}/(\d+)/holidays\.json", self._holiday_create, "holiday_create"),
            ("DELETE", rf"{s}/(\d+)/holidays/(\d+)\.json", self._holiday_delete, "holiday_delete"),
        ):
            self.route(method, pattern, handler, name=name)

    # --- seeding -----------------------------------------------------------------

    def add_field(self, title: str, options: dict[str, str], *, field_id: int | None = None) -> int:
        """A drop-down ticket field with options {value: name}."""
        field_id = field_id or self.new_id()
        self.ticket_fields[field_id] = {
            "id": field_id,
            "type": "tagger",
            "title": title,
            "active": True,
            "custom_field_options": [
                {"id": self.new_id(), "name": name, "value": value, "default": False}
                for value, name in options.items()
            ],
        }
        return field_id

    def add_schedule(self, name: str, time_zone: str = "London") -> int:
        schedule_id = self.new_id()
        self.schedules[schedule_id] = {
            "id": schedule_id,
            "name": name,
            "time_zone": time_zone,
            "intervals": list(DEFAULT_WORKWEEK),
        }
        self.holidays[schedule_id] = {}
        return schedule_id

    # --- ticket fields -----------------------------------------------------------

    def _field(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        found = self.ticket_fields.get(int(m[1]))
        return reply(200, {"ticket_field": found}) if found else reply(404, self.error_body(404))

    def _field_update(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        field = self.ticket_fields.get(int(m[1]))
        if field is None:
            return reply(404, self.error_body(404))
        data = body(request)
        if (
            not isinstance(data, dict)
            or set(data) != {"ticket_field"}
            or not isinstance(data["ticket_field"], dict)
        ):
            return _invalid(400, "base", 'the body must be {"ticket_field": {...}}')
        update = data["ticket_field"]
        if set(update) - FIELD_ATTRIBUTES:
            return _invalid(
                400, "base", f"unknown attribute(s) {sorted(set(update) - FIELD_ATTRIBUTES)}"
            )
        options = update.get("custom_field_options")
        if options is not None:
            if not isinstance(options, list) or not all(isinstance(o, dict) for o in options):
                return _invalid(400, "custom_field_options", "a list of option objects")
            known = {o["id"] for o in field["custom_field_options"]}
            values = [o.get("value") for o in options]
            for option in options:
                if set(option) - {"id", "name", "value", "default"}:
                    return _invalid(400, "custom_field_options", "unknown option attribute")
                if "id" in option and option["id"] not in known:
                    return _invalid(422, "custom_field_options", f"no option {option['id']}")
                value = option.get("value")
                if (
                    not option.get("name")
                    or not isinstance(value, str)
                    or not re.fullmatch(r"[a-z0-9_\-:]+", value)
                ):
                    return _invalid(422, "custom_field_options", f"invalid option {option}")
            if len(set(values)) != len(values):
                return _invalid(422, "custom_field_options", "option values must be unique")
            field["custom_field_options"] = [
                {"default": False, **o, "id": o.get("id") or self.new_id()} for o in options
            ]
        field.update({k: v for k, v in update.items() if k != "custom_field_options"})
        return reply(200, {"ticket_field": field})

    # --- SLA policies --------------------------------------------------------------

    def _slas(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        policies = sorted(self.sla_policies.values(), key=lambda p: p["position"])
        return reply(
            200,
            {
                "sla_policies": policies,
                "next_page": None,
                "previous_page": None,
                "count": len(policies),
            },
        )

    def _check_sla(self, sla: Any, *, creating: bool) -> Reply | None:
        if not isinstance(sla, dict) or set(sla) - SLA_ATTRIBUTES:
            return _invalid(400, "base", "unknown SLA policy attribute(s)")
        if creating and not (isinstance(sla.get("title"), str) and sla["title"].strip()):
            return _invalid(422, "title", "Title: cannot be blank")
        if creating and "filter" not in sla:
            return _invalid(422, "filter", "Filter: is required")
        if "filter" in sla:
            filter_ = sla["filter"]
            if not isinstance(filter_, dict) or set(filter_) - {"all", "any"}:
                return _invalid(422, "filter", "Filter: {all: [...], any: [...]}")
            for cond in [*(filter_.get("all") or []), *(filter_.get("any") or [])]:
                if (
                    set(cond) != {"field", "operator", "value"}
                    or cond["field"] not in SLA_FILTER_FIELDS
                ):
                    return _invalid(422, "filter", f"Filter: invalid condition {cond}")
                operators = SLA_FILTER_OPERATORS.get(cond["field"])
                if operators is not None and cond["operator"] not in operators:
                    return _invalid(422, "filter", f"Filter: invalid operator in {cond}")
                if cond["field"] == "organization_id" and not isinstance(cond["value"], int):
                    return _invalid(422, "filter", f"Filter: organization_id is an id: {cond}")
        seen = set()
        for metric in sla.get("policy_metrics") or []:
            if set(metric) != {"priority", "metric", "target", "business_hours"}:
                return _invalid(400, "policy_metrics", f"metric attributes: {sorted(metric)}")
            if metric["metric"] not in SLA_METRICS or metric["priority"] not in (
                "urgent",
                "high",
                "normal",
                "low",
            ):
                return _invalid(422, "policy_metrics", f"invalid metric {metric}")
            if not isinstance(metric["target"], int) or metric["target"] < 1:
                return _invalid(422, "policy_metrics", "target: whole minutes, at least 1")
            if not isinstance(metric["business_hours"], bool):
                return _invalid(422, "policy_metrics", "business_hours must be a boolean")
            key = (metric["priority"], metric["metric"])
            if key in seen:
                return _invalid(422, "policy_metrics", f"duplicate target {key}")
            seen.add(key)
        return None

    def _sla_create(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        data = body(request)
        if not isinstance(data, dict) or set(data) != {"sla_policy"}:
            return _invalid(400, "base", 'the body must be {"sla_policy": {...}}')
        problem = self._check_sla(data["sla_policy"], creating=True)
        if problem:
            return problem
        policy_id = self.new_id()
        at = self.tick()
        sla = {"description": "", "policy_metrics": [], **data["sla_policy"]}
        sla["filter"] = {
            "all": sla["filter"].get("all") or [],
            "any": sla["filter"].get("any") or [],
        }
        sla.update(id=policy_id, position=len(self.sla_policies) + 1, created_at=at, updated_at=at)
        self.sla_policies[policy_id] = sla
        return reply(201, {"sla_policy": sla})

    def _sla_update(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        sla = self.sla_policies.get(int(m[1]))
        if sla is None:
            return reply(404, self.error_body(404))
        data = body(request)
        if not isinstance(data, dict) or set(data) != {"sla_policy"}:
            return _invalid(400, "base", 'the body must be {"sla_policy": {...}}')
        problem = self._check_sla(data["sla_policy"], creating=False)
        if problem:
            return problem
        sla.update(data["sla_policy"], updated_at=self.tick())
        return reply(200, {"sla_policy": sla})

    def _sla_delete(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        if self.sla_policies.pop(int(m[1]), None) is None:
            return reply(404, self.error_body(404))
        return 204, {}, ""

    # --- schedules -------------------------------------------------------------------

    def _schedules(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        return reply(200, {"schedules": list(self.schedules.values())})

    def _check_schedule(self, data: Any, *, creating: bool) -> Reply | None:
        if not isinstance(data, dict) or set(data) != {"schedule"}:
            return _invalid(400, "base", 'the body must be {"schedule": {...}}')
        schedule = data["schedule"]
        if not isinstance(schedule, dict) or set(schedule) - {"name", "time_zone"}:
            return _invalid(400, "base", "a schedule has name and time_zone (intervals: workweek)")
        if creating and not (schedule.get("name") and schedule.get("time_zone")):
            return _invalid(422, "base", "Name and time zone are required")
        if "time_zone" in schedule and schedule["time_zone"] not in RAILS_ZONES:
            return _invalid(422, "time_zone", f"Time zone {schedule['time_zone']!r} is invalid")
        return None

    def _schedule_create(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        data = body(request)
        problem = self._check_schedule(data, creating=True)
        if problem:
            return problem
        schedule_id = self.add_schedule(data["schedule"]["name"], data["schedule"]["time_zone"])
        return reply(201, {"schedule": self.schedules[schedule_id]})

    def _schedule_update(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        schedule = self.schedules.get(int(m[1]))
        if schedule is None:
            return reply(404, self.error_body(404))
        data = body(request)
        problem = self._check_schedule(data, creating=False)
        if problem:
            return problem
        schedule.update(data["schedule"])
        return reply(200, {"schedule": schedule})

    def _schedule_delete(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        if self.schedules.pop(int(m[1]), None) is None:
            return reply(404, self.error_body(404))
        self.holidays.pop(int(m[1]), None)
        return 204, {}, ""

    def _workweek(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        schedule = self.schedules.get(int(m[1]))
        if schedule is None:
            return reply(404, self.error_body(404))
        data = body(request)
        if (
            not isinstance(data, dict)
            or set(data) != {"workweek"}
            or not isinstance(data["workweek"], dict)
            or set(data["workweek"]) != {"intervals"}
            or not isinstance(data["workweek"]["intervals"], list)
        ):
            return _invalid(400, "base", 'the body must be {"workweek": {"intervals": [...]}}')
        intervals = data["workweek"]["intervals"]
        last_end = -1
        for interval in intervals:
            if not isinstance(interval, dict) or set(interval) != {"start_time", "end_time"}:
                return _invalid(400, "intervals", "an interval has start_time and end_time")
            start, end = interval["start_time"], interval["end_time"]
            if not (isinstance(start, int) and isinstance(end, int) and 0 <= start < end <= 10080):
                return _invalid(422, "intervals", f"invalid interval {interval}")
            if start // 1440 != (end - 1) // 1440:
                return _invalid(422, "intervals", f"{interval} spans more than one day")
            if start < last_end:
                return _invalid(422, "intervals", "intervals overlap or are out of order")
            last_end = end
        schedule["intervals"] = intervals
        return reply(200, {"workweek": {"intervals": intervals}})

    def _holidays(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        if int(m[1]) not in self.schedules:
            return reply(404, self.error_body(404))
        return reply(200, {"holidays": list(self.holidays[int(m[1])].values())})

    def _holiday_create(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        if int(m[1]) not in self.schedules:
            return reply(404, self.error_body(404))
        data = body(request)
        if not isinstance(data, dict) or set(data) != {"holiday"}:
            return _invalid(400, "base", 'the body must be {"holiday": {...}}')
        holiday = data["holiday"]
        if (
            not isinstance(holiday, dict)
            or set(holiday) != {"name", "start_date", "end_date"}
            or not holiday["name"]
        ):
            return _invalid(400, "base", "a holiday has name, start_date and end_date")
        try:
            start = date.fromisoformat(holiday["start_date"])
            end = date.fromisoformat(holiday["end_date"])
        except (TypeError, ValueError):
            return _invalid(422, "start_date", "dates are YYYY-MM-DD")
        if end < start:
            return _invalid(422, "end_date", "end_date is before start_date")
        holiday_id = self.new_id()
        made = {"id": holiday_id, **holiday}
        self.holidays[int(m[1])][holiday_id] = made
        return reply(201, {"holiday": made})

    def _holiday_delete(self, request: requests.PreparedRequest, m: re.Match[str]) -> Reply:
        if self.holidays.get(int(m[1]), {}).pop(int(m[2]), None) is None:
            return reply(404, self.error_body(404))
        return 204, {}, ""
