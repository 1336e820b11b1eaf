"""Business calendars as Zendesk schedules: time-zone names, workweek
intervals and holidays (pure translation; zendesk_config writes them)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from zoneinfo import ZoneInfo

from escalada.engine.calendars import closed_days
from escalada.policy.model import Calendar
from escalada.policy.model import Desk

# IANA zone -> Zendesk's (Rails) time-zone name; extend per Desk with options.time_zones.
TIME_ZONES: Mapping[str, str] = {
    "UTC": "UTC",
    "Etc/UTC": "UTC",
    "Europe/London": "London",
    "Europe/Dublin": "Dublin",
    "Europe/Lisbon": "Lisbon",
    "Europe/Amsterdam": "Amsterdam",
    "Europe/Berlin": "Berlin",
    "Europe/Brussels": "Brussels",
    "Europe/Copenhagen": "Copenhagen",
    "Europe/Madrid": "Madrid",
    "Europe/Paris": "Paris",
    "Europe/Rome": "Rome",
    "Europe/Stockholm": "Stockholm",
    "Europe/Vienna": "Vienna",
    "Europe/Zurich": "Zurich",
    "Europe/Prague": "Prague",
    "Europe/Warsaw": "Warsaw",
    "Europe/Budapest": "Budapest",
    "Europe/Helsinki": "Helsinki",
    "Europe/Riga": "Riga",
    "Europe/Tallinn": "Tallinn",
    "Europe/Vilnius": "Vilnius",
    "Europe/Athens": "Athens",
    "Europe/Bucharest": "Bucharest",
    "Europe/Sofia": "Sofia",
    "Europe/Istanbul": "Istanbul",
    "Europe/Moscow": "Moscow",
    "Europe/Kyiv": "Kyiv",
    "America/New_York": "Eastern Time (US & Canada)",
    "America/Chicago": "Central Time (US & Canada)",
    "America/Denver": "Mountain Time (US & Canada)",
    "America/Los_Angeles": "Pacific Time (US & Canada)",
    "America/Phoenix": "Arizona",
    "America/Anchorage": "Alaska",
    "Pacific/Honolulu": "Hawaii",
    "America/Halifax": "Atlantic Time (Canada)",
    "America/Sao_Paulo": "Brasilia",
    "America/Argentina/Buenos_Aires": "Buenos Aires",
    "America/Mexico_City": "Mexico City",
    "America/Bogota": "Bogota",
    "America/Lima": "Lima",
    "America/Santiago": "Santiago",
    "Africa/Johannesburg": "Pretoria",
    "Africa/Cairo": "Cairo",
    "Africa/Nairobi": "Nairobi",
    "Asia/Dubai": "Abu Dhabi",
    "Asia/Kolkata": "Kolkata",
    "Asia/Karachi": "Karachi",
    "Asia/Dhaka": "Dhaka",
    "Asia/Bangkok": "Bangkok",
    "Asia/Jakarta": "Jakarta",
    "Asia/Singapore": "Singapore",
    "Asia/Kuala_Lumpur": "Kuala Lumpur",
    "Asia/Hong_Kong": "Hong Kong",
    "Asia/Shanghai": "Beijing",
    "Asia/Taipei": "Taipei",
    "Asia/Seoul": "Seoul",
    "Asia/Tokyo": "Tokyo",
    "Australia/Perth": "Perth",
    "Australia/Adelaide": "Adelaide",
    "Australia/Brisbane": "Brisbane",
    "Australia/Sydney": "Sydney",
    "Australia/Melbourne": "Melbourne",
    "Pacific/Auckland": "Auckland",
}


def zendesk_time_zone(desk: Desk, calendar: Calendar) -> tuple[str | None, str | None]:
    """(Zendesk time-zone name, None) or (None, a note saying how to map it)."""
    overrides = desk.options.get("time_zones") or {}
    name = overrides.get(calendar.timezone) or TIME_ZONES.get(calendar.timezone)
    if name:
        return str(name), None
    alike = _same_rules(calendar.timezone)
    suggestion = f"; zones with the same offsets all year: {', '.join(alike)}" if alike else ""
    return None, (
        f"calendar {calendar.name!r}: time zone {calendar.timezone} has no Zendesk time-zone "
        f"name in escalada's table{suggestion}. Add it to the Desk: options: {{time_zones: "
        f"{{{calendar.timezone}: <Zendesk name>}}}}; Zendesk uses Rails names such as 'Stockholm'"
    )


def _same_rules(zone: str) -> list[str]:
    try:
        target = ZoneInfo(zone)
    except (KeyError, ValueError):
        return []
    probes = [datetime(2026, month, day, 12) for month in range(1, 13) for day in (1, 15)]
    offsets = [target.utcoffset(p) for p in probes]
    return sorted(
        name
        for iana, name in TIME_ZONES.items()
        if [ZoneInfo(iana).utcoffset(p) for p in probes] == offsets
    )[:4]


def intervals(calendar: Calendar) -> list[dict[str, int]]:
    """Open hours as Zendesk workweek intervals: minutes since Sunday 00:00.

    Calendar ranges already end at midnight at the latest (a night shift is two
    ranges), which is what Zendesk requires of an interval."""
    found: list[dict[str, int]] = []
    for weekday, ranges in enumerate(calendar.hours):  # 0 = Monday
        base = ((weekday + 1) % 7) * 1440
        found.extend({"start_time": base + start, "end_time": base + end} for start, end in ranges)
    return sorted(found, key=lambda i: i["start_time"])


def holidays(calendar: Calendar, now: datetime) -> list[dict[str, str]]:
    """The closed days of this year and the next: the country's public holidays
    (the `holidays` package) and the calendar's extra dates."""
    days = closed_days(calendar, (now.year, now.year + 1))
    return [
        {"name": name[:100], "start_date": day.isoformat(), "end_date": day.isoformat()}
        for day, name in sorted(days.items())
    ]
