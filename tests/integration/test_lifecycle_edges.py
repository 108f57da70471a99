"""Policy and token edges at exact instants, through the services with an explicit `now`."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from booking_app.db import session_scope
from booking_app.errors import CancellationNotAllowed, InvalidRescheduleToken, RescheduleTokenExpired
from booking_app.principal import ANONYMOUS
from booking_app.services.appointments import cancellation, rescheduling
from tests.integration.conftest import booking_body, future_day


def booked(client, calendar, start) -> dict:
    response = client.post("/api/v1/appointments", json=booking_body(calendar, start))
    assert response.status_code == 201, response.text
    return response.json()


def cancel_at(appointment: dict, now: datetime):
    with session_scope() as session:
        return cancellation.cancel(session, appointment_id=uuid.UUID(appointment["id"]), actor=ANONYMOUS,
                                   token=appointment["manage_token"], reason="edge", party="customer", now=now)


@pytest.mark.parametrize("offset, allowed", [(timedelta(0), True), (timedelta(seconds=1), False)])
def test_cancel_exactly_at_the_policy_boundary(client, make_calendar, offset, allowed):
    calendar = make_calendar(cancellation_policy={"lead_time_hours": 24})
    start = future_day(3).replace(hour=12)
    appointment = booked(client, calendar, start)
    now = start - timedelta(hours=24) + offset
    if allowed:
        assert cancel_at(appointment, now).status == "cancelled"
    else:
        with pytest.raises(CancellationNotAllowed) as refused:
            cancel_at(appointment, now)
        assert refused.value.extra["cancellation_policy"]["hours_until_appointment"] == 24.0


def test_policy_boundary_on_a_dst_day_counts_real_hours(client, make_calendar):
    zone = ZoneInfo("America/New_York")
    calendar = make_calendar(timezone="America/New_York", max_advance_days=730, min_notice_minutes=0,
                             cancellation_policy={"lead_time_hours": 24})
    start = datetime(2027, 3, 14, 12, 0, tzinfo=zone)  # US spring-forward day 2027
    appointment = booked(client, calendar, start)
    wall_clock_day_before = datetime(2027, 3, 13, 12, 0, tzinfo=zone)  # only 23 real hours before
    with pytest.raises(CancellationNotAllowed):
        cancel_at(appointment, wall_clock_day_before)
    assert cancel_at(appointment, wall_clock_day_before - timedelta(hours=1)).status == "cancelled"


def test_reschedule_token_expires_after_hold_minutes_and_is_bound_to_its_appointment(client, make_calendar):
    calendar = make_calendar(hold_minutes=15)
    start = future_day(4).replace(hour=10)
    first, second = booked(client, calendar, start), booked(client, calendar, start + timedelta(hours=2))
    now = datetime.now(timezone.utc)
    with session_scope() as session:
        started = rescheduling.start(session, appointment_id=uuid.UUID(first["id"]), actor=ANONYMOUS,
                                     token=first["manage_token"], reason=None, new_start_time=None, now=now)
    target = start + timedelta(hours=4)

    def confirm(appointment_id: str, at: datetime):
        with session_scope() as session:
            return rescheduling.confirm(session, appointment_id=uuid.UUID(appointment_id),
                                        reschedule_token=started.reschedule_token, new_start_time=target,
                                        new_end_time=target + timedelta(minutes=30), new_slot_id=None,
                                        actor=ANONYMOUS, now=at)

    with pytest.raises(RescheduleTokenExpired):
        confirm(first["id"], now + timedelta(minutes=15))
    with pytest.raises(InvalidRescheduleToken):
        confirm(second["id"], now)
    assert confirm(first["id"], now + timedelta(minutes=14)).start_time == target
