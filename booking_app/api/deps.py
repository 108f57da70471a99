"""Who is calling: bearer API keys for staff, manage tokens for customers.

Staff-only routes depend on `staff`/`admin`, which declare the `StaffApiKey` security scheme, so the
OpenAPI document marks exactly those operations as needing a key (tests/security enumerates them).
Routes where a key is optional (customer routes, booking) depend on `caller`, documented as an
optional `Authorization` header instead."""
from __future__ import annotations

from fastapi import Header, Query, Request, Security
from fastapi.security import HTTPBearer

from booking_app.db import session_scope
from booking_app.errors import Forbidden, Unauthorized, ValidationFailed
from booking_app.principal import ANONYMOUS, Principal
from booking_app.services.access import api_keys


def _bearer(authorization: str | None) -> str | None:
    if not authorization:
        return None
    scheme, _, value = authorization.partition(" ")
    if scheme.lower() != "bearer" or not value.strip():
        raise Unauthorized("Send the API key as 'Authorization: Bearer <key>'.")
    return value.strip()


def _principal(secret: str | None) -> Principal:
    if secret is None:
        return ANONYMOUS
    with session_scope() as session:
        return api_keys.authenticate(session, secret)


class StaffApiKey(HTTPBearer):
    """The bearer scheme in the OpenAPI document; yields the raw key (or None) with our own errors."""

    async def __call__(self, request: Request) -> str | None:  # type: ignore[override]
        return _bearer(request.headers.get("Authorization"))


staff_api_key = StaffApiKey(scheme_name="StaffApiKey", auto_error=False,
                            description="A staff or admin API key: `booking-app api-key create`.")


def caller(authorization: str | None = Header(
        None, description="Optional staff API key, 'Bearer <key>'; customers send none")) -> Principal:
    """The staff principal for a valid key, ANONYMOUS without one; a bad key is always an error."""
    return _principal(_bearer(authorization))


def staff(secret: str | None = Security(staff_api_key)) -> Principal:
    principal = _principal(secret)
    if not principal.is_staff:
        raise Unauthorized("This needs a staff API key: 'Authorization: Bearer <key>'.")
    return principal


def admin(principal: Principal = Security(staff, scopes=["admin"])) -> Principal:  # the role, in the document
    if not principal.is_admin:
        raise Forbidden("This needs an admin API key.")
    return principal


def manage_token(
    x_manage_token: str | None = Header(None, max_length=200),
    token: str | None = Query(None, max_length=200),
) -> str | None:
    return x_manage_token or token


def _query_names(dependant) -> set[str]:
    return {p.alias for p in dependant.query_params}.union(*(_query_names(d) for d in dependant.dependencies))


async def no_nul_characters(request: Request) -> None:
    """PostgreSQL text cannot hold NUL (U+0000): a NUL in a path or (declared) query parameter is a
    422 here instead of a 500 from the database. Bodies are checked by the schemas."""
    route = request.scope.get("route")
    declared = _query_names(route.dependant) if route is not None and hasattr(route, "dependant") else set()
    values = [*request.path_params.items(), *((k, v) for k, v in request.query_params.multi_items() if k in declared)]
    bad = sorted({name for name, value in values if "\x00" in str(value)})
    if bad:
        raise ValidationFailed(f"Some fields are missing or invalid: {', '.join(bad)}.",
                               details=[{"field": name, "message": "must not contain NUL characters",
                                         "type": "nul_character"} for name in bad])
