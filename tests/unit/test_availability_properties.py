"""Hypothesis properties of slot generation (booking_app/domain/availability.py).

Random opening hours, grids, durations, buffers and bookings in zones with unusual DST rules:
America/New_York (1 h at 02:00), Europe/Berlin (1 h at 02:00/03:00) and Australia/Lord_Howe
(30 min), plus Asia/Kathmandu (+05:45, no DST) and UTC. Ranges are centred on the zone's real
2026 clock changes so every run crosses one."""
from __future__ import annotations

import uuid
from datetime import date, datetime, time, timedelta, timezone
from functools import cache
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from booking_app.domain.availability import DAYS, AvailabilityRules, generate_slots, offered_starts, slot_id_for

UTC = timezone.utc
ZONES = ["America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kathmandu", "UTC"]
DST_ZONES = ZONES[:3]
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)
PROPERTY = settings(max_examples=100, deadline=None, database=None)  # no .hypothesis/ in the tree


@cache
def transitions(zone_name: str, year: int = 2026) -> list[date]:
    """Local dates on which the zone's UTC offset changes (found by scanning, not hard-coded)."""
    zone = ZoneInfo(zone_name)
    noon = [datetime(year, 1, 1, 12, tzinfo=zone) + timedelta(days=d) for d in range(366)]
    return [b.date() for a, b in zip(noon, noon[1:]) if a.utcoffset() != b.utcoffset()]


def hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def minutes_of(text: str) -> int:  # "24:00" is 1440
    return int(text[:2]) * 60 + int(text[3:])


@st.composite
def windows(draw) -> list[list[str]]:
    """0-2 ordered, non-overlapping windows on a quarter-hour grid; may end at 24:00. Edges are
    drawn often from 00:00-04:00, where these zones change their clocks."""
    if draw(st.booleans()):
        return [["00:00", "24:00"]]  # whole day: always spans the clock change
    points = sorted(draw(st.sets(st.integers(0, 96) | st.integers(0, 16), max_size=4)))
    return [[hhmm(a * 15), hhmm(b * 15)] for a, b in zip(points[::2], points[1::2])]


@st.composite
def scenarios(draw, zones=ZONES, busy: bool = False):
    """Rules, a duration, and a three-local-day range around one of the zone's clock changes."""
    zone_name = draw(st.sampled_from(zones))
    changes = transitions(zone_name) or [date(2026, 3, 29)]
    day = draw(st.sampled_from(changes))
    weekly = {d: draw(windows()) for d in DAYS}
    overrides = {(day + timedelta(days=1)).isoformat(): draw(windows())} if draw(st.booleans()) else {}  # may close it
    rules = AvailabilityRules(
        timezone=zone_name, weekly_hours=weekly, date_overrides=overrides,
        slot_interval_minutes=draw(st.sampled_from([5, 10, 15, 20, 30, 45, 60, 90])),
        buffer_before_minutes=draw(st.sampled_from([0, 5, 15, 30])) if busy else 0,
        buffer_after_minutes=draw(st.sampled_from([0, 10, 15, 60])) if busy else 0,
        min_notice_minutes=draw(st.integers(0, 24 * 60)) if busy else 0,
        max_advance_days=draw(st.integers(1, 3)) if busy else 100000,
    )
    zone = ZoneInfo(zone_name)
    start = datetime.combine(day - timedelta(days=1), time(0), tzinfo=zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=2), time(0), tzinfo=zone).astimezone(UTC)
    return rules, draw(st.sampled_from([5, 15, 30, 45, 60, 90, 120])), start, end


def slots_for(rules, duration, start, end, *, now=LONG_AGO, busy=(), calendar_id=uuid.UUID(int=1), kind="t"):
    return generate_slots(calendar_id=calendar_id, appointment_type=kind, duration_minutes=duration, rules=rules,
                          range_start=start, range_end=end, now=now, busy=busy)


def windows_on(local_day: date, rules: AvailabilityRules):
    return rules.date_overrides.get(local_day.isoformat(), rules.weekly_hours.get(DAYS[local_day.weekday()], []))


def window_end(local_day: date, end: str, zone: ZoneInfo) -> datetime:
    """A window closes at its wall-clock end; if that time occurs twice, at the later one."""
    naive = datetime.combine(local_day, time(0)) + timedelta(minutes=minutes_of(end))
    return naive.replace(tzinfo=zone, fold=1).astimezone(UTC)


def brute_force_starts(rules: AvailabilityRules, duration: int, start: datetime, end: datetime) -> list[datetime]:
    """Every 5th UTC minute of the range (all offsets, window starts and intervals here are multiples
    of 5 minutes), kept when its local time is on a window's grid (first occurrence only) and the
    appointment ends by the window's end. Slow, obviously right."""
    zone, found, t = ZoneInfo(rules.timezone), [], start
    while t < end:
        local = t.astimezone(zone)  # fold=1 marks the second occurrence of a repeated wall time
        minute = local.hour * 60 + local.minute
        for a, b in windows_on(local.date(), rules):
            if (local.fold == 0 and minutes_of(a) <= minute < minutes_of(b)
                    and (minute - minutes_of(a)) % rules.slot_interval_minutes == 0
                    and t + timedelta(minutes=duration) <= window_end(local.date(), b, zone)):
                found.append(t)
        t += timedelta(minutes=5)
    return found


@PROPERTY
@given(scenarios())
def test_slots_are_exactly_the_grid_times_inside_the_local_hours(scenario):
    """Inside the weekly hours in the calendar's zone, on the grid, nothing missed, nothing doubled,
    nonexistent (spring-forward) times skipped and repeated (fall-back) times offered once."""
    rules, duration, start, end = scenario
    slots = slots_for(rules, duration, start, end)
    assert [s.start for s in slots] == brute_force_starts(rules, duration, start, end)
    assert all(s.end - s.start == timedelta(minutes=duration) for s in slots)


@PROPERTY
@given(scenarios(zones=DST_ZONES), st.data())
def test_wall_clock_times_survive_the_clock_change(scenario, data):
    """Same hours every day: the day before and the day after a clock change offer the same local
    times, so the UTC instants move by exactly the change in offset."""
    rules, duration, start, end = scenario
    hours = data.draw(windows())
    rules = AvailabilityRules(timezone=rules.timezone, weekly_hours={d: hours for d in DAYS},
                              slot_interval_minutes=rules.slot_interval_minutes,
                              min_notice_minutes=0, max_advance_days=100000)
    zone = ZoneInfo(rules.timezone)
    before_day = start.astimezone(zone).date()  # the range starts the day before the change
    after_day = before_day + timedelta(days=2)

    def day(local_day: date) -> list[datetime]:
        first = datetime.combine(local_day, time(0), tzinfo=zone)
        return [s.start for s in slots_for(rules, duration, first.astimezone(UTC),
                                           (first + timedelta(days=1)).astimezone(UTC))]

    before, after = day(before_day), day(after_day)
    assert [s.astimezone(zone).time() for s in before] == [s.astimezone(zone).time() for s in after]
    shift = datetime.combine(after_day, time(12), tzinfo=zone).utcoffset() - \
        datetime.combine(before_day, time(12), tzinfo=zone).utcoffset()
    assert shift != timedelta(0)
    assert all(b - a == timedelta(days=2) - shift for a, b in zip(before, after))


@st.composite
def bookings(draw, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """Existing appointments on any minute, of any length, crowded into a few hours of the range
    so that they overlap and nest (the busy index merges them)."""
    span = int((end - start).total_seconds() // 60)
    crowd = start + timedelta(minutes=draw(st.integers(-180, span)))
    result = []
    for _ in range(draw(st.integers(0, 8))):
        first = crowd + timedelta(minutes=draw(st.integers(0, 360)))
        result.append((first, first + timedelta(minutes=draw(st.integers(5, 240)))))
    return result


@PROPERTY
@given(st.data())
def test_slots_never_touch_busy_time_buffers_included(data):
    """A slot plus its buffers never overlaps an existing booking plus its buffers (the exclusion
    constraint's rule), respects notice and advance, and is only withheld for one of those reasons."""
    rules, duration, start, end = data.draw(scenarios(busy=True))
    before, after = timedelta(minutes=rules.buffer_before_minutes), timedelta(minutes=rules.buffer_after_minutes)
    booked = data.draw(bookings(start, end))
    busy = [(a - before, b + after) for a, b in booked]  # what services/slots.py passes: buffered ranges
    now = start + timedelta(minutes=data.draw(st.integers(-3 * 1440, 1440)))

    def blocked(s: datetime) -> bool:
        e = s + timedelta(minutes=duration)
        return (any(s - before < b and a < e + after for a, b in busy)
                or s < now + timedelta(minutes=rules.min_notice_minutes)
                or s > now + timedelta(days=rules.max_advance_days))

    slots = slots_for(rules, duration, start, end, now=now, busy=busy)
    offered = offered_starts(duration_minutes=duration, rules=rules, range_start=start, range_end=end)
    assert [s.start for s in slots] == [s for s in offered if not blocked(s)]


@PROPERTY
@given(scenarios(), st.sampled_from(["Asia/Tokyo", "America/Los_Angeles", "UTC"]))
def test_slot_ids_are_deterministic(scenario, other_zone):
    """The id depends only on (calendar, type, start, end): not on the range asked for, the zone the
    times are written in, or the run; different slots, calendars or types get different ids."""
    rules, duration, start, end = scenario
    start, end = start + (end - start) / 3, end - (end - start) / 3  # about the middle day: the change
    slots = slots_for(rules, duration, start, end)
    assert slots == slots_for(rules, duration, start, end)
    later_half = {s.start: s.slot_id for s in slots_for(rules, duration, start + (end - start) / 2, end)}
    assert all(later_half[s.start] == s.slot_id for s in slots if s.start in later_half)
    zone = ZoneInfo(other_zone)
    for s in slots[:20]:
        assert slot_id_for(uuid.UUID(int=1), "t", s.start.astimezone(zone), s.end.astimezone(zone)) == s.slot_id
    assert len({s.slot_id for s in slots}) == len(slots)
    others = slots_for(rules, duration, start, end, calendar_id=uuid.UUID(int=2))
    others += slots_for(rules, duration, start, end, kind="u")
    assert not {s.slot_id for s in slots} & {s.slot_id for s in others}
