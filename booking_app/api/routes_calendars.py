"""Calendars, appointment types (admin setup) and public slots."""
from __future__ import annotations

import uuid

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from booking_app.api import deps
from booking_app.api.ratelimit import public_rate_limit
from booking_app.api.responses import (
    AppointmentTypeList,
    AppointmentTypeOut,
    CalendarList,
    CalendarOut,
    PublicCalendarOut,
    SlotList,
)
from booking_app.api.schemas import (
    AppointmentTypeCreate,
    AppointmentTypeFields,
    CalendarCreate,
    CalendarPatch,
    errors,
    set_fields,
)
from booking_app.db import session_scope, utcnow
from booking_app.domain.money import cents
from booking_app.models import AppointmentType, Calendar
from booking_app.principal import Principal
from booking_app.services.calendars import catalog as calendars
from booking_app.services.calendars.slots import free_slots, slot_dict
from booking_app.timefmt import iso

router = APIRouter(prefix="/api/v1/calendars", tags=["calendars"])

PUBLIC_CALENDAR_FIELDS = ("id", "slug", "name", "business_name", "timezone", "language", "contact_email",
                          "contact_phone", "weekly_hours", "date_overrides", "slot_interval_minutes",
                          "min_notice_minutes", "max_advance_days", "cancellation_policy",
                          "reschedule_window_hours", "hold_minutes")


def calendar_dict(calendar: Calendar, *, full: bool) -> dict:
    body = calendar.model_dump(mode="json")
    body["reschedule_window_hours"] = calendars.reschedule_window_hours(calendar)
    body["created_at"], body["updated_at"] = iso(calendar.created_at), iso(calendar.updated_at)
    return body if full else {k: body[k] for k in PUBLIC_CALENDAR_FIELDS}


def type_dict(appointment_type: AppointmentType) -> dict:
    body = appointment_type.model_dump(mode="json")
    body["price"] = cents(appointment_type.price)
    body["created_at"], body["updated_at"] = iso(appointment_type.created_at), iso(appointment_type.updated_at)
    return body


@router.post("", status_code=201, summary="Create a calendar (admin)", response_model=CalendarOut,
             responses=errors(401, 403, 409, 422))
def create_calendar(body: CalendarCreate, actor: Principal = Depends(deps.admin)) -> dict:
    with session_scope() as session:
        calendar = calendars.create_calendar(session, data=set_fields(body), actor=actor)
        return calendar_dict(calendar, full=True)


@router.get("", summary="List calendars (staff)", response_model=CalendarList, responses=errors(401))
def list_calendars(_: Principal = Depends(deps.staff)) -> dict:
    with session_scope() as session:
        return {"items": [calendar_dict(c, full=True) for c in calendars.list_calendars(session)]}


@router.get("/{calendar_ref}", summary="A calendar by id or slug (public fields unless staff)",
            response_model=CalendarOut | PublicCalendarOut, responses=errors(401, 404, 422))
def get_calendar(calendar_ref: str, actor: Principal = Depends(deps.caller)) -> dict:
    with session_scope() as session:
        return calendar_dict(calendars.get_calendar(session, calendar_ref), full=actor.is_staff)


@router.patch("/{calendar_id}", summary="Change calendar settings (admin)", response_model=CalendarOut,
              responses=errors(401, 403, 404, 409, 422))
def patch_calendar(calendar_id: uuid.UUID, body: CalendarPatch, actor: Principal = Depends(deps.admin)) -> dict:
    with session_scope() as session:
        calendar = calendars.update_calendar(session, calendar_id=calendar_id, data=set_fields(body), actor=actor)
        return calendar_dict(calendar, full=True)


@router.post("/{calendar_id}/appointment-types", status_code=201, summary="Create an appointment type (admin)",
             response_model=AppointmentTypeOut, responses=errors(401, 403, 404, 409, 422))
def create_type(calendar_id: uuid.UUID, body: AppointmentTypeCreate, actor: Principal = Depends(deps.admin)) -> dict:
    with session_scope() as session:
        return type_dict(calendars.create_type(session, calendar_id=calendar_id, data=set_fields(body), actor=actor))


@router.get("/{calendar_ref}/appointment-types", summary="Appointment types (active ones unless staff)",
            response_model=AppointmentTypeList, responses=errors(401, 404, 422))
def list_types(calendar_ref: str, actor: Principal = Depends(deps.caller)) -> dict:
    with session_scope() as session:
        calendar = calendars.get_calendar(session, calendar_ref)
        types = calendars.list_types(session, calendar_id=calendar.id, include_inactive=actor.is_staff)
        return {"items": [type_dict(t) for t in types]}


@router.patch("/{calendar_id}/appointment-types/{slug}", summary="Change an appointment type (admin)",
              response_model=AppointmentTypeOut, responses=errors(401, 403, 404, 409, 422))
def patch_type(calendar_id: uuid.UUID, slug: str, body: AppointmentTypeFields,
               actor: Principal = Depends(deps.admin)) -> dict:
    with session_scope() as session:
        appointment_type = calendars.update_type(session, calendar_id=calendar_id, slug=slug,
                                                 data=set_fields(body), actor=actor)
        return type_dict(appointment_type)


@router.get("/{calendar_ref}/slots", summary="Free slots (public)", dependencies=[Depends(public_rate_limit)],
            response_model=SlotList, responses=errors(404, 422, 429))
def get_slots(
    calendar_ref: str,
    appointment_type: str = Query(..., min_length=1, max_length=100),
    start: AwareDatetime = Query(..., description="Range start, ISO 8601 with offset"),
    end: AwareDatetime = Query(..., description="Range end (exclusive), at most 62 days after start"),
) -> dict:
    with session_scope() as session:
        calendar = calendars.get_calendar(session, calendar_ref)
        appointment_type_row = calendars.get_type(session, calendar_id=calendar.id, slug=appointment_type,
                                                  active_only=True)
        slots = free_slots(session, calendar=calendar, appointment_type=appointment_type_row,
                           start=start, end=end, now=utcnow())
        return {"calendar_id": str(calendar.id), "appointment_type": appointment_type_row.slug,
                "timezone": calendar.timezone, "slots": [slot_dict(s, calendar.id) for s in slots]}
