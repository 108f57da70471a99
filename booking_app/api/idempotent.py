"""Idempotency-Key handling shared by the booking and lifecycle routes."""
from __future__ import annotations

import uuid

from fastapi.responses import JSONResponse

from booking_app.db import session_scope
from booking_app.services.appointments import queries as appointments
from booking_app.services.operations import idempotency


def idempotent(scope: str, key: str | None, payload: object, handler,
               secret: idempotency.Secret | None = None) -> JSONResponse:
    status, body = idempotency.run(scope=scope, key=key, payload=payload, handler=handler, secret=secret)
    return JSONResponse(status_code=status, content=body)


def manage_token_of(appointment_id: str) -> str | None:
    with session_scope() as session:
        return appointments.manage_token_of(session, uuid.UUID(appointment_id))
