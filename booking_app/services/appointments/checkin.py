"""Check-in: by staff (manual), or by the customer with their link or the QR code it encodes.
One per appointment; customers can check in from CUSTOMER_WINDOW before the start until the end
plus the grace period."""
from __future__ import annotations

import io
import uuid
from datetime import datetime, timedelta

import segno
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from booking_app import links
from booking_app.domain.status import Status
from booking_app.errors import AlreadyCheckedIn, CheckInNotOpen, Forbidden, InvalidTransition
from booking_app.models import AppointmentCheckIn, Calendar
from booking_app.principal import Principal
from booking_app.services import audit, free_text
from booking_app.services.appointments.queries import authorize, get_appointment

CUSTOMER_WINDOW = timedelta(hours=2)
METHODS = ("qr_code", "manual", "link")


def check_in_url(appointment_id: uuid.UUID, lineage_id: uuid.UUID) -> str:
    return f"{links.manage_url(links.manage_token_for(lineage_id))}?checkin={appointment_id}"


def qr_svg_data_uri(url: str) -> str:
    """The QR code of `url` as an SVG data URI (the manage page)."""
    # A fixed mask skips segno's search for the prettiest one (80% of the time); scanners read any mask.
    return segno.make(url, error="m", mask=0).svg_data_uri(scale=6, border=2)


def qr_png(url: str) -> bytes:
    """The QR code of `url` as a PNG, the image format every mail client shows (emails link to it)."""
    buffer = io.BytesIO()
    segno.make(url, error="m", mask=0).save(buffer, kind="png", scale=6, border=2)
    return buffer.getvalue()


def check_in(session: Session, *, appointment_id: uuid.UUID, method: str, notes: str | None, actor: Principal,
             token: str | None, now: datetime) -> AppointmentCheckIn:
    free_text.check({"notes": notes}, multi_line=("notes",))
    appointment = get_appointment(session, appointment_id, for_update=True)
    principal = authorize(appointment, actor=actor, token=token)
    if method == "manual" and not principal.is_staff:
        raise Forbidden("Manual check-in is for staff; use your check-in link or QR code.")
    if appointment.status != Status.CONFIRMED:
        raise InvalidTransition(f"Only a confirmed appointment can be checked in; this one is {appointment.status}.",
                                current_status=appointment.status)
    if not principal.is_staff:
        grace = timedelta(minutes=session.get_one(Calendar, appointment.calendar_id).no_show_grace_minutes)
        if not appointment.start_time - CUSTOMER_WINDOW <= now <= appointment.end_time + grace:
            raise CheckInNotOpen("Check-in opens 2 hours before your appointment.",
                                 opens_at=(appointment.start_time - CUSTOMER_WINDOW).isoformat())
    record = AppointmentCheckIn(appointment_id=appointment.id, checked_in_by=principal.id, checked_in_at=now,
                                checked_in_by_kind="staff" if principal.is_staff else "customer",
                                check_in_method=method, notes=notes)
    try:
        with session.begin_nested():
            session.add(record)
            session.flush()
    except IntegrityError as exc:
        raise AlreadyCheckedIn("This appointment is already checked in.") from exc
    appointment.version += 1
    appointment.updated_at = now
    audit.record(session, action="appointment.checked_in", actor=principal, appointment=appointment,
                 data={"method": method, "notes": notes})
    return record
