"""Check-in (services/appointments/checkin.py): customers inside their window with their link, staff
any time, once per appointment."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from booking_app.db import session_scope
from booking_app.principal import ANONYMOUS
from booking_app.services.appointments import checkin
from tests.services.conftest import (
    NOW,
    STAFF,
    at,
    audit_event,
    book,
    cancel,
    check_ins,
    make_calendar,
    ny,
    ny_calendar,
    refused,
    reload,
)

START = at(3, 10)
END = START + timedelta(minutes=30)


def check_in(booked, *, now, method="link", actor=ANONYMOUS, token: str | None = "own", notes=None):
    with session_scope() as session:
        return checkin.check_in(session, appointment_id=booked.appointment.id, method=method, notes=notes,
                                actor=actor, token=booked.manage_token if token == "own" else token, now=now)


@pytest.mark.parametrize("now, opens", [
    (START - timedelta(hours=2), True),
    (START - timedelta(hours=2, seconds=1), False),
    (END + timedelta(minutes=10), True),  # the calendar's grace: 10 minutes
    (END + timedelta(minutes=10, seconds=1), False),
], ids=["window-opens", "just-before", "grace-ends", "just-after"])
def test_a_customer_checks_in_from_two_hours_before_until_the_end_plus_grace(now, opens):
    calendar = make_calendar(no_show_grace_minutes=10)
    booked = book(calendar, START)
    if opens:
        record = check_in(booked, now=now)
        assert (record.checked_in_at, record.checked_in_by_kind, record.check_in_method) == (now, "customer", "link")
        return
    with refused("check_in_not_open") as caught:
        check_in(booked, now=now)
    assert datetime.fromisoformat(caught.value.extra["opens_at"]) == START - timedelta(hours=2)
    assert check_ins(booked.appointment.id) == []


def test_staff_check_in_by_hand_at_any_time_and_customers_may_not_use_the_manual_method():
    calendar = make_calendar()
    booked = book(calendar, START)
    with refused("forbidden"):
        check_in(booked, now=START, method="manual")
    record = check_in(booked, now=NOW, method="manual", actor=STAFF, token=None, notes="Came a day early")
    assert (record.checked_in_by, record.checked_in_by_kind) == (STAFF.id, "staff")
    appointment = reload(booked.appointment.id)
    assert (appointment.version, appointment.updated_at, appointment.status) == (2, NOW, "confirmed")
    assert audit_event(booked.appointment.id, "appointment.checked_in").data \
        == {"method": "manual", "notes": "Came a day early"}


def test_a_second_check_in_is_refused_and_the_first_stays():
    calendar = make_calendar()
    booked = book(calendar, START)
    check_in(booked, now=START, method="qr_code")
    with refused("already_checked_in"):
        check_in(booked, now=START + timedelta(minutes=1), actor=STAFF, method="manual")
    assert [c.check_in_method for c in check_ins(booked.appointment.id)] == ["qr_code"]
    assert reload(booked.appointment.id).version == 2


def test_a_cancelled_appointment_cannot_be_checked_in():
    calendar = make_calendar()
    booked = book(calendar, START)
    cancel(booked, now=NOW)
    with refused("invalid_transition", current_status="cancelled"):
        check_in(booked, now=START, actor=STAFF, method="manual")


def test_on_the_spring_forward_night_the_window_opens_two_real_hours_before():
    calendar = ny_calendar()
    booked = book(calendar, ny(2026, 3, 8, 3, 0))  # 03:00 EDT = 07:00Z, just after the clocks jump
    with refused("check_in_not_open") as caught:
        check_in(booked, now=ny(2026, 3, 7, 23, 59, 59))
    assert datetime.fromisoformat(caught.value.extra["opens_at"]) == datetime(2026, 3, 8, 5, tzinfo=UTC)
    assert check_in(booked, now=ny(2026, 3, 8, 0, 0)).checked_in_at == ny(2026, 3, 8, 0, 0)  # 00:00 EST: 3 on the clock
