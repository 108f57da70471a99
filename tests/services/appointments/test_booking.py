"""Booking (services/appointments/booking.py) at fixed instants, on both databases."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from booking_app.db import session_scope
from booking_app.models import AppointmentReminder, Contact
from booking_app.principal import ANONYMOUS
from booking_app.services.appointments import booking
from booking_app.services.calendars import catalog
from booking_app.settings import get_settings
from tests.services.conftest import (
    NOW,
    PRICE,
    STAFF,
    at,
    audit_actions,
    audit_event,
    book,
    booking_request,
    make_calendar,
    ny,
    ny_calendar,
    outbox_kinds,
    refused,
    reload,
    reminder_states,
    rows_of,
    slot_starts,
)

CUSTOMER_AND_OWNER = {"ann@example.com", "owner@clinic.example"}


def test_a_free_booking_is_confirmed_with_its_reminders_messages_and_audit_in_the_same_transaction():
    calendar = make_calendar()
    start = at(2, 10)
    with session_scope() as session:
        result = booking.book(session, request=booking_request(calendar, start), actor=ANONYMOUS, now=NOW)
        appointment_id = result.appointment.id
        assert outbox_kinds(appointment_id, session) == {("confirmation", "ann@example.com"),
                                                         ("owner_booked", "owner@clinic.example")}
        assert audit_actions(appointment_id, session) == ["appointment.created"]
        assert {r.offset_minutes: r.scheduled_for for r in rows_of(AppointmentReminder, appointment_id, session)} \
            == {1440: start - timedelta(days=1), 60: start - timedelta(hours=1)}
    appointment = reload(appointment_id)
    assert (appointment.status, appointment.created_at, appointment.confirmed_at) == ("confirmed", NOW, NOW)
    assert appointment.hold_expires_at is None and appointment.payment_status is None
    assert audit_event(appointment_id, "appointment.created").to_status == "confirmed"


def test_a_paid_type_is_held_pending_until_the_unpaid_expiry_without_reminders():
    calendar = make_calendar()
    appointment = book(calendar, at(2, 10), type_slug="paid").appointment
    stored = reload(appointment.id)
    assert (stored.status, stored.hold_kind, stored.payment_status) == ("pending", "payment", "pending")
    assert stored.hold_expires_at == NOW + timedelta(minutes=get_settings().unpaid_expiry_minutes)
    assert (stored.payment_amount, stored.payment_currency, stored.confirmed_at) == (PRICE, "USD", None)
    assert reminder_states(appointment.id) == {}
    assert outbox_kinds(appointment.id) == {("payment_pending", "ann@example.com"),
                                            ("owner_booked", "owner@clinic.example")}


@pytest.mark.parametrize("notice, allowed", [
    (timedelta(minutes=60), True),  # exactly the minimum notice
    (timedelta(minutes=60) - timedelta(seconds=1), False),
    (timedelta(days=60), True),  # exactly the maximum advance
    (timedelta(days=60, seconds=1), False),
], ids=["min-notice-exact", "min-notice-short", "max-advance-exact", "max-advance-over"])
def test_lead_time_boundaries_are_inclusive(notice, allowed):
    calendar = make_calendar(min_notice_minutes=60, max_advance_days=60)
    start = at(10, 12)
    now = start - notice
    if allowed:
        assert book(calendar, start, now=now).appointment.status == "confirmed"
        return
    with refused("lead_time_violation") as caught:
        book(calendar, start, now=now)
    offered = slot_starts(caught.value.extra["available_slots"])
    assert offered and all(now + timedelta(minutes=60) <= s <= now + timedelta(days=60) for s in offered)


def test_staff_may_book_outside_opening_hours_and_customers_may_not():
    calendar = make_calendar()
    late_evening = at(3, 22)
    with refused("forbidden"):
        book(calendar, late_evening, override_availability=True)
    result = book(calendar, late_evening, actor=STAFF, override_availability=True)
    event = audit_event(result.appointment.id, "appointment.created")
    assert (event.actor_type, event.actor_id, event.data["override_availability"]) == ("staff", str(STAFF.id), True)


@pytest.mark.parametrize("problem, field", [
    ({"minutes": 45}, "end_time"),
    ({"slot_id": uuid.UUID(int=1)}, "slot_id"),
    ({"location_type": "video"}, "location_type"),
])
def test_a_request_that_does_not_fit_the_type_is_refused_by_field(problem, field):
    calendar = make_calendar()
    with refused("validation_error") as caught:
        book(calendar, at(2, 10), **problem)
    assert caught.value.extra["details"][0]["field"] == field


def test_a_refused_booking_rolls_back_the_contact_it_created():
    calendar = make_calendar()
    book(calendar, at(2, 10))
    email = f"late-{uuid.uuid4().hex[:8]}@example.com"
    with refused("slot_unavailable"):
        book(calendar, at(2, 10, 15), email=email)  # overlaps 10:00-10:30
    with session_scope() as session:
        assert session.execute(sa.select(Contact).where(Contact.email == email)).first() is None


def test_an_inactive_type_cannot_be_booked():
    calendar = make_calendar()
    with session_scope() as session:
        catalog.update_type(session, calendar_id=calendar.id, slug="consult", data={"active": False}, actor=STAFF)
    with refused("not_found", field="appointment_type"):
        book(calendar, at(2, 10))


def test_on_the_fall_back_night_only_the_first_0130_is_offered():
    calendar = ny_calendar()
    now = datetime(2026, 10, 25, 12, tzinfo=UTC)
    first = book(calendar, ny(2026, 11, 1, 1, 30), now=now).appointment  # 01:30 EDT
    assert reload(first.id).start_time == datetime(2026, 11, 1, 5, 30, tzinfo=UTC)
    with refused("slot_unavailable"):
        book(calendar, ny(2026, 11, 1, 1, 30, fold=1), now=now)  # 01:30 EST, an hour later in real time
    second = book(calendar, ny(2026, 11, 1, 2, 0), now=now).appointment  # 02:00 EST: 90 real minutes after 01:30 EDT
    assert reload(second.id).start_time - reload(first.id).start_time == timedelta(minutes=90)


def test_a_zone_aware_start_books_exactly_the_types_duration():
    calendar = ny_calendar()
    start = ny(2026, 11, 1, 1, 30)  # 01:30 EDT
    wall_clock_end = start + timedelta(minutes=30)  # aware arithmetic in one zone: 02:00 EST, 90 real minutes on
    request = dataclasses.replace(booking_request(calendar, start), start_time=start, end_time=wall_clock_end)
    with refused("validation_error"), session_scope() as session:
        booking.book(session, request=request, actor=ANONYMOUS, now=datetime(2026, 10, 20, tzinfo=UTC))
