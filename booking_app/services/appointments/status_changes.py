"""Status changes: the one helper every lifecycle use case goes through (outcomes.py, cancellation.py, …)."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, select

from booking_app.domain import status as machine
from booking_app.domain.status import Status
from booking_app.errors import InvalidTransition
from booking_app.models import Appointment, AppointmentCheckIn, Calendar
from booking_app.principal import Principal
from booking_app.services import audit
from booking_app.services.messaging import outbox, reminders


def transition(session: Session, appointment: Appointment, to_status: str, *, actor: Principal, now: datetime,
               action: str, data: dict | None = None) -> str:
    """Move to `to_status` if the machine allows it: bump the version, stamp times, stop reminders
    when the appointment stops being upcoming, audit, and publish after commit."""
    current = appointment.status
    try:
        machine.check_transition(current, to_status)
    except machine.InvalidTransition as exc:
        raise InvalidTransition(str(exc) + ".", current_status=current, requested_status=to_status) from exc
    appointment.status = to_status
    appointment.version += 1
    appointment.updated_at = now
    if to_status == Status.CONFIRMED:
        appointment.confirmed_at = now
        appointment.hold_expires_at = appointment.hold_kind = None
    if to_status == Status.COMPLETED:
        appointment.completed_at = now
    if to_status == Status.NO_SHOW:
        appointment.completed_at = None
    if to_status not in machine.ACTIVE_STATUSES:
        reminders.cancel_pending(session, appointment_id=appointment.id)
    audit.record(session, action=action, actor=actor, appointment=appointment, from_status=current,
                 to_status=to_status, data=data)
    session.add(appointment)
    return current


def notify_no_show(session: Session, appointment: Appointment, calendar: Calendar) -> None:
    outbox.add(session, appointment=appointment, kind="no_show_followup", recipient=appointment.customer_email)
    outbox.add(session, appointment=appointment, kind="owner_no_show", recipient=calendar.owner_email)


def append_staff_note(appointment: Appointment, text: str) -> None:
    """Staff notes have their own field: `notes` is the customer's, who reads it back."""
    appointment.staff_notes = f"{appointment.staff_notes}\n{text}" if appointment.staff_notes else text


def is_checked_in(session: Session, appointment_id: uuid.UUID) -> bool:
    return session.exec(select(AppointmentCheckIn.id).where(AppointmentCheckIn.appointment_id == appointment_id)
                        ).first() is not None
