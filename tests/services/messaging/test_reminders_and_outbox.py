"""The outbox and reminders (services/messaging): rows written in the business transaction, jobs
queued only after commit, reminders planned in real minutes, backoff and staleness at explicit times,
and senders that drop what is no longer true."""
from __future__ import annotations

import dataclasses
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from booking_app.db import session_scope, utcnow
from booking_app.models import Appointment, AppointmentReminder, Notification
from booking_app.principal import ANONYMOUS
from booking_app.services.appointments import booking
from booking_app.services.messaging import dispatch, notifications, outbox
from booking_app.settings import get_settings
from tests.services.conftest import (
    NOW,
    STAFF,
    at,
    audit_event,
    book,
    booking_request,
    cancel,
    job_enqueued,
    make_calendar,
    ny,
    ny_calendar,
    outbox_kinds,
    outbox_row,
    queued_reminder_ids,
    reload,
    reminder_states,
    rows_of,
)

START = at(3, 10)


def claim(row_id: uuid.UUID, now: datetime) -> bool:
    with session_scope() as session:
        return notifications.claim(session, Notification, row_id, now, due_column=Notification.next_attempt_at)


def day_before_reminder(appointment_id: uuid.UUID) -> AppointmentReminder:
    (reminder,) = [r for r in rows_of(AppointmentReminder, appointment_id) if r.offset_minutes == 1440]
    return reminder


def test_outbox_rows_are_written_with_the_change_and_their_jobs_queued_only_after_commit():
    calendar = make_calendar()
    with session_scope() as session:
        result = booking.book(session, request=booking_request(calendar, START), actor=ANONYMOUS, now=NOW)
        row_ids = [n.id for n in rows_of(Notification, result.appointment.id, session)]
        assert len(row_ids) == 2 and not any(job_enqueued(f"notify-{i}") for i in row_ids)
    assert all(job_enqueued(f"notify-{i}") for i in row_ids)


def test_a_rolled_back_change_leaves_no_outbox_rows_and_queues_nothing():
    calendar = make_calendar()
    with pytest.raises(RuntimeError), session_scope() as session:
        result = booking.book(session, request=booking_request(calendar, START), actor=ANONYMOUS, now=NOW)
        row_ids = [n.id for n in rows_of(Notification, result.appointment.id, session)]
        raise RuntimeError("the caller failed after booking")
    assert reload(result.appointment.id) is None
    assert rows_of(Notification, result.appointment.id) == []
    assert not any(job_enqueued(f"notify-{i}") for i in row_ids)


def test_a_calendar_without_an_owner_address_sends_the_owner_nothing():
    calendar = make_calendar(owner_email=None)
    assert outbox_kinds(book(calendar, START).appointment.id) == {("confirmation", "ann@example.com")}


def test_the_outbox_holds_one_message_per_kind_channel_and_version():
    calendar = make_calendar()
    appointment_id = book(calendar, START).appointment.id
    with pytest.raises(sa.exc.IntegrityError), session_scope() as session:
        outbox.add(session, appointment=session.get(Appointment, appointment_id), kind="confirmation",
                   recipient="ann@example.com")
    assert len([n for n in rows_of(Notification, appointment_id) if n.kind == "confirmation"]) == 1


@pytest.mark.parametrize("phone, planned", [
    ("+15551230000", {("email", 60): "pending", ("sms", 30): "pending"}),
    (None, {("email", 60): "pending"}),
], ids=["with-phone", "without-phone"])
def test_reminders_are_planned_only_after_now_and_by_sms_only_with_a_phone(phone, planned):
    calendar = make_calendar(reminders={"email": [1440, 60], "sms": [120, 30]})
    # Two hours ahead: the day-before email is past, and the 2-hour SMS would be due right now.
    appointment_id = book(calendar, NOW + timedelta(hours=2), phone=phone).appointment.id
    assert reminder_states(appointment_id) == planned


def test_a_day_before_reminder_is_24_real_hours_before_on_the_fall_back_weekend():
    calendar = ny_calendar()
    appointment = book(calendar, ny(2026, 11, 1, 12, 0), now=datetime(2026, 10, 20, tzinfo=UTC)).appointment
    assert day_before_reminder(appointment.id).scheduled_for == ny(2026, 10, 31, 13, 0)  # 13:00 EDT, not 12:00


def test_reminders_of_a_zone_aware_start_are_real_minutes_before():
    calendar = ny_calendar()
    request = dataclasses.replace(booking_request(calendar, ny(2026, 11, 1, 12, 0)), start_time=ny(2026, 11, 1, 12, 0),
                                  end_time=ny(2026, 11, 1, 12, 30))
    with session_scope() as session:
        result = booking.book(session, request=request, actor=ANONYMOUS, now=datetime(2026, 10, 20, tzinfo=UTC))
    assert day_before_reminder(result.appointment.id).scheduled_for == ny(2026, 10, 31, 13, 0)


def test_dispatch_queues_due_reminders_and_fails_only_stale_claims():
    calendar = make_calendar()
    first = book(calendar, START).appointment
    second = book(calendar, START + timedelta(hours=1), email="bob@example.com").appointment
    now = START - timedelta(hours=23, minutes=30)  # the first's day-before reminder is due, nothing else of theirs
    stale, fresh = outbox_row(first.id, "confirmation").id, outbox_row(second.id, "confirmation").id
    with session_scope() as session:  # two workers claimed a send and went quiet, 11 and 9 minutes ago
        notifications.claim(session, Notification, stale, now - timedelta(minutes=11))
        notifications.claim(session, Notification, fresh, now - timedelta(minutes=9))
    dispatch.dispatch_due(now)
    queued = queued_reminder_ids()
    assert str(day_before_reminder(first.id).id) in queued
    assert not {str(r.id) for r in rows_of(AppointmentReminder, second.id)} & queued
    assert outbox_row(first.id, "confirmation").status == "failed"
    assert outbox_row(first.id, "confirmation").last_error.startswith("delivery unknown")
    assert outbox_row(second.id, "confirmation").status == "sending"


def test_a_failing_confirmation_backs_off_then_fails_and_tells_support():
    calendar = make_calendar(support_email="support@clinic.example")
    appointment_id = book(calendar, START).appointment.id
    row_id = outbox_row(appointment_id, "confirmation").id
    now = outbox_row(appointment_id, "confirmation").next_attempt_at
    for delay in get_settings().retry_delays:
        assert claim(row_id, now)
        with pytest.raises(notifications.RetryLater):
            notifications.record_failure(row_id, "421 try again later", now)
        row = outbox_row(appointment_id, "confirmation")
        assert (row.status, row.next_attempt_at) == ("pending", now + timedelta(seconds=delay))
        assert not claim(row_id, row.next_attempt_at - timedelta(seconds=3))  # not before its time
        now = row.next_attempt_at
    assert claim(row_id, now)
    assert notifications.record_failure(row_id, "421 try again later", now) == "failed"
    assert reload(appointment_id).confirmation_status == "confirmation_failed"
    assert ("support_confirmation_failed", "support@clinic.example") in outbox_kinds(appointment_id)
    assert audit_event(appointment_id, "appointment.confirmation_failed").data["attempts"] == 4


def test_a_permanent_failure_fails_at_once_and_staff_can_retry_it():
    calendar = make_calendar()
    appointment_id = book(calendar, START).appointment.id
    row_id = outbox_row(appointment_id, "owner_booked").id
    assert claim(row_id, outbox_row(appointment_id, "owner_booked").next_attempt_at)
    assert notifications.record_failure(row_id, "550 no such user", NOW, permanent=True) == "failed"
    assert reload(appointment_id).confirmation_status != "confirmation_failed"  # only confirmations count
    with session_scope() as session:
        notifications.retry_failed(session, notification_id=row_id, actor=STAFF)
    row = outbox_row(appointment_id, "owner_booked")
    assert (row.status, row.attempts, row.last_error) == ("pending", 0, "550 no such user")


def test_a_confirmation_is_dropped_when_the_booking_was_cancelled_before_it_left():
    calendar = make_calendar()
    booked = book(calendar, START)
    cancel(booked, now=NOW)
    row_id = outbox_row(booked.appointment.id, "confirmation").id
    assert notifications.send_notification(str(row_id)) == "dropped"
    row = outbox_row(booked.appointment.id, "confirmation")
    assert (row.status, row.last_error, row.sent_at) == ("dropped", "no longer true (cancelled)", None)


def test_a_due_reminder_is_sent_once():
    calendar = make_calendar()
    now = utcnow()  # the sender reads the real clock: the appointment must still be ahead of it
    start = datetime.combine(now.date() + timedelta(days=3), START.timetz())
    appointment_id = book(calendar, start, now=now).appointment.id
    reminder_id = str(day_before_reminder(appointment_id).id)
    assert dispatch.send_reminder(reminder_id) == "sent"
    assert dispatch.send_reminder(reminder_id) == "skipped"
    assert day_before_reminder(appointment_id).sent_at is not None


@pytest.mark.parametrize("case", ["cancelled", "already-started"])
def test_no_reminder_leaves_for_a_cancelled_or_started_appointment(case):
    calendar = make_calendar()
    booked = book(calendar, START)  # START is long past on the real clock the sender reads
    if case == "cancelled":
        cancel(booked, now=NOW)
    reminder_id = str(day_before_reminder(booked.appointment.id).id)
    assert dispatch.send_reminder(reminder_id) == ("skipped" if case == "cancelled" else "dropped")
    reminder = day_before_reminder(booked.appointment.id)
    assert (reminder.status, reminder.sent_at) == ("cancelled", None)
