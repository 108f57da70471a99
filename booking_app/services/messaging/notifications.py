"""Sending outbox rows: at least once, and at most once per (appointment, kind, channel, version).

A job claims its row with a conditional UPDATE (pending → sending), so a second job, a retry
or a duplicate enqueue finds nothing to do. Before sending it re-reads the appointment and drops
messages that are no longer true. Failures go back to `pending` with exponential backoff
(NOTIFICATION_RETRY_DELAYS, RQ's Retry in production, the sweep in embedded mode); after the
last retry the row is `failed` and a failed confirmation marks the appointment
`confirmation_failed` and tells the calendar's support address. An Undeliverable message (it
cannot be composed, or its address is refused) fails at once, without retries.

A worker that dies between claim and send leaves the row `sending`; the sweep marks such rows
`failed` ("delivery unknown") after STALE_CLAIM rather than resending, because the message may
already have left: staff can retry it by hand. That keeps the promise of "at most once".
"""
from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from booking_app.db import session_scope, utcnow
from booking_app.domain.status import CANCELLED_STATUSES, Status
from booking_app.models import Appointment, AppointmentType, Calendar, Notification, PushSubscription
from booking_app.notify.channels import DeliveryError, Undeliverable, send_email, send_push, send_sms
from booking_app.notify.compose import Message, compose, email_message
from booking_app.principal import SYSTEM
from booking_app.services import audit
from booking_app.services.messaging import outbox
from booking_app.settings import get_settings

log = logging.getLogger(__name__)
CONFIRMATIONS = {"confirmation", "rescheduled"}
STALE_CLAIM = timedelta(minutes=10)
CLOCK_SLACK = timedelta(seconds=2)

# What must still hold for a message to be worth sending.
STILL_TRUE = {
    "confirmation": lambda a: a.status == Status.CONFIRMED,
    "rescheduled": lambda a: a.status == Status.CONFIRMED,
    "payment_pending": lambda a: a.status == Status.PENDING and a.hold_kind == "payment",
    "reschedule_proposal": lambda a: a.status == Status.PENDING and a.hold_kind == "proposal",
    "reminder": lambda a: a.status == Status.CONFIRMED,
    "no_show_followup": lambda a: a.status == Status.NO_SHOW,
    "owner_no_show": lambda a: a.status == Status.NO_SHOW,
    "cancelled": lambda a: a.status in CANCELLED_STATUSES,
    "cancelled_by_owner": lambda a: a.status in CANCELLED_STATUSES,
}


class RetryLater(Exception):
    """Raised so RQ's Retry schedules the next attempt."""


def claim(session: Session, model, row_id: uuid.UUID, now: datetime, *, due_column=None) -> bool:
    """pending → sending, for exactly one caller."""
    conditions = [model.id == row_id, model.status == "pending"]
    if due_column is not None:
        conditions.append(sa.or_(due_column.is_(None), due_column <= now + CLOCK_SLACK))
    values = {"status": "sending", "attempts": model.attempts + 1}
    if hasattr(model, "claimed_at"):
        values["claimed_at"] = now
    return session.exec(sa.update(model).where(*conditions).values(**values)).rowcount == 1


def load_context(session: Session, appointment_id: uuid.UUID) -> tuple[Appointment, Calendar, AppointmentType]:
    appointment = session.get_one(Appointment, appointment_id)
    return (appointment, session.get_one(Calendar, appointment.calendar_id),
            session.get_one(AppointmentType, appointment.appointment_type_id))


def deliver(channel: str, message: Message, *, appointment: Appointment, reference: str,
            session: Session | None = None) -> None:
    """Send over one channel. `session`: the caller's open transaction, for the reads a push needs
    (SQLite allows one writer: a second transaction would wait for the caller's)."""
    if channel == "email":
        send_email(email_message(message, notification_id=reference))
    elif channel == "sms":
        send_sms(message.recipient, message.rendered.sms)
    elif session is not None:
        deliver_push(session, appointment, message)
    else:
        with session_scope() as own:
            deliver_push(own, appointment, message)


def deliver_push(session: Session, appointment: Appointment, message: Message) -> None:
    """To each of the customer's browsers; one whose endpoint is refused does not stop the others."""
    subscriptions = list(session.exec(select(PushSubscription)
                                      .where(PushSubscription.lineage_id == appointment.lineage_id)))
    if not subscriptions:
        raise DeliveryError("the customer has no push subscription")
    refused = []
    for sub in subscriptions:
        try:
            send_push({"endpoint": sub.endpoint, "keys": {"p256dh": sub.p256dh, "auth": sub.auth}},
                      {"title": message.rendered.subject, "body": message.rendered.sms})
        except Undeliverable as exc:
            refused.append(str(exc))
    if len(refused) == len(subscriptions):
        raise Undeliverable("; ".join(refused))


def send_notification(notification_id: str) -> str:
    now = utcnow()
    row_id = uuid.UUID(notification_id)
    with session_scope() as session:
        if not claim(session, Notification, row_id, now, due_column=Notification.next_attempt_at):
            return "skipped"
    try:
        with session_scope() as session:
            notification = session.get_one(Notification, row_id)
            appointment, calendar, appointment_type = load_context(session, notification.appointment_id)
            still_true = STILL_TRUE.get(notification.kind, lambda a: True)
            if not still_true(appointment):
                notification.status, notification.last_error = "dropped", f"no longer true ({appointment.status})"
                return "dropped"
            message = compose(notification.kind, appointment, calendar, appointment_type,
                              recipient=notification.recipient, payload=notification.payload)
            channel = notification.channel
        deliver(channel, message, appointment=appointment, reference=notification_id)
    except DeliveryError as exc:
        return record_failure(row_id, str(exc), now, permanent=exc.permanent)
    with session_scope() as session:
        notification = session.get_one(Notification, row_id)
        notification.status, notification.sent_at, notification.updated_at = "sent", utcnow(), utcnow()
        if notification.kind in CONFIRMATIONS:
            session.execute(sa.update(Appointment).where(col(Appointment.id) == notification.appointment_id)
                            .values(confirmation_status="sent"))
    return "sent"


def record_failure(row_id: uuid.UUID, reason: str, now: datetime, *, permanent: bool = False) -> str:
    delays = get_settings().retry_delays
    with session_scope() as session:
        notification = session.get_one(Notification, row_id)
        notification.last_error, notification.updated_at = reason[:2000], now
        # %r: a recipient or reason from old, unvalidated data cannot forge log lines
        log.warning("notification %s (%s to %r) attempt %s failed: %r", row_id, notification.kind,
                    notification.recipient, notification.attempts, reason)
        if notification.attempts <= len(delays) and not permanent:
            notification.status = "pending"
            notification.next_attempt_at = now + timedelta(seconds=delays[notification.attempts - 1])
            retry = True
        else:
            notification.status = "failed"
            retry = False
            if notification.kind in CONFIRMATIONS:
                _confirmation_failed(session, notification, reason)
    if retry:
        raise RetryLater(reason)
    return "failed"


def _confirmation_failed(session: Session, notification: Notification, reason: str) -> None:
    appointment, calendar, _ = load_context(session, notification.appointment_id)
    appointment.confirmation_status = "confirmation_failed"
    audit.record(session, action="appointment.confirmation_failed", actor=SYSTEM, appointment=appointment,
                 data={"recipient": notification.recipient, "attempts": notification.attempts, "error": reason})
    outbox.add(session, appointment=appointment, kind="support_confirmation_failed",
               recipient=calendar.support_email or calendar.owner_email, payload={"last_error": reason[:500]})


def retry_failed(session: Session, *, notification_id: uuid.UUID, actor) -> Notification | None:
    """Staff asked to try a failed message again (it gets a fresh set of retries); None if there is no such message."""
    notification = session.get(Notification, notification_id)
    if notification is not None and notification.status == "failed":
        notification.status, notification.attempts, notification.next_attempt_at = "pending", 0, utcnow()
        audit.record(session, action="notification.retried", actor=actor, entity_type="notification",
                     entity_id=str(notification.id), data={"kind": notification.kind})
        outbox.enqueue_send(session, notification)
    return notification
