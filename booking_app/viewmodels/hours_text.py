"""Opening hours, date overrides and reminder offsets as a manager types them on the settings page:
"09:00-12:30, 13:30-17:00" for a day (empty: closed), one "2026-12-24 closed" or
"2026-12-31 09:00-13:00" line per exception, and "1440, 60" minutes before for reminders.
Parsing checks the shape only; the calendar service checks the times themselves."""
from __future__ import annotations

import re
from datetime import date

from booking_app.domain.availability import DAYS
from booking_app.errors import invalid

DAY_NAMES = dict(zip(DAYS, ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
                     strict=True))
CLOSED_WORDS = {"", "closed", "-", "none"}
_WINDOW = re.compile(r"^(\d{1,2}:\d{2})\s*(?:-|–|—|to)\s*(\d{1,2}:\d{2})$")


def _clock(text: str) -> str:
    hours, minutes = text.split(":")
    return f"{int(hours):02d}:{minutes}"


def format_windows(windows) -> str:
    return ", ".join(f"{start}-{end}" for start, end in windows or ())


def parse_windows(text: str, *, field: str, label: str) -> list[list[str]]:
    if text.strip().lower() in CLOSED_WORDS:
        return []
    windows = []
    for part in text.split(","):
        match = _WINDOW.match(part.strip())
        if not match:
            raise invalid(field, f"{label}: write times like 09:00-12:30, 13:30-17:00 (or leave it empty "
                                 f"when closed); could not read {part.strip()!r}.")
        windows.append([_clock(match.group(1)), _clock(match.group(2))])
    return windows


def parse_week(texts: dict[str, str]) -> dict[str, list[list[str]]]:
    """{"mon": "09:00-17:00", ...} as weekly_hours; closed days are left out."""
    week = {}
    for day, name in DAY_NAMES.items():
        windows = parse_windows(texts.get(day, ""), field=f"hours_{day}", label=name)
        if windows:
            week[day] = windows
    return week


def format_overrides(overrides: dict) -> str:
    return "\n".join(f"{day} {format_windows(windows) or 'closed'}"
                     for day, windows in sorted((overrides or {}).items()))


def parse_overrides(text: str, *, field: str = "date_overrides") -> dict[str, list[list[str]]]:
    overrides = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        day, _, rest = line.strip().partition(" ")
        try:
            date.fromisoformat(day)
        except ValueError:
            raise invalid(field, f"Date exceptions, line {number}: start with a date like 2026-12-24, "
                                 f"then 'closed' or the hours; could not read {day!r}.") from None
        overrides[day] = parse_windows(rest, field=field, label=f"Date exceptions, line {number}")
    return overrides


def format_minutes(values) -> str:
    return ", ".join(str(v) for v in values or ())


def parse_minutes(text: str, *, field: str, label: str) -> list[int]:
    parts = [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]
    if not all(p.isdigit() for p in parts):
        raise invalid(field, f"{label}: give whole minutes before the appointment, like 1440, 60.")
    return sorted({int(p) for p in parts}, reverse=True)
