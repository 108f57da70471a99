"""The periodic sweeps (services/operations/sweeps.py) at explicit instants: holds released just after
they expire, appointments settled once their end plus the calendar's grace has passed."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from booking_app.db import session_scope
from booking_app.models import Appointment
from booking_app.services.appointments import checkin, rescheduling
from booking_app.services.operations import sweeps
from tests.services.conftest import (
    NOW,
    STAFF,
    at,
    audit_actions,
    audit_event,
    book,
    book_paid,
    cancel,
    make_calendar,
    ny,
    ny_calendar,
    outbox_kinds,
    outbox_row,
    reload,
)

START = at(3, 10)
END = START + timedelta(minutes=30)
SECOND = timedelta(seconds=1)


def test_an_unpaid_hold_is_released_just_after_it_expires_and_frees_the_slot():
    calendar = make_calendar()
    appointment_id = book_paid(calendar, START).appointment.id
    expires = reload(appointment_id).hold_expires_at
    sweeps.expire_holds(expires)
    assert reload(appointment_id).status == "pending"
    sweeps.expire_holds(expires + SECOND)
    appointment = reload(appointment_id)
    assert (appointment.status, appointment.cancelled_by, appointment.cancelled_at, appointment.cancellation_reason) \
        == ("cancelled", "system", expires + SECOND, "Payment not received in time")
    assert outbox_row(appointment_id, "payment_expired").payload["rebook_url"].endswith(f"/book/{calendar.slug}")
    assert audit_event(appointment_id, "appointment.payment_expired").actor_type == "system"
    assert book(calendar, START, email="bob@example.com", now=expires).appointment.status == "confirmed"


def test_an_expired_proposal_is_released_and_the_original_keeps_its_time():
    calendar = make_calendar()
    booked = book(calendar, START)
    with session_scope() as session:
        rescheduling.start(session, appointment_id=booked.appointment.id, actor=STAFF, token=None, reason=None,
                           new_start_time=at(2, 10), now=NOW)
        proposal = session.execute(sa.select(Appointment).where(
            Appointment.rescheduled_from_id == booked.appointment.id)).scalar_one()
    sweeps.expire_holds(proposal.hold_expires_at + SECOND)
    released = reload(proposal.id)
    assert (released.status, released.cancellation_reason) == ("cancelled", "Proposal expired")
    assert "appointment.proposal_expired" in audit_actions(proposal.id)
    assert "payment_expired" not in {kind for kind, _ in outbox_kinds(proposal.id)}
    assert reload(booked.appointment.id).status == "confirmed"


@pytest.mark.parametrize("grace", [10, 60])
def test_a_no_show_is_marked_once_the_calendars_grace_has_passed(grace):
    calendar = make_calendar(no_show_grace_minutes=grace)
    appointment_id = book(calendar, START).appointment.id
    sweeps.settle_past(END + timedelta(minutes=grace) - SECOND)
    assert reload(appointment_id).status == "confirmed"
    sweeps.settle_past(END + timedelta(minutes=grace))
    appointment = reload(appointment_id)
    assert (appointment.status, appointment.completed_at, appointment.updated_at) \
        == ("no_show", None, END + timedelta(minutes=grace))
    assert {("no_show_followup", "ann@example.com"), ("owner_no_show", "owner@clinic.example")} \
        <= outbox_kinds(appointment_id)
    assert audit_event(appointment_id, "appointment.no_show").actor_type == "system"


def test_a_checked_in_appointment_is_completed_without_messages():
    calendar = make_calendar()
    appointment_id = book(calendar, START).appointment.id
    with session_scope() as session:
        checkin.check_in(session, appointment_id=appointment_id, method="manual", notes=None, actor=STAFF, token=None,
                         now=START)
    settled_at = END + timedelta(minutes=15)
    sweeps.settle_past(settled_at)
    appointment = reload(appointment_id)
    assert (appointment.status, appointment.completed_at) == ("completed", settled_at)
    assert {kind for kind, _ in outbox_kinds(appointment_id)} == {"confirmation", "owner_booked"}


def test_settling_touches_only_confirmed_appointments_and_each_only_once():
    calendar = make_calendar()
    confirmed = book(calendar, START).appointment.id
    pending = book_paid(calendar, START + timedelta(hours=1)).appointment.id
    cancelled = book(calendar, START + timedelta(hours=2))
    cancel(cancelled, now=NOW)
    later = START + timedelta(days=1)
    sweeps.settle_past(later)
    sweeps.settle_past(later + timedelta(minutes=1))
    assert [reload(i).status for i in (confirmed, pending, cancelled.appointment.id)] \
        == ["no_show", "pending", "cancelled"]
    assert audit_actions(confirmed).count("appointment.no_show") == 1


def test_on_the_fall_back_night_the_grace_is_counted_in_real_minutes():
    calendar = ny_calendar(no_show_grace_minutes=15)
    appointment_id = book(calendar, ny(2026, 11, 1, 1, 30), now=datetime(2026, 10, 20, tzinfo=UTC)).appointment.id
    # 01:30 EDT + 30 minutes ends at 01:00 EST; 15 minutes later the clock reads 01:15 again.
    sweeps.settle_past(ny(2026, 11, 1, 1, 14, 59, fold=1))
    assert reload(appointment_id).status == "confirmed"
    sweeps.settle_past(ny(2026, 11, 1, 1, 15, fold=1))
    assert reload(appointment_id).status == "no_show"
