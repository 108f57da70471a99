"""Periodic lifecycle work, safe to run from several schedulers at once: each appointment is
handled in its own transaction under a row lock and re-checked before it changes.

- expire_holds: unpaid bookings and unanswered proposals past hold_expires_at are released;
- settle_past: after end_time + no_show_grace_minutes, checked in → completed, otherwise
  no_show with a follow-up to the customer and a notice to the owner.
"""
from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from booking_app import links
from booking_app.db import is_postgres, session_scope
from booking_app.domain.status import Status
from booking_app.models import Appointment, Calendar
from booking_app.principal import SYSTEM
from booking_app.services.appointments.status_changes import is_checked_in, notify_no_show, transition
from booking_app.services.messaging import outbox

BATCH = 500


def _each_locked(ids: list[uuid.UUID], still_due: Callable[[Appointment], bool],
                 handle: Callable[[Session, Appointment], None]) -> int:
    done = 0
    for appointment_id in ids:
        with session_scope() as session:
            query = select(Appointment).where(Appointment.id == appointment_id)
            query = query.with_for_update(skip_locked=True) if is_postgres(session) else query
            appointment = session.exec(query).first()
            if appointment is None or not still_due(appointment):
                continue  # another scheduler got there first
            handle(session, appointment)
            done += 1
    return done


def expire_holds(now: datetime) -> int:
    with session_scope() as session:
        ids = list(session.exec(select(Appointment.id).where(
            Appointment.status == Status.PENDING, col(Appointment.hold_expires_at) < now).limit(BATCH)))

    def still_due(a: Appointment) -> bool:
        return a.status == Status.PENDING and a.hold_expires_at is not None and a.hold_expires_at < now

    def release(session: Session, appointment: Appointment) -> None:
        kind = appointment.hold_kind
        transition(session, appointment, Status.CANCELLED, actor=SYSTEM, now=now, action=f"appointment.{kind}_expired")
        appointment.cancelled_at, appointment.cancelled_by = now, "system"
        appointment.cancellation_reason = "Payment not received in time" if kind == "payment" else "Proposal expired"
        if kind == "payment":
            calendar = session.get_one(Calendar, appointment.calendar_id)
            outbox.add(session, appointment=appointment, kind="payment_expired",
                       recipient=appointment.customer_email, payload={"rebook_url": links.book_url(calendar.slug)})

    return _each_locked(ids, still_due, release)


def settle_past(now: datetime) -> int:
    with session_scope() as session:
        candidates = session.exec(select(Appointment.id, Appointment.end_time, Calendar.no_show_grace_minutes)
                                  .join(Calendar, col(Calendar.id) == Appointment.calendar_id)
                                  .where(Appointment.status == Status.CONFIRMED, Appointment.end_time < now)
                                  .order_by(col(Appointment.end_time)).limit(BATCH))
        ids = [row[0] for row in candidates if row[1] + timedelta(minutes=row[2]) <= now]

    def settle(session: Session, appointment: Appointment) -> None:
        if is_checked_in(session, appointment.id):
            transition(session, appointment, Status.COMPLETED, actor=SYSTEM, now=now, action="appointment.completed")
            return
        transition(session, appointment, Status.NO_SHOW, actor=SYSTEM, now=now, action="appointment.no_show")
        notify_no_show(session, appointment, session.get_one(Calendar, appointment.calendar_id))

    return _each_locked(ids, lambda a: a.status == Status.CONFIRMED, settle)
