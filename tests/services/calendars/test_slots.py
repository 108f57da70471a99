"""Free slots (services/calendars/slots.py): the database's busy ranges under the pure availability
rules, at an explicit `now`."""
from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from booking_app.db import session_scope
from booking_app.services.calendars import catalog, slots
from tests.services.conftest import (
    NEW_YORK,
    NOW,
    at,
    book,
    book_paid,
    cancel,
    make_calendar,
    ny,
    ny_calendar,
    refused,
)


def free_starts(calendar, start: datetime, end: datetime, *, now: datetime = NOW,
                exclude: tuple[uuid.UUID, ...] = ()) -> list[datetime]:
    with session_scope() as session:
        consult = catalog.get_type(session, calendar_id=calendar.id, slug="consult")
        return [s.start for s in slots.free_slots(session, calendar=calendar, appointment_type=consult, start=start,
                                                  end=end, now=now, exclude_ids=exclude)]


def test_confirmed_and_pending_bookings_block_their_times_and_cancelled_ones_do_not():
    calendar = make_calendar()
    book(calendar, at(2, 10))
    book_paid(calendar, at(2, 11))  # unpaid: held while pending
    cancel(book(calendar, at(2, 12)), now=NOW)
    free = free_starts(calendar, at(2, 9), at(2, 13))
    assert at(2, 10) not in free and at(2, 11) not in free
    assert at(2, 12) in free
    assert {at(2, 9, 30), at(2, 10, 30), at(2, 11, 30)} <= set(free)
    assert at(2, 10, 45) not in free  # 10:45-11:15 runs into the 11:00 hold


def test_min_notice_counts_from_the_given_now():
    calendar = make_calendar(min_notice_minutes=60)
    assert free_starts(calendar, at(2, 8), at(2, 13), now=at(2, 9, 50))[0] == at(2, 11)


@pytest.mark.parametrize("start, end", [(at(2, 10), at(2, 10)), (at(1, 0), at(63, 0, 1))],
                         ids=["empty", "over-62-days"])
def test_a_range_runs_forward_and_spans_at_most_62_days(start, end):
    calendar = make_calendar()
    with refused("validation_error") as caught:
        free_starts(calendar, start, end)
    assert caught.value.extra["details"] == [{"field": "end"}]


def test_alternatives_come_from_the_whole_horizon_when_few_are_near():
    # One slot a week (Mondays 09:00); the two Mondays around the target are closed.
    calendar = make_calendar(weekly_hours={"mon": [["09:00", "09:30"]]}, slot_interval_minutes=30,
                             date_overrides={"2026-03-30": [], "2026-04-06": []}, max_advance_days=60)
    with session_scope() as session:
        consult = catalog.get_type(session, calendar_id=calendar.id, slug="consult")
        found = slots.alternatives(session, calendar=calendar, appointment_type=consult,
                                   target=datetime(2026, 4, 1, 9, tzinfo=UTC), now=NOW)
    assert [s.start.date().isoformat() for s in found] \
        == ["2026-03-09", "2026-03-16", "2026-03-23", "2026-04-13", "2026-04-20"]


def test_a_buffer_counts_real_minutes_across_the_spring_forward_gap():
    calendar = ny_calendar(buffer_after_minutes=15)
    book(calendar, ny(2026, 3, 8, 1, 30))  # 01:30-02:00 EST, and 02:00 EST is 03:00 EDT
    free = free_starts(calendar, ny(2026, 3, 8, 0, 0), ny(2026, 3, 8, 6, 0))
    # 03:00 looks 90 minutes after 01:30 on the wall clock but starts when it ends, inside its buffer.
    assert [s.astimezone(NEW_YORK).strftime("%H:%M") for s in free] \
        == ["00:00", "00:30", "03:30", "04:00", "04:30", "05:00", "05:30"]
    with refused("slot_unavailable"):
        book(calendar, ny(2026, 3, 8, 3, 0), email="bob@example.com")
    later = book(calendar, ny(2026, 3, 8, 3, 30), email="bob@example.com").appointment
    assert later.start_time - ny(2026, 3, 8, 1, 30).astimezone(UTC) == timedelta(hours=1)
