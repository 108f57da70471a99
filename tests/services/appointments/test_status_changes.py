"""Staff outcomes and corrections (services/appointments/outcomes.py over status_changes.transition):
a plain transition with a staff note, or a cancellation through the policy as the owner."""
from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

from booking_app.db import session_scope
from booking_app.models import AuditEvent
from booking_app.services.appointments import outcomes
from tests.services.conftest import (
    NOW,
    STAFF,
    at,
    audit_event,
    book,
    book_paid,
    cancel,
    make_calendar,
    money_moves,
    outbox_kinds,
    refused,
    reload,
    reminder_states,
    rows_of,
)

START = at(3, 10)
AFTER = START + timedelta(minutes=40)


def set_status(appointment_id: uuid.UUID, status: str, *, now=AFTER, notes: str | None = None):
    with session_scope() as session:
        return outcomes.set_status(session, appointment_id=appointment_id, status=status, notes=notes, actor=STAFF,
                                   now=now)


def test_completing_stamps_the_time_stops_reminders_and_keeps_staff_notes_apart_from_the_customers():
    calendar = make_calendar()
    appointment_id = book(calendar, START, notes="Knee, left").appointment.id
    set_status(appointment_id, "completed", notes="Paid cash")
    appointment = reload(appointment_id)
    assert (appointment.status, appointment.completed_at, appointment.updated_at) == ("completed", AFTER, AFTER)
    assert (appointment.notes, appointment.staff_notes) == ("Knee, left", "Paid cash")
    assert set(reminder_states(appointment_id).values()) == {"cancelled"}
    event = audit_event(appointment_id, "appointment.completed")
    assert (event.actor_type, event.from_status, event.to_status, event.data) \
        == ("staff", "confirmed", "completed", {"notes": "Paid cash"})


def test_a_no_show_correction_clears_completed_at_and_tells_customer_and_owner():
    calendar = make_calendar()
    appointment_id = book(calendar, START).appointment.id
    set_status(appointment_id, "completed", notes="Arrived")
    set_status(appointment_id, "no_show", now=AFTER + timedelta(minutes=5), notes="Wrong person marked")
    appointment = reload(appointment_id)
    assert (appointment.status, appointment.completed_at, appointment.version) == ("no_show", None, 3)
    assert appointment.staff_notes == "Arrived\nWrong person marked"
    assert {("no_show_followup", "ann@example.com"), ("owner_no_show", "owner@clinic.example")} \
        <= outbox_kinds(appointment_id)
    assert [(e.from_status, e.to_status) for e in rows_of(AuditEvent, appointment_id) if e.to_status] \
        == [(None, "confirmed"), ("confirmed", "completed"), ("completed", "no_show")]


def test_staff_confirming_a_pending_booking_by_hand_releases_its_hold():
    calendar = make_calendar()
    appointment_id = book_paid(calendar, START).appointment.id
    set_status(appointment_id, "confirmed", now=NOW + timedelta(minutes=10))
    appointment = reload(appointment_id)
    assert (appointment.status, appointment.confirmed_at) == ("confirmed", NOW + timedelta(minutes=10))
    assert (appointment.hold_kind, appointment.hold_expires_at) == (None, None)


def test_a_staff_late_cancel_is_an_owner_cancellation_with_a_full_refund():
    calendar = make_calendar()  # customers may not cancel inside 24 hours
    appointment_id = book_paid(calendar, START, paid_at=NOW).appointment.id
    set_status(appointment_id, "late_cancel", now=START - timedelta(hours=1), notes="Called at 9")
    appointment = reload(appointment_id)
    assert (appointment.status, appointment.cancelled_by, appointment.cancellation_reason) \
        == ("late_cancel", "owner", "Called at 9")
    assert money_moves(appointment_id) == {("charge", Decimal(50), "processed"), ("refund", Decimal(50), "processed")}
    assert ("cancelled_by_owner", "ann@example.com") in outbox_kinds(appointment_id)


def test_a_cancellation_status_on_a_cancelled_appointment_is_an_invalid_transition():
    calendar = make_calendar()
    booked = book(calendar, START)
    cancel(booked, now=NOW)
    with refused("invalid_transition", current_status="cancelled", requested_status="late_cancel"):
        set_status(booked.appointment.id, "late_cancel")


def test_an_unknown_status_is_a_validation_error():
    calendar = make_calendar()
    appointment_id = book(calendar, START).appointment.id
    with refused("validation_error") as caught:
        set_status(appointment_id, "arrived")
    assert caught.value.extra["details"][0]["field"] == "status"
    assert reload(appointment_id).status == "confirmed"
