"""Staff corrections and outcomes (PATCH /status, the console's marks): a cancellation status goes
through the cancellation policy; anything else is a plain transition with an optional staff note."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session

from booking_app.domain.status import ACTIVE_STATUSES, CANCELLED_STATUSES, STATUSES, Status
from booking_app.errors import ValidationFailed
from booking_app.models import Appointment, Calendar
from booking_app.principal import Principal
from booking_app.services import free_text
from booking_app.services.appointments.cancellation import cancel_locked
from booking_app.services.appointments.queries import get_appointment
from booking_app.services.appointments.status_changes import append_staff_note, notify_no_show, transition


def set_status(session: Session, *, appointment_id: uuid.UUID, status: str, notes: str | None,
               actor: Principal, now: datetime) -> Appointment:
    """Staff corrections and outcomes (PATCH /status). Cancellations go through cancellation.py,
    which applies the policy, refunds and messages; here they count as owner cancellations."""
    if status not in STATUSES:
        raise ValidationFailed(f"Unknown status '{status}'.", details=[{"field": "status"}])
    free_text.check({"notes": notes}, multi_line=("notes",))
    appointment = get_appointment(session, appointment_id, for_update=True)
    if status in CANCELLED_STATUSES and appointment.status in ACTIVE_STATUSES:
        cancel_locked(session, appointment, reason=notes or "Cancelled by staff", party="owner", actor=actor,
                      now=now, late_cancel=status == Status.LATE_CANCEL)
        return appointment
    transition(session, appointment, status, actor=actor, now=now, action=f"appointment.{status}",
               data={"notes": notes} if notes else None)
    if notes:
        append_staff_note(appointment, notes)
    if status == Status.NO_SHOW:
        notify_no_show(session, appointment, session.get_one(Calendar, appointment.calendar_id))
    return appointment
