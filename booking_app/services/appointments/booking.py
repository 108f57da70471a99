"""Booking a slot: validation, race-safe insert, reminders, outbox and audit in one transaction."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal

from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from booking_app.domain.availability import busy_range, is_offered, lead_time_problem, slot_id_for
from booking_app.domain.status import Status
from booking_app.domain.tz import as_utc
from booking_app.errors import Forbidden, LeadTimeViolation, SlotUnavailable, invalid
from booking_app.links import manage_token_for
from booking_app.models import Appointment, AppointmentReminder, AppointmentType, AuditEvent, Calendar
from booking_app.principal import Principal
from booking_app.readmodels.appointments import detail_dict
from booking_app.readmodels.customer_record import customer_dict
from booking_app.services import audit, free_text
from booking_app.services.access.tokens import hash_token
from booking_app.services.appointments import contacts
from booking_app.services.appointments.locks import is_overlap_error, lock_slot
from booking_app.services.calendars.catalog import get_calendar, get_type, rules_for
from booking_app.services.calendars.slots import alternatives, overlapping, slot_dict
from booking_app.services.messaging import outbox, reminders
from booking_app.settings import get_settings


@dataclass(frozen=True)
class BookingRequest:
    calendar_id: uuid.UUID
    appointment_type: str
    start_time: datetime
    end_time: datetime
    customer_email: str
    customer_name: str
    timezone: str
    customer_phone: str | None = None
    customer_id: uuid.UUID | None = None
    slot_id: uuid.UUID | None = None
    notes: str | None = None
    location_type: str | None = None
    language: str | None = None
    override_availability: bool = False


# What a new appointment takes unchanged from the request and from its type.
FROM_REQUEST = ("start_time", "end_time", "timezone", "customer_name", "customer_phone", "notes")
FROM_TYPE = ("duration_minutes", "location_type", "location_address", "meeting_link", "meeting_provider")


@dataclass(frozen=True)
class BookingResult:
    appointment: Appointment
    manage_token: str
    calendar: Calendar
    reminders: list[AppointmentReminder]
    history: list[AuditEvent]

    def detail(self, *, staff: bool) -> dict:
        """The response body, built from the rows just written (nothing is read back): the staff
        record, or for a public booking the customer's (customer_record)."""
        build = detail_dict if staff else customer_dict
        return build(self.appointment, self.calendar, reminders=self.reminders, cancellation=None,
                     check_in=None, history=self.history, token=self.manage_token)


def _check_request_shape(request: BookingRequest, calendar: Calendar, appointment_type: AppointmentType) -> None:
    expected_end = request.start_time + timedelta(minutes=appointment_type.duration_minutes)
    if request.end_time != expected_end:
        raise invalid("end_time", f"A {appointment_type.name} lasts {appointment_type.duration_minutes} minutes; "
                                  f"end_time must be start_time plus that.")
    if request.location_type and request.location_type != appointment_type.location_type:
        raise invalid("location_type", f"This appointment type takes place {appointment_type.location_type}.")
    if request.slot_id is not None:
        expected = slot_id_for(calendar.id, appointment_type.slug, request.start_time, request.end_time)
        if request.slot_id != expected:
            raise invalid("slot_id", "slot_id does not match this calendar, type and time; "
                                     "take it from the slots list or leave it out.")


def _lead_time_message(problem: str, calendar: Calendar) -> str:
    if problem == "too_soon":
        return f"Bookings need at least {calendar.min_notice_minutes} minutes' notice; please pick a later time."
    return f"Bookings open at most {calendar.max_advance_days} days ahead; please pick an earlier time."


def book(session: Session, *, request: BookingRequest, actor: Principal, now: datetime) -> BookingResult:
    free_text.check(vars(request), multi_line=("notes",))
    request = replace(request, start_time=as_utc(request.start_time), end_time=as_utc(request.end_time))
    calendar = get_calendar(session, request.calendar_id)
    appointment_type = get_type(session, calendar_id=calendar.id, slug=request.appointment_type, active_only=True)
    _check_request_shape(request, calendar, appointment_type)
    rules = rules_for(calendar)

    def nearest() -> list[dict]:
        found = alternatives(session, calendar=calendar, appointment_type=appointment_type,
                             target=request.start_time, now=now)
        return [slot_dict(slot, calendar.id) for slot in found]

    if request.override_availability:
        if not actor.is_staff:
            raise Forbidden("Only staff may book outside the offered slots.")
    else:
        problem = lead_time_problem(request.start_time, now, rules)
        if problem:
            raise LeadTimeViolation(_lead_time_message(problem, calendar), available_slots=nearest())
        if not is_offered(start=request.start_time, duration_minutes=appointment_type.duration_minutes, rules=rules):
            raise SlotUnavailable("That time is not offered for booking.", available_slots=nearest())

    if request.customer_id is not None:
        contacts.check_matches(contacts.get_contact(session, request.customer_id), request.customer_email)
    contact_id = contacts.find_or_create(  # before the lock: it needs none (a refused booking rolls it back)
        session, email=request.customer_email, name=request.customer_name, phone=request.customer_phone,
        timezone=request.timezone, language=request.language,
    )

    lock_slot(session, calendar.id, request.start_time)
    busy_start, busy_end = busy_range(request.start_time, request.end_time, rules)
    taken = "Selected time slot is no longer available"
    if overlapping(session, calendar_id=calendar.id, busy_start=busy_start, busy_end=busy_end):
        raise SlotUnavailable(taken, available_slots=nearest())

    appointment = _new_appointment(request, calendar, appointment_type, contact_id, busy_start, busy_end, now)
    insert_guarded(session, appointment, on_overlap=lambda: SlotUnavailable(taken, available_slots=nearest()))

    planned = reminders.plan(session, appointment=appointment, calendar=calendar, now=now) \
        if appointment.status == Status.CONFIRMED else []
    _queue_booking_messages(session, appointment, calendar)
    created = audit.record(session, action="appointment.created", actor=actor, appointment=appointment,
                           to_status=appointment.status,
                           data={"override_availability": request.override_availability,
                                 "start_time": appointment.start_time.isoformat()})
    session.flush()  # ids and defaults of the planned rows, for the response
    return BookingResult(appointment=appointment, manage_token=manage_token_for(appointment.lineage_id),
                         calendar=calendar, reminders=planned, history=[created])


def insert_guarded(session: Session, appointment: Appointment, *, on_overlap) -> None:
    """Insert under the database's overlap guard; its refusal becomes `on_overlap()` (a 409)."""
    try:
        with session.begin_nested():
            session.add(appointment)
            session.flush()
    except DBAPIError as exc:
        if is_overlap_error(exc):
            raise on_overlap() from exc
        raise


def _new_appointment(request: BookingRequest, calendar: Calendar, appointment_type: AppointmentType,
                     contact_id: uuid.UUID, busy_start: datetime, busy_end: datetime, now: datetime) -> Appointment:
    lineage_id = uuid.uuid4()
    paid = appointment_type.payment_required
    price = appointment_type.price if appointment_type.price and appointment_type.price > Decimal("0") else None
    return Appointment(
        **{name: getattr(request, name) for name in FROM_REQUEST},
        **{name: getattr(appointment_type, name) for name in FROM_TYPE},
        calendar_id=calendar.id, appointment_type=appointment_type.slug, appointment_type_id=appointment_type.id,
        slot_id=slot_id_for(calendar.id, appointment_type.slug, request.start_time, request.end_time),
        customer_id=contact_id, customer_email=request.customer_email.strip().lower(),
        busy_start=busy_start, busy_end=busy_end,
        status=Status.PENDING if paid else Status.CONFIRMED,
        lineage_id=lineage_id, manage_token_hash=hash_token(manage_token_for(lineage_id)),
        payment_required=paid, payment_amount=price, payment_currency=appointment_type.currency if price else None,
        payment_status="pending" if paid else None,
        language=request.language or calendar.language,
        hold_expires_at=now + timedelta(minutes=get_settings().unpaid_expiry_minutes) if paid else None,
        hold_kind="payment" if paid else None,
        created_at=now, updated_at=now, confirmed_at=None if paid else now,
    )


def _queue_booking_messages(session: Session, appointment: Appointment, calendar: Calendar) -> None:
    customer_kind = "confirmation" if appointment.status == Status.CONFIRMED else "payment_pending"
    outbox.add(session, appointment=appointment, kind=customer_kind, recipient=appointment.customer_email)
    outbox.add(session, appointment=appointment, kind="owner_booked", recipient=calendar.owner_email)
