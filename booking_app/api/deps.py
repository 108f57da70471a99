"""Who is calling: bearer API keys for staff, manage tokens for customers."""
from __future__ import annotations

from fastapi import Header, Query

from booking_app.db import session_scope
from booking_app.services import api_keys
from booking_app.services.errors import Forbidden, Unauthorized
from booking_app.services.principal import ANONYMOUS, Principal


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("Send the API key as 'Authorization: Bearer <key>'.")
    return value.strip()


def caller(authorization: str | None = Header(None)) -> Principal:
    """The staff principal for a valid key, ANONYMOUS without one; a bad key is always an error."""
    secret = _bearer(authorization)
    if secret is None:
        return ANONYMOUS
    with session_scope() as session:
        return api_keys.authenticate(session, secret)


def staff(authorization: str | None = Header(None)) -> Principal:
    principal = caller(authorization)
    if not principal.is_staff:
        raise Unauthorized("This needs a staff API key: 'Authorization: Bearer <key>'.")
    return principal


def admin(authorization: str | None = Header(None)) -> Principal:
    principal = staff(authorization)
    if not principal.is_admin:
        raise Forbidden("This needs an admin API key.")
    return principal


def manage_token(
    x_manage_token: str | None = Header(None, max_length=200),
    token: str | None = Query(None, max_length=200),
) -> str | None:
    return x_manage_token or token
