"""Availability rules: DST, buffers, notice, advance, overrides, slot ids."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from booking_app.domain.availability import (
    AvailabilityRules,
    InvalidHours,
    bookable_days,
    generate_slots,
    is_offered,
    nearest_slots,
    normalize_date_overrides,
    normalize_weekly_hours,
    offered_starts,
    slot_id_for,
)

UTC = timezone.utc
CAL = uuid.UUID("11111111-1111-4111-8111-111111111111")
WEEKDAYS = {d: [["09:00", "17:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
LONG_AGO = datetime(2000, 1, 1, tzinfo=UTC)


def rules(tz="UTC", **kw) -> AvailabilityRules:
    kw.setdefault("weekly_hours", WEEKDAYS)
    kw.setdefault("min_notice_minutes", 0)
    kw.setdefault("max_advance_days", 100000)
    return AvailabilityRules(timezone=tz, **kw)


def day_slots(r: AvailabilityRules, local_day: str, duration=30, busy=(), now=LONG_AGO):
    zone = ZoneInfo(r.timezone)
    start = datetime.fromisoformat(local_day).replace(tzinfo=zone)
    return generate_slots(calendar_id=CAL, appointment_type="t", duration_minutes=duration, rules=r,
                          range_start=start, range_end=start + timedelta(days=1), now=now, busy=busy)


@pytest.mark.parametrize("tz, before, after", [
    ("America/New_York", "2026-03-07", "2026-03-09"),
    ("America/New_York", "2026-10-31", "2026-11-02"),
    ("Europe/London", "2026-03-28", "2026-03-30"),
    ("Europe/London", "2026-10-24", "2026-10-26"),
])
def test_nine_oclock_stays_nine_oclock_across_dst(tz, before, after):
    r = rules(tz)
    zone = ZoneInfo(tz)
    firsts = [day_slots(r, d)[0].start for d in (before, after)]
    assert [f.astimezone(zone).strftime("%H:%M") for f in firsts] == ["09:00", "09:00"]
    assert firsts[0].utcoffset() == timedelta(0)
    offsets = {f.astimezone(zone).utcoffset() for f in firsts}
    assert len(offsets) == 2  # the UTC instant moved with the clock change


def test_new_york_spring_forward_exact_utc():
    slots = day_slots(rules("America/New_York"), "2026-03-09")
    assert slots[0].start == datetime(2026, 3, 9, 13, 0, tzinfo=UTC)  # EDT = UTC-4
    before = day_slots(rules("America/New_York"), "2026-03-06")
    assert before[0].start == datetime(2026, 3, 6, 14, 0, tzinfo=UTC)  # EST = UTC-5


def test_nonexistent_local_times_are_skipped_not_shifted():
    night = rules("America/New_York", weekly_hours={"sun": [["00:00", "04:00"]]})
    local = [s.start.astimezone(ZoneInfo("America/New_York")).strftime("%H:%M")
             for s in day_slots(night, "2026-03-08")]
    assert "02:00" not in local and "02:30" not in local
    assert local == ["00:00", "00:30", "01:00", "01:30", "03:00", "03:30"]


def test_ambiguous_local_times_are_offered_once_at_first_occurrence():
    night = rules("America/New_York", weekly_hours={"sun": [["00:00", "04:00"]]})
    slots = day_slots(night, "2026-11-01")
    starts = [s.start for s in slots]
    assert len(starts) == len(set(starts))
    one_am = [s for s in starts if s.astimezone(ZoneInfo("America/New_York")).hour == 1]
    assert one_am == [datetime(2026, 11, 1, 5, 0, tzinfo=UTC), datetime(2026, 11, 1, 5, 30, tzinfo=UTC)]
    assert slots[-1].end <= datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # 04:00 EST


def test_busy_time_and_buffers_block_overlapping_slots():
    r = rules(slot_interval_minutes=15)
    busy = [(datetime(2026, 5, 4, 14, 0, tzinfo=UTC), datetime(2026, 5, 4, 14, 30, tzinfo=UTC))]
    starts = {s.start.strftime("%H:%M") for s in day_slots(r, "2026-05-04", busy=busy)}
    assert "14:15" not in starts and "13:45" not in starts and "14:30" in starts and "13:30" in starts
    buffered = rules(slot_interval_minutes=15, buffer_after_minutes=15)
    with_buffer = [(busy[0][0], busy[0][1] + timedelta(minutes=15))]  # callers pass busy ranges incl. buffers
    starts = {s.start.strftime("%H:%M") for s in day_slots(buffered, "2026-05-04", busy=with_buffer)}
    assert "14:30" not in starts and "14:45" in starts


def test_min_notice_and_max_advance():
    now = datetime(2026, 5, 4, 10, 5, tzinfo=UTC)
    r = rules(min_notice_minutes=60, max_advance_days=1)
    starts = [s.start for s in day_slots(r, "2026-05-04", now=now)]
    assert starts[0] == datetime(2026, 5, 4, 11, 30, tzinfo=UTC)
    assert day_slots(r, "2026-05-06", now=now) == []
    tomorrow = [s.start for s in day_slots(r, "2026-05-05", now=now)]
    assert tomorrow[-1] <= now + timedelta(days=1)


def test_date_overrides_close_days_and_change_hours():
    r = rules(date_overrides={"2026-12-25": [], "2026-12-24": [["10:00", "12:00"]]})
    assert day_slots(r, "2026-12-25") == []
    assert [s.start.strftime("%H:%M") for s in day_slots(r, "2026-12-24")] == ["10:00", "10:30", "11:00", "11:30"]


def test_slot_must_fit_in_window_and_grid():
    r = rules(weekly_hours={"mon": [["09:00", "10:00"]]})
    assert [s.start.strftime("%H:%M") for s in day_slots(r, "2026-05-04", duration=45)] == ["09:00"]
    assert is_offered(start=datetime(2026, 5, 4, 9, 0, tzinfo=UTC), duration_minutes=30, rules=r)
    assert not is_offered(start=datetime(2026, 5, 4, 9, 10, tzinfo=UTC), duration_minutes=30, rules=r)
    assert not is_offered(start=datetime(2026, 5, 4, 9, 30, tzinfo=UTC), duration_minutes=45, rules=r)


def test_slot_id_is_stable_and_tz_independent():
    start = datetime(2026, 5, 4, 14, 0, tzinfo=UTC)
    end = start + timedelta(minutes=30)
    same = slot_id_for(CAL, "t", start.astimezone(ZoneInfo("Asia/Tokyo")), end.astimezone(ZoneInfo("Asia/Tokyo")))
    assert slot_id_for(CAL, "t", start, end) == same
    assert slot_id_for(CAL, "other", start, end) != same
    assert day_slots(rules(), "2026-05-04")[0].slot_id == day_slots(rules(), "2026-05-04")[0].slot_id


def test_nearest_slots_and_bookable_days():
    slots = day_slots(rules(), "2026-05-04")
    target = datetime(2026, 5, 4, 12, 10, tzinfo=UTC)
    assert [s.start.strftime("%H:%M") for s in nearest_slots(slots, target, 3)] == ["11:30", "12:00", "12:30"]
    r = rules(weekly_hours={"mon": [["09:00", "10:00"]]})
    days = bookable_days(duration_minutes=30, rules=r, range_start=datetime(2026, 5, 1, tzinfo=UTC),
                         range_end=datetime(2026, 5, 31, tzinfo=UTC), now=LONG_AGO, busy=())
    assert [d.isoformat() for d in days] == ["2026-05-04", "2026-05-11", "2026-05-18", "2026-05-25"]


@pytest.mark.parametrize("hours, message", [
    ({"mon": [["17:00", "09:00"]]}, "is not after"),
    ({"funday": [["09:00", "17:00"]]}, "unknown day"),
    ({"mon": [["09:00", "12:00"], ["11:00", "13:00"]]}, "overlaps"),
    ({"mon": [["9am", "5pm"]]}, "HH:MM"),
])
def test_invalid_hours_explain_themselves(hours, message):
    with pytest.raises(InvalidHours, match=message):
        normalize_weekly_hours(hours)


def test_overrides_validate_dates_and_naive_times_are_refused():
    with pytest.raises(InvalidHours, match="not a date"):
        normalize_date_overrides({"25/12/2026": []})
    assert normalize_weekly_hours({"mon": [["13:00", "24:00"], ["08:00", "12:00"]]}) == {
        "mon": [["08:00", "12:00"], ["13:00", "24:00"]]}
    with pytest.raises(ValueError):
        offered_starts(duration_minutes=30, rules=rules(), range_start=datetime(2026, 5, 4),
                       range_end=datetime(2026, 5, 5))
