"""Read models: appointments as the API (and the web pages) present them.

Plain dicts with ISO 8601 UTC strings for times and `Decimal` amounts (rounded to cents): the API's
response models (api/responses.py) declare these shapes and write amounts as JSON numbers."""
from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from typing import TypedDict, Unpack

from sqlmodel import Session, col, select

from booking_app.domain.money import cents
from booking_app.links import appointment_links
from booking_app.models import (
    Appointment,
    AppointmentCancellation,
    AppointmentCheckIn,
    AppointmentReminder,
    AuditEvent,
    Calendar,
)
from booking_app.timefmt import iso


def calendar_summary(calendar: Calendar) -> dict:
    return {"id": str(calendar.id), "slug": calendar.slug, "name": calendar.name,
            "business_name": calendar.business_name, "timezone": calendar.timezone}


def appointment_dict(appointment: Appointment, calendar: Calendar, *, reminders_sent: Sequence = (),
                     token: str | None = None) -> dict:
    a = appointment
    return {
        "id": str(a.id), "calendar_id": str(a.calendar_id), "slot_id": str(a.slot_id),
        "customer_id": str(a.customer_id), "customer_email": a.customer_email,
        "customer_phone": a.customer_phone, "customer_name": a.customer_name,
        "start_time": iso(a.start_time), "end_time": iso(a.end_time),
        "duration_minutes": a.duration_minutes, "timezone": a.timezone,
        "status": a.status, "cancellation_reason": a.cancellation_reason,
        "cancelled_by": a.cancelled_by, "cancelled_at": iso(a.cancelled_at),
        "rescheduled_from_id": str(a.rescheduled_from_id) if a.rescheduled_from_id else None,
        "rescheduled_to_id": str(a.rescheduled_to_id) if a.rescheduled_to_id else None,
        "appointment_type": a.appointment_type, "notes": a.notes, "staff_notes": a.staff_notes,
        "location_type": a.location_type, "location_address": a.location_address,
        "meeting_link": a.meeting_link, "meeting_provider": a.meeting_provider,
        "payment_required": a.payment_required, "payment_amount": cents(a.payment_amount),
        "currency": a.payment_currency, "payment_status": a.payment_status, "payment_id": a.payment_id,
        "reminders_sent": [iso(t) for t in reminders_sent],
        "created_at": iso(a.created_at), "updated_at": iso(a.updated_at),
        "confirmed_at": iso(a.confirmed_at), "completed_at": iso(a.completed_at),
        "confirmation_status": a.confirmation_status, "version": a.version, "language": a.language,
        "hold_expires_at": iso(a.hold_expires_at),
        "customer": {"id": str(a.customer_id), "name": a.customer_name, "email": a.customer_email,
                     "phone": a.customer_phone, "timezone": a.timezone},
        "calendar": calendar_summary(calendar),
        "links": appointment_links(a, calendar, token),
    }


def reminders_sent_by_appointment(session: Session, ids: Sequence[uuid.UUID]) -> dict[uuid.UUID, list]:
    sent: dict[uuid.UUID, list] = defaultdict(list)
    if not ids:
        return sent
    rows = session.exec(
        select(AppointmentReminder.appointment_id, AppointmentReminder.sent_at)
        .where(col(AppointmentReminder.appointment_id).in_(ids), AppointmentReminder.status == "sent")
        .order_by(col(AppointmentReminder.sent_at))
    )
    for appointment_id, sent_at in rows:
        sent[appointment_id].append(sent_at)
    return sent


def appointment_dicts(session: Session, appointments: Sequence[Appointment]) -> list[dict]:
    """Many appointments with two extra queries in all (calendars, sent reminders)."""
    calendar_ids = {a.calendar_id for a in appointments}
    calendars = ({c.id: c for c in session.exec(select(Calendar).where(col(Calendar.id).in_(calendar_ids)))}
                 if calendar_ids else {})
    sent = reminders_sent_by_appointment(session, [a.id for a in appointments])
    return [appointment_dict(a, calendars[a.calendar_id], reminders_sent=sent.get(a.id, ())) for a in appointments]


def appointment_detail(session: Session, appointment: Appointment, *, token: str | None = None) -> dict:
    """The staff record: every field, staff notes, and the audit trail with who did what."""
    return detail_dict(appointment, session.get_one(Calendar, appointment.calendar_id),
                       **detail_rows(session, appointment), token=token)


class DetailRows(TypedDict):
    """What a detail is built from besides the appointment: reminders, cancellation, check-in, audit trail."""

    reminders: Sequence[AppointmentReminder]
    cancellation: AppointmentCancellation | None
    check_in: AppointmentCheckIn | None
    history: Sequence[AuditEvent]


def detail_rows(session: Session, appointment: Appointment) -> DetailRows:
    return {
        "reminders": list(session.exec(select(AppointmentReminder)  # the detail builders order them
                                       .where(AppointmentReminder.appointment_id == appointment.id))),
        "cancellation": session.exec(select(AppointmentCancellation)
                                     .where(AppointmentCancellation.appointment_id == appointment.id)).first(),
        "check_in": session.exec(select(AppointmentCheckIn)
                                 .where(AppointmentCheckIn.appointment_id == appointment.id)).first(),
        "history": list(session.exec(select(AuditEvent).where(AuditEvent.appointment_id == appointment.id)
                                     .order_by(col(AuditEvent.created_at), col(AuditEvent.id)))),
    }


def detail_dict(appointment: Appointment, calendar: Calendar, *, token: str | None,
                **rows: Unpack[DetailRows]) -> dict:
    """The staff detail body from rows in hand (a new booking builds it without reading anything back)."""
    reminders = sorted(rows["reminders"], key=lambda r: r.scheduled_for)
    cancellation, check_in = rows["cancellation"], rows["check_in"]
    sent = [r.sent_at for r in reminders if r.status == "sent" and r.sent_at]
    body = appointment_dict(appointment, calendar, reminders_sent=sent, token=token)
    body["reminders"] = [
        {"id": str(r.id), "reminder_type": r.reminder_type, "scheduled_for": iso(r.scheduled_for),
         "sent_at": iso(r.sent_at), "status": r.status}
        for r in reminders
    ]
    body["cancellation"] = cancellation and {
        "reason": cancellation.reason, "cancellation_type": cancellation.cancellation_type,
        "refund_amount": cents(cancellation.refund_amount), "refund_status": cancellation.refund_status,
        "late_cancel_fee": cents(cancellation.late_cancel_fee), "created_at": iso(cancellation.created_at),
    }
    body["check_in"] = check_in and {
        "id": str(check_in.id), "checked_in_at": iso(check_in.checked_in_at),
        "check_in_method": check_in.check_in_method, "checked_in_by_kind": check_in.checked_in_by_kind,
        "notes": check_in.notes,
    }
    body["history"] = [
        {"action": e.action, "at": iso(e.created_at), "actor_type": e.actor_type, "actor": e.actor_label,
         "actor_id": e.actor_id, "from_status": e.from_status, "to_status": e.to_status, "data": e.data}
        for e in rows["history"]
    ]
    return body
