"""The /api/v1 FastAPI application, mounted into the Reflex backend via api_transformer.

Every error leaves as {"error": code, "message": sentence, ...}; no input yields a 500 page.
"""
from __future__ import annotations

import logging

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from booking_app.api import (
    deps,
    routes_analytics,
    routes_appointments,
    routes_calendars,
    routes_customer,
    routes_lifecycle,
)
from booking_app.api.responses import Health
from booking_app.db import get_engine
from booking_app.errors import ServiceError
from booking_app.notify import render
from booking_app.settings import get_settings

log = logging.getLogger(__name__)

DESCRIPTION = """Slotwise implements SPEC-CAL-002 Appointments.

Errors are JSON: `{"error": "<code>", "message": "<sentence>", ...}`. Staff calls carry
`Authorization: Bearer <api key>`; customers use the manage token from their booking
(`X-Manage-Token` header or `?token=`). Times are ISO 8601; the API returns UTC (`Z`)."""


def _error(status: int, code: str, message: str, headers: dict | None = None, **extra) -> JSONResponse:
    return JSONResponse(status_code=status, content={"error": code, "message": message, **extra}, headers=headers)


def _field_name(loc: tuple) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def install_error_handlers(api: FastAPI) -> None:
    @api.exception_handler(ServiceError)
    async def service_error(_: Request, exc: ServiceError) -> JSONResponse:
        headers = {"Retry-After": str(exc.extra["retry_after"])} if "retry_after" in exc.extra else None
        return JSONResponse(status_code=exc.status_code, content=exc.body(), headers=headers)

    @api.exception_handler(RequestValidationError)
    async def validation_error(_: Request, exc: RequestValidationError) -> JSONResponse:
        details = [{"field": _field_name(tuple(e.get("loc", ()))), "message": e.get("msg", "invalid"),
                    "type": e.get("type")} for e in exc.errors()]
        if any(d["type"] == "json_invalid" for d in details):
            message = "The request body is not valid JSON."
        else:
            message = "Some fields are missing or invalid: " + ", ".join(sorted({d["field"] for d in details})) + "."
        return _error(422, "validation_error", message, details=details)

    @api.exception_handler(StarletteHTTPException)
    async def http_error(_: Request, exc: StarletteHTTPException) -> JSONResponse:
        if exc.status_code == 400:  # FastAPI could not decode the body (e.g. not UTF-8): as any non-JSON body
            return _error(422, "validation_error", "The request body is not valid JSON.",
                          details=[{"field": "body", "message": str(exc.detail), "type": "json_invalid"}])
        code = {404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http_error")
        message = {404: "Nothing here: check the path.", 405: "This path does not accept that method."}.get(
            exc.status_code, str(exc.detail))
        return _error(exc.status_code, code, message)

    @api.exception_handler(Exception)
    async def unexpected(_: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled API error")
        return _error(500, "internal_error", "Something went wrong on our side; nothing was changed. Try again.")


def create_api_app() -> FastAPI:
    get_settings().require_secrets()  # no start with a missing, default or short SECRET_KEY (DATABASE_URL set)
    render.validate_all()  # a template that cannot render stops the start, never sends a blank email
    api = FastAPI(title="Slotwise API", version="1.0.0", description=DESCRIPTION,
                  openapi_url="/api/v1/openapi.json", docs_url="/api/v1/docs", redoc_url=None,
                  dependencies=[Depends(deps.no_nul_characters)])
    install_error_handlers(api)
    api.include_router(routes_calendars.router)
    api.include_router(routes_analytics.router)
    api.include_router(routes_appointments.router)
    api.include_router(routes_lifecycle.router)
    api.include_router(routes_customer.router)

    @api.get("/api/v1/health", tags=["operations"], summary="Liveness of the database and the queue",
             response_model=Health,
             responses={503: {"model": Health, "description": "The database is unavailable (status degraded)"}})
    def health() -> JSONResponse:
        settings = get_settings()
        body = {"status": "ok", "database": "ok", "queue": "embedded" if not settings.redis_url else "ok"}
        try:
            with get_engine().connect() as connection:
                connection.execute(sa.text("SELECT 1"))
        except Exception:  # noqa: BLE001
            body.update(status="degraded", database="unavailable")
        if settings.redis_url:
            try:
                import redis

                redis.Redis.from_url(settings.redis_url, socket_timeout=2).ping()
            except Exception:  # noqa: BLE001
                body["queue"] = "unavailable"
        return JSONResponse(status_code=200 if body["database"] == "ok" else 503, content=body)

    @api.api_route("/api/v1/{path:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                   include_in_schema=False)
    def not_found(path: str) -> JSONResponse:
        return _error(404, "not_found", f"There is no API endpoint /api/v1/{path}.")

    return api
