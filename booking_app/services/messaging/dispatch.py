"""The sweep's delivery step: due reminders, due retries, and rebuilding work after a Redis loss.

A reminder whose send fails goes back to `pending` with the same backoff as other messages
(NOTIFICATION_RETRY_DELAYS; the last delay repeats) and this sweep claims it again once its
`next_attempt_at` is due; it gives up (`failed`, with the last reason) only when the appointment
has started, or at once when the message can never be delivered (Undeliverable).

Everything is driven from the database, so enqueueing twice is harmless (each job claims its
row) and a flushed Redis loses nothing: the next pass enqueues whatever is still due."""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import col, select

from booking_app import queue
from booking_app.db import session_scope, utcnow
from booking_app.domain.status import Status
from booking_app.models import Appointment, AppointmentReminder, AppointmentType, Calendar, Notification
from booking_app.notify.channels import DeliveryError, SmtpBatch
from booking_app.notify.compose import compose
from booking_app.services.messaging.notifications import STALE_CLAIM, claim, deliver
from booking_app.services.messaging.outbox import SEND_JOB
from booking_app.settings import get_settings

log = logging.getLogger(__name__)
BATCH = 2000
REMINDERS_JOB = "jobs.notifications.send_reminders"
REMINDERS_PER_JOB = 25  # one job, one DB connection and one SMTP connection for this many reminders


def dispatch_due(now: datetime) -> int:
    with session_scope() as session:
        reminders = list(session.exec(select(AppointmentReminder.id).where(
            AppointmentReminder.status == "pending", AppointmentReminder.scheduled_for <= now,
            sa.or_(col(AppointmentReminder.next_attempt_at).is_(None), col(AppointmentReminder.next_attempt_at) <= now))
            .order_by(col(AppointmentReminder.scheduled_for)).limit(BATCH)))
        retries = list(session.exec(select(Notification.id).where(
            Notification.status == "pending", col(Notification.next_attempt_at) <= now).limit(BATCH)))
        # A claim this old means the worker died mid-send: never resend blindly (see notifications.py).
        for model in (Notification, AppointmentReminder):
            session.execute(sa.update(model)
                            .where(col(model.status) == "sending", col(model.claimed_at) < now - STALE_CLAIM)
                            .values(status="failed", last_error="delivery unknown: the worker stopped mid-send"))
    for start in range(0, len(reminders), REMINDERS_PER_JOB):
        chunk = [str(r) for r in reminders[start:start + REMINDERS_PER_JOB]]
        queue.enqueue(REMINDERS_JOB, chunk, job_id=f"reminders-{chunk[0]}")
    for notification_id in retries:
        queue.enqueue(SEND_JOB, str(notification_id), job_id=f"notify-{notification_id}")
    return len(reminders) + len(retries)


def send_reminders(reminder_ids: list[str]) -> dict[str, int]:
    """A batch from the sweep: each reminder is claimed, sent and recorded on its own, so a crash
    leaves at most one of them in doubt; the SMTP connection and the calendars are shared."""
    outcomes: dict[str, int] = {}
    settings_cache: dict = {}
    with SmtpBatch():
        for reminder_id in reminder_ids:
            outcome = send_reminder(reminder_id, settings_cache=settings_cache)
            outcomes[outcome] = outcomes.get(outcome, 0) + 1
    return outcomes


def send_reminder(reminder_id: str, *, settings_cache: dict | None = None) -> str:
    """Send one due reminder; a failure marks it failed and logs why (others are unaffected).

    The claim commits first (at most once, even if this worker dies). The send then happens while
    this transaction holds the appointment row FOR SHARE: a cancellation (SELECT ... FOR UPDATE)
    waits for the send to finish, and a send that starts after it sees the cancellation. So no
    reminder leaves after a cancellation was answered. `settings_cache` keeps calendars and types
    for the rest of a batch."""
    now = utcnow()
    row_id = uuid.UUID(reminder_id)
    cache = {} if settings_cache is None else settings_cache
    with session_scope() as session:
        if not claim(session, AppointmentReminder, row_id, now, due_column=AppointmentReminder.next_attempt_at):
            return "skipped"
    with session_scope() as session:
        reminder, appointment = session.execute(
            select(AppointmentReminder, Appointment)
            .join(Appointment, col(Appointment.id) == AppointmentReminder.appointment_id)
            .where(AppointmentReminder.id == row_id).with_for_update(read=True, of=Appointment)).one()
        if appointment.status == Status.CONFIRMED and now >= appointment.start_time and reminder.last_error:
            reminder.status = "failed"  # retried until the appointment started: give up, keeping why
            reminder.last_error = f"gave up when the appointment started; last error: {reminder.last_error}"[:2000]
            return "failed"
        if appointment.status != Status.CONFIRMED or now >= appointment.start_time:
            reminder.status = "cancelled"
            return "dropped"
        recipient = appointment.customer_phone if reminder.reminder_type == "sms" else appointment.customer_email
        try:
            message = compose("reminder", appointment, _cached(cache, session, Calendar, appointment.calendar_id),
                              _cached(cache, session, AppointmentType, appointment.appointment_type_id),
                              recipient=recipient, payload={})
            deliver(reminder.reminder_type, message, appointment=appointment, reference=f"reminder-{reminder_id}",
                    session=session)
            reminder.status, reminder.sent_at = "sent", utcnow()
        except DeliveryError as exc:
            _attempt_failed(reminder, exc, utcnow())
            return "retry" if reminder.status == "pending" else "failed"
        return reminder.status


def _attempt_failed(reminder: AppointmentReminder, exc: DeliveryError, now: datetime) -> None:
    """Back to `pending` for another attempt after the next delay (the last delay repeats: a reminder is
    worth sending until its appointment starts, and send_reminder gives up then); `failed` at once when
    it can never be delivered. Runs in the send's transaction, which still holds the appointment row."""
    delays = get_settings().retry_delays
    reason = str(exc)[:2000]
    reminder.last_error = reason
    # %r: an error text from a remote server cannot forge log lines
    log.warning("reminder %s (%s) attempt %s failed: %r", reminder.id, reminder.reminder_type,
                reminder.attempts, reason)
    if exc.permanent or not delays:
        reminder.status = "failed"
        return
    delay = delays[min(max(reminder.attempts, 1), len(delays)) - 1]
    reminder.status, reminder.next_attempt_at = "pending", now + timedelta(seconds=delay)


def _cached(cache: dict, session, model, row_id):
    key = (model, row_id)
    if key not in cache:
        cache[key] = session.get(model, row_id)
    return cache[key]
