"""Lifecycle: cancel, reschedule (+ owner proposals), status, check-in, payment."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Header
from fastapi.responses import JSONResponse

from booking_app.api import deps
from booking_app.api.idempotent import idempotent, manage_token_of
from booking_app.api.responses import (
    AppointmentDetail,
    CancellationOut,
    CheckInOut,
    CustomerAppointment,
    ProposalOut,
    RescheduleHoldOut,
    json_body,
    reschedule_body,
)
from booking_app.api.schemas import (
    CancelIn,
    CheckInIn,
    PaymentIn,
    ProposalAnswerIn,
    RescheduleConfirmIn,
    RescheduleIn,
    StatusIn,
    errors,
)
from booking_app.db import session_scope, utcnow
from booking_app.principal import Principal
from booking_app.readmodels.appointments import appointment_detail
from booking_app.readmodels.customer_record import customer_detail, detail_for
from booking_app.services.appointments import cancellation, checkin, outcomes, payments, rescheduling
from booking_app.services.operations import idempotency
from booking_app.services.operations.idempotency import principal_scope

router = APIRouter(prefix="/api/v1/appointments", tags=["lifecycle"])


@router.post("/{appointment_id}/cancel", summary="Cancel (customer with manage token; owner/system with staff key)",
             response_model=CancellationOut,
             responses=errors(401, 403, 404, 409, 422,
                              s403="cancellation_not_allowed inside the policy window (block mode), or forbidden"))
def cancel(appointment_id: uuid.UUID, body: CancelIn, actor: Principal = Depends(deps.caller),
           token: str | None = Depends(deps.manage_token),
           idempotency_key: str | None = Header(None)) -> JSONResponse:
    def handler() -> tuple[int, dict]:
        with session_scope() as session:
            result = cancellation.cancel(session, appointment_id=appointment_id, actor=actor, token=token,
                                         reason=body.reason, party=body.cancelled_by, now=utcnow())
            response = CancellationOut.of(result).model_dump(mode="json")
            idempotency.record(session, 200, response)  # with the cancellation: a retry after a crash gets it
        return 200, response

    def secret(response: dict) -> str | None:  # a refusal links to rescheduling with the manage token
        return manage_token_of(str(appointment_id)) if "reschedule_url" in response else None

    scope = f"cancel {appointment_id} {principal_scope(actor, token)}"
    return idempotent(scope, idempotency_key, body.model_dump(mode="json"), handler, secret)


@router.post("/{appointment_id}/reschedule", summary="Start a reschedule (holds the current slot) or, as staff, "
                                                     "propose new_start_time to the customer",
             response_model=RescheduleHoldOut | ProposalOut,
             responses=errors(401, 403, 404, 409, 422,
                              s403="reschedule_not_allowed inside the policy window, or forbidden"))
def reschedule(appointment_id: uuid.UUID, body: RescheduleIn, actor: Principal = Depends(deps.caller),
               token: str | None = Depends(deps.manage_token)) -> RescheduleHoldOut | ProposalOut:
    with session_scope() as session:
        started = rescheduling.start(session, appointment_id=appointment_id, actor=actor, token=token,
                                     reason=body.reason, new_start_time=body.new_start_time, now=utcnow())
    return reschedule_body(started)


@router.put("/{appointment_id}/reschedule/confirm", summary="Move to the new time; returns the NEW appointment",
            response_model=AppointmentDetail | CustomerAppointment,
            responses=errors(401, 403, 404, 409, 410, 422, s403="invalid_reschedule_token",
                             s409="slot_unavailable with the closest alternatives, or invalid_transition",
                             s410="reschedule_token_expired"))
def reschedule_confirm(appointment_id: uuid.UUID, body: RescheduleConfirmIn, actor: Principal = Depends(deps.caller),
                       idempotency_key: str | None = Header(None)) -> JSONResponse:
    def handler() -> tuple[int, dict]:
        with session_scope() as session:
            new = rescheduling.confirm(session, appointment_id=appointment_id,
                                       reschedule_token=body.reschedule_token, new_start_time=body.new_start_time,
                                       new_end_time=body.new_end_time, new_slot_id=body.new_slot_id, actor=actor,
                                       now=utcnow())
            moved = detail_for(session, new, actor=actor, token=None)
            response = json_body(AppointmentDetail if actor.is_staff else CustomerAppointment, moved)
            idempotency.record(session, 200, response)  # with the move: a retry after a crash gets it
        return 200, response

    scope = f"reschedule {appointment_id} {principal_scope(actor, body.reschedule_token)}"
    return idempotent(scope, idempotency_key, body.model_dump(mode="json"), handler)


@router.post("/{appointment_id}/proposal", summary="Accept or decline an owner-proposed time (signed link)",
             response_model=CustomerAppointment,
             responses=errors(403, 404, 409, 410, 422, s403="invalid_reschedule_token",
                              s410="reschedule_token_expired"))
def answer_proposal(appointment_id: uuid.UUID, body: ProposalAnswerIn) -> dict:
    with session_scope() as session:
        result = rescheduling.answer_proposal(session, proposal_id=appointment_id, answer_token=body.answer_token,
                                              accept=body.answer == "accept", now=utcnow())
        return customer_detail(session, result, token=None)


@router.patch("/{appointment_id}/status", summary="Change status (staff): only legal transitions",
              response_model=AppointmentDetail, responses=errors(401, 404, 409, 422))
def patch_status(appointment_id: uuid.UUID, body: StatusIn, actor: Principal = Depends(deps.staff)) -> dict:
    with session_scope() as session:
        appointment = outcomes.set_status(session, appointment_id=appointment_id, status=body.status,
                                                notes=body.notes, actor=actor, now=utcnow())
        return appointment_detail(session, appointment)


@router.post("/{appointment_id}/check-in", status_code=201, summary="Check in (manual: staff; link/QR: token)",
             response_model=CheckInOut,
             responses=errors(401, 403, 404, 409, 422,
                              s409="already_checked_in, check_in_not_open or invalid_transition"))
def check_in(appointment_id: uuid.UUID, body: CheckInIn, actor: Principal = Depends(deps.caller),
             token: str | None = Depends(deps.manage_token),
             idempotency_key: str | None = Header(None)) -> JSONResponse:
    def handler() -> tuple[int, dict]:
        with session_scope() as session:
            record = checkin.check_in(session, appointment_id=appointment_id, method=body.method, notes=body.notes,
                                      actor=actor, token=token, now=utcnow())
            response = CheckInOut.of(record).model_dump(mode="json")
            idempotency.record(session, 201, response)  # with the check-in: a retry after a crash gets it
        return 201, response

    scope = f"check-in {appointment_id} {principal_scope(actor, token)}"
    return idempotent(scope, idempotency_key, body.model_dump(mode="json"), handler)


@router.post("/{appointment_id}/payment", summary="Record a payment (staff or provider webhook): pending → confirmed",
             response_model=AppointmentDetail, responses=errors(401, 404, 409, 422))
def payment(appointment_id: uuid.UUID, body: PaymentIn, actor: Principal = Depends(deps.staff)) -> dict:
    with session_scope() as session:
        appointment = payments.confirm_payment(session, appointment_id=appointment_id, payment_id=body.payment_id,
                                               amount=body.amount, actor=actor, now=utcnow())
        return appointment_detail(session, appointment)
