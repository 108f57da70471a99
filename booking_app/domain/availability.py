"""Free slots from opening hours, pure and fast.

Slots are generated in the calendar's local wall-clock time, then converted to UTC, so a
09:00 slot stays 09:00 local on both sides of a DST switch. Deliberate DST choices:
- a local start that does not exist (spring-forward gap, e.g. 02:30 in New York on
  2026-03-08) is skipped, never shifted to another time;
- a local start that occurs twice (fall-back) is offered once, at its first occurrence;
- a slot lasts its real duration and must end by the window end, resolved at its latest
  occurrence.
"""
from __future__ import annotations

import bisect
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from itertools import pairwise
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
SLOT_NAMESPACE = uuid.UUID("6f1d3c2e-93a4-4d8e-9a55-2f0c0b7e5a11")
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$|^24:00$")


@dataclass(frozen=True)
class AvailabilityRules:
    timezone: str
    weekly_hours: Mapping[str, Sequence[Sequence[str]]]
    date_overrides: Mapping[str, Sequence[Sequence[str]]] = field(default_factory=dict)
    slot_interval_minutes: int = 30
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 60
    max_advance_days: int = 60


@dataclass(frozen=True)
class Slot:
    start: datetime
    end: datetime
    slot_id: uuid.UUID


class InvalidHours(ValueError):
    """Opening hours a person must fix; the message says what is wrong."""


def _minutes(text: str) -> int:
    return 24 * 60 if text == "24:00" else int(text[:2]) * 60 + int(text[3:])


def _normalize_windows(label: str, windows) -> list[list[str]]:
    if not isinstance(windows, (list, tuple)):
        raise InvalidHours(f"{label}: give a list of [start, end] pairs like [['09:00', '17:00']]")
    pairs = []
    for window in windows:
        if not (isinstance(window, (list, tuple)) and len(window) == 2
                and all(isinstance(t, str) and _HHMM.match(t) for t in window)):
            raise InvalidHours(f"{label}: each window is ['HH:MM', 'HH:MM'], got {window!r}")
        start, end = window
        if start == "24:00" or _minutes(end) <= _minutes(start):
            raise InvalidHours(f"{label}: {end} is not after {start}")
        pairs.append([start, end])
    pairs.sort(key=lambda w: _minutes(w[0]))
    for earlier, later in pairwise(pairs):
        if _minutes(later[0]) < _minutes(earlier[1]):
            raise InvalidHours(f"{label}: {earlier[0]}–{earlier[1]} overlaps {later[0]}–{later[1]}")
    return pairs


def normalize_weekly_hours(value) -> dict[str, list[list[str]]]:
    if not isinstance(value, Mapping):
        raise InvalidHours("weekly hours map days (mon..sun) to windows")
    unknown = [k for k in value if k not in DAYS]
    if unknown:
        raise InvalidHours(f"unknown day {unknown[0]!r}; use mon, tue, wed, thu, fri, sat, sun")
    return {day: _normalize_windows(day, value[day]) for day in DAYS if day in value}


def normalize_date_overrides(value) -> dict[str, list[list[str]]]:
    if not isinstance(value, Mapping):
        raise InvalidHours("date overrides map dates (YYYY-MM-DD) to windows")
    result = {}
    for key, windows in value.items():
        try:
            date.fromisoformat(key)
            if len(key) != 10:
                raise ValueError
        except (TypeError, ValueError):
            raise InvalidHours(f"{key!r} is not a date like 2026-12-25") from None
        result[key] = _normalize_windows(key, windows)
    return dict(sorted(result.items()))


def _require_aware(*values: datetime) -> None:
    for value in values:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime: give times with a UTC offset")


def _utc(value: datetime) -> datetime:
    """Arithmetic on times of one zone is wall-clock arithmetic in Python; UTC makes it real time."""
    _require_aware(value)
    return value.astimezone(UTC)


def slot_id_for(calendar_id: uuid.UUID, appointment_type: str, start: datetime, end: datetime) -> uuid.UUID:
    _require_aware(start, end)
    utc = lambda v: v.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")  # noqa: E731
    return uuid.uuid5(SLOT_NAMESPACE, f"{calendar_id}|{appointment_type}|{utc(start)}|{utc(end)}")


def busy_range(start: datetime, end: datetime, rules: AvailabilityRules) -> tuple[datetime, datetime]:
    return (_utc(start) - timedelta(minutes=rules.buffer_before_minutes),
            _utc(end) + timedelta(minutes=rules.buffer_after_minutes))


def lead_time_problem(start: datetime, now: datetime, rules: AvailabilityRules) -> str | None:
    start, now = _utc(start), _utc(now)
    if start < now + timedelta(minutes=rules.min_notice_minutes):
        return "too_soon"
    if start > now + timedelta(days=rules.max_advance_days):
        return "too_far"
    return None


def _exists(local: datetime) -> bool:
    """A wall-clock time exists unless it falls in a spring-forward gap (it would not round-trip)."""
    back = local.astimezone(UTC).astimezone(local.tzinfo)
    return back.replace(tzinfo=None) == local.replace(tzinfo=None)


def _windows_for(day: date, rules: AvailabilityRules) -> Sequence[Sequence[str]]:
    key = day.isoformat()
    if key in rules.date_overrides:
        return rules.date_overrides[key]
    return rules.weekly_hours.get(DAYS[day.weekday()], ())


def _day_starts(day: date, duration: timedelta, rules: AvailabilityRules, zone: ZoneInfo) -> tuple[datetime, ...]:
    """UTC starts of the grid slots of one local day, in order."""
    windows = tuple(tuple(window) for window in _windows_for(day, rules))
    return _grid(day, duration, rules.slot_interval_minutes, zone, windows)


@lru_cache(maxsize=2048)  # ~100 datetimes a day: a few MB at most
def _grid(day: date, duration: timedelta, step: int, zone: ZoneInfo,
          windows: tuple[tuple[str, str], ...]) -> tuple[datetime, ...]:
    """Cached: a calendar's day looks the same for every booking and every slots request that day."""
    starts: list[datetime] = []
    midnight = datetime.combine(day, time(0))
    for window_start, window_end in windows:
        first, last = _minutes(window_start), _minutes(window_end)
        end_local = (midnight + timedelta(minutes=last)).replace(tzinfo=zone, fold=1)
        window_end_utc = end_local.astimezone(UTC)
        for minute in range(first, last, step):
            local = (midnight + timedelta(minutes=minute)).replace(tzinfo=zone, fold=0)
            if not _exists(local):
                continue
            start_utc = local.astimezone(UTC)
            if start_utc + duration > window_end_utc:
                break
            if not starts or start_utc > starts[-1]:
                starts.append(start_utc)
    return tuple(starts)


def offered_starts(*, duration_minutes: int, rules: AvailabilityRules, range_start: datetime,
                   range_end: datetime) -> list[datetime]:
    range_start, range_end = _utc(range_start), _utc(range_end)
    zone = ZoneInfo(rules.timezone)
    duration = timedelta(minutes=duration_minutes)
    day = range_start.astimezone(zone).date() - timedelta(days=1)  # a slot may start the local day before
    last_day = range_end.astimezone(zone).date()
    starts: list[datetime] = []
    while day <= last_day:
        starts += [s for s in _day_starts(day, duration, rules, zone) if range_start <= s < range_end]
        day += timedelta(days=1)
    return sorted(set(starts))


def is_offered(*, start: datetime, duration_minutes: int, rules: AvailabilityRules) -> bool:
    """A slot starts on its own local day (windows end by 24:00), so only that day's grid is built."""
    start = _utc(start)
    zone = ZoneInfo(rules.timezone)
    return start in _day_starts(start.astimezone(zone).date(), timedelta(minutes=duration_minutes), rules, zone)


class _BusyIndex:
    """Sorted, merged busy intervals answering "does [a, b) overlap anything?" in O(log n)."""

    def __init__(self, busy: Sequence[tuple[datetime, datetime]]) -> None:
        merged: list[list[datetime]] = []
        for start, end in sorted(busy):
            if merged and start <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], end)
            else:
                merged.append([start, end])
        self.starts = [m[0] for m in merged]
        self.ends = [m[1] for m in merged]

    def overlaps(self, start: datetime, end: datetime) -> bool:
        i = bisect.bisect_right(self.ends, start)  # first interval ending after `start`
        return i < len(self.starts) and self.starts[i] < end


def generate_slots(*, calendar_id: uuid.UUID, appointment_type: str, duration_minutes: int,
                   rules: AvailabilityRules, range_start: datetime, range_end: datetime, now: datetime,
                   busy: Sequence[tuple[datetime, datetime]]) -> list[Slot]:
    _require_aware(range_start, range_end, now)
    busy = [(_utc(a), _utc(b)) for a, b in busy]
    duration = timedelta(minutes=duration_minutes)
    index = _BusyIndex(busy)
    slots = []
    for start in offered_starts(duration_minutes=duration_minutes, rules=rules,
                                range_start=range_start, range_end=range_end):
        end = start + duration
        if lead_time_problem(start, now, rules) or index.overlaps(*busy_range(start, end, rules)):
            continue
        slots.append(Slot(start=start, end=end, slot_id=slot_id_for(calendar_id, appointment_type, start, end)))
    return slots


def nearest_slots(slots: Sequence[Slot], target: datetime, n: int = 5) -> list[Slot]:
    target = _utc(target)
    closest = sorted(slots, key=lambda s: (abs((s.start - target).total_seconds()), s.start))[:n]
    return sorted(closest, key=lambda s: s.start)


def bookable_days(*, duration_minutes: int, rules: AvailabilityRules, range_start: datetime,
                  range_end: datetime, now: datetime, busy: Sequence[tuple[datetime, datetime]]) -> list[date]:
    zone = ZoneInfo(rules.timezone)
    slots = generate_slots(calendar_id=uuid.UUID(int=0), appointment_type="-", duration_minutes=duration_minutes,
                           rules=rules, range_start=range_start, range_end=range_end, now=now, busy=busy)
    return sorted({s.start.astimezone(zone).date() for s in slots})
