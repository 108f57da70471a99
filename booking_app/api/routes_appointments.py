"""Appointments: booking (public), lists and details (staff or manage token)."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Header, Query, Request
from fastapi.responses import JSONResponse

from booking_app.api import deps
from booking_app.api.idempotent import idempotent, manage_token_of
from booking_app.api.ratelimit import client_ip, public_rate_limit
from booking_app.api.responses import (
    AppointmentDetail,
    AppointmentList,
    CustomerAppointment,
    CustomerBooking,
    StaffBooking,
    json_body,
)
from booking_app.api.schemas import BookingIn, errors
from booking_app.db import session_scope, utcnow
from booking_app.principal import Principal
from booking_app.readmodels.appointments import appointment_dicts
from booking_app.readmodels.customer_record import detail_for
from booking_app.services.access import limits
from booking_app.services.appointments import queries as appointments
from booking_app.services.appointments.booking import BookingRequest, book
from booking_app.services.operations import idempotency
from booking_app.services.operations.idempotency import principal_scope

router = APIRouter(prefix="/api/v1/appointments", tags=["appointments"])


def booking_secret(body: dict) -> str | None:
    """A 201 carries the new appointment's manage token (also inside its links)."""
    return manage_token_of(body["id"]) if "manage_token" in body else None


@router.post("", status_code=201, summary="Book an appointment (public; staff may override availability)",
             dependencies=[Depends(public_rate_limit)], response_model=StaffBooking | CustomerBooking,
             description="Staff get the staff record, anyone else the customer's; both with `manage_token`.",
             responses=errors(401, 403, 404, 409, 422, 429,
                              s403="forbidden: only staff may book outside the offered slots",
                              s409="slot_unavailable with available_slots, or request_in_progress",
                              s422="validation_error, lead_time_violation with available_slots, "
                                   "or idempotency_key_reused"))
def create_appointment(body: BookingIn, http: Request, actor: Principal = Depends(deps.caller),
                       idempotency_key: str | None = Header(None)) -> JSONResponse:
    if not actor.is_staff:  # one budget with the booking page (limits.booking): per client address and per email
        limits.booking(client_ip(http), body.customer_email)

    def handler() -> tuple[int, dict]:
        request = BookingRequest(**body.model_dump())
        with session_scope() as session:
            result = book(session, request=request, actor=actor, now=utcnow())
            # Built from the rows just written (no reads), and recorded with the booking: a retry after a
            # crash gets this 201, never a second booking attempt.
            created = {**result.detail(staff=actor.is_staff), "manage_token": result.manage_token}
            response = json_body(StaffBooking if actor.is_staff else CustomerBooking, created)
            idempotency.record(session, 201, response, token=result.manage_token)
        return 201, response

    payload = body.model_dump(mode="json")
    return idempotent(f"POST /appointments {principal_scope(actor, None)}", idempotency_key, payload, handler,
                      secret=booking_secret)


@router.get("", summary="List appointments (staff), ordered by start_time then id, cursor-paginated",
            response_model=AppointmentList, responses=errors(401, 422))
def list_appointments(
    _: Principal = Depends(deps.staff),
    calendar_id: uuid.UUID | None = None,
    customer_id: uuid.UUID | None = None,
    customer_email: str | None = Query(None, max_length=255),
    status: str | None = Query(None, max_length=200, description="Comma-separated statuses"),
    appointment_type: str | None = Query(None, max_length=100),
    start_date: str | None = Query(None, max_length=40, description="On start_time; a date = that UTC day"),
    end_date: str | None = Query(None, max_length=40, description="Inclusive; a date = through that UTC day"),
    limit: int = Query(50, ge=1, le=200),
    cursor: str | None = Query(None, max_length=500),
) -> dict:
    filters = appointments.ListFilters(
        calendar_id=calendar_id, customer_id=customer_id, customer_email=customer_email,
        statuses=appointments.parse_statuses(status), appointment_type=appointment_type,
        start_from=appointments.date_bound(start_date, field="start_date", end=False),
        start_before=appointments.date_bound(end_date, field="end_date", end=True),
    )
    with session_scope() as session:
        rows, next_cursor = appointments.list_appointments(session, filters=filters, limit=limit, cursor=cursor)
        return {"items": appointment_dicts(session, rows), "next_cursor": next_cursor}


@router.get("/{appointment_id}", summary="One appointment with reminders, cancellation, check-in and history",
            description="Staff get the full record (staff notes, the audit trail with actors). With a manage "
                        "token, the customer's record: their own fields, links with the token, and a `history` "
                        "in their words (`event`, `at`, `by`: you|business|system, `description`).",
            response_model=AppointmentDetail | CustomerAppointment, responses=errors(401, 403, 404, 422))
def get_appointment(appointment_id: uuid.UUID, actor: Principal = Depends(deps.caller),
                    token: str | None = Depends(deps.manage_token)) -> dict:
    with session_scope() as session:
        appointment = appointments.get_appointment(session, appointment_id)
        appointments.authorize(appointment, actor=actor, token=token)
        return detail_for(session, appointment, actor=actor, token=token)
