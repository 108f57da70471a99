"""Customer conveniences: the .ics download, the check-in QR image and web-push opt-in."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from booking_app.api import deps
from booking_app.api.responses import PushSubscriptionOut, VapidKey
from booking_app.api.schemas import PushSubscriptionIn, errors
from booking_app.db import session_scope, utcnow
from booking_app.domain.status import CANCELLED_STATUSES
from booking_app.models import Calendar
from booking_app.notify.ics import build_ics
from booking_app.principal import Principal
from booking_app.services.appointments.checkin import check_in_url, qr_png
from booking_app.services.appointments.queries import authorize, get_appointment
from booking_app.services.messaging import push
from booking_app.settings import get_settings

router = APIRouter(prefix="/api/v1", tags=["customer"])


@router.get("/appointments/{appointment_id}/calendar.ics", summary="iCalendar file (METHOD:PUBLISH)",
            response_class=Response, response_model=None,
            responses={200: {"content": {"text/calendar": {"schema": {"type": "string"}}}},
                       **errors(401, 403, 404, 422)})
def calendar_file(appointment_id: uuid.UUID, actor: Principal = Depends(deps.caller),
                  token: str | None = Depends(deps.manage_token)) -> Response:
    body = _for_appointment(appointment_id, actor, token, lambda session, appointment: build_ics(
        appointment, session.get(Calendar, appointment.calendar_id),
        method="CANCEL" if appointment.status in CANCELLED_STATUSES else "PUBLISH"))
    return Response(body, media_type="text/calendar; charset=utf-8",
                    headers={"Content-Disposition": 'attachment; filename="appointment.ics"'})


@router.get("/appointments/{appointment_id}/check-in-qr.png", summary="The check-in QR code as a PNG (emails show it)",
            response_class=Response, response_model=None,
            responses={200: {"content": {"image/png": {"schema": {"type": "string", "format": "binary"}}}},
                       **errors(401, 403, 404, 422)})
def check_in_qr(appointment_id: uuid.UUID, actor: Principal = Depends(deps.caller),
                token: str | None = Depends(deps.manage_token)) -> Response:
    image = _for_appointment(appointment_id, actor, token,
                             lambda _, appointment: qr_png(check_in_url(appointment.id, appointment.lineage_id)))
    return Response(image, media_type="image/png", headers={"Cache-Control": "private, max-age=86400"})


def _for_appointment(appointment_id: uuid.UUID, actor: Principal, token: str | None, build):
    """`build(session, appointment)` for an appointment the caller may see (staff, or its manage token)."""
    with session_scope() as session:
        appointment = get_appointment(session, appointment_id)
        authorize(appointment, actor=actor, token=token)
        return build(session, appointment)


@router.post("/appointments/{appointment_id}/push-subscriptions", status_code=201,
             summary="Opt in to push reminders (manage token)", response_model=PushSubscriptionOut,
             responses=errors(401, 403, 404, 422, s422="url_not_allowed: the endpoint is not an https URL of a public "
                                                       "host (checked again at each send); or validation_error"))
def subscribe_push(appointment_id: uuid.UUID, body: PushSubscriptionIn, actor: Principal = Depends(deps.caller),
                   token: str | None = Depends(deps.manage_token)) -> dict:
    with session_scope() as session:
        subscription = push.subscribe(session, appointment_id=appointment_id, endpoint=body.endpoint,
                                      p256dh=body.keys.p256dh, auth=body.keys.auth, actor=actor, token=token,
                                      now=utcnow())
        return {"id": str(subscription.id), "endpoint": subscription.endpoint}


@router.get("/push/vapid-public-key", summary="The VAPID key browsers subscribe with", response_model=VapidKey)
def vapid_public_key() -> dict:
    return {"public_key": get_settings().vapid_public_key or None}
