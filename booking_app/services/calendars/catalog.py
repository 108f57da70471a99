"""Calendars and appointment types: the minimal calendar module the spec depends on."""
from __future__ import annotations

import re
import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from booking_app.db import is_unique_violation, utcnow
from booking_app.domain.availability import (
    AvailabilityRules,
    InvalidHours,
    normalize_date_overrides,
    normalize_weekly_hours,
)
from booking_app.domain.money import as_number
from booking_app.domain.policy import CancellationPolicy
from booking_app.domain.tz import is_valid_timezone
from booking_app.errors import Conflict, NotFound, invalid
from booking_app.models import CHANNELS, AppointmentType, Calendar
from booking_app.principal import Principal
from booking_app.services import audit, free_text

MAX_REMINDER_MINUTES = 60 * 24 * 30


def slugify(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")[:80] or "calendar"


def _validated_calendar_fields(data: dict[str, Any]) -> dict[str, Any]:
    """Check what a schema cannot: real timezones, sane hours, a coherent policy; and the text rule
    for callers without a schema (the settings page)."""
    free_text.check(data)
    out = dict(data)
    if "timezone" in out and not is_valid_timezone(out["timezone"]):
        raise invalid("timezone", f"'{out['timezone']}' is not an IANA timezone such as Europe/London.")
    try:
        if "weekly_hours" in out:
            out["weekly_hours"] = normalize_weekly_hours(out["weekly_hours"])
        if "date_overrides" in out:
            out["date_overrides"] = normalize_date_overrides(out["date_overrides"] or {})
    except InvalidHours as exc:
        raise invalid("weekly_hours" if "weekly_hours" in out else "date_overrides", str(exc)) from exc
    if "cancellation_policy" in out:
        try:
            policy = CancellationPolicy.from_dict(out["cancellation_policy"])
        except ValueError as exc:
            raise invalid("cancellation_policy", str(exc)) from exc
        out["cancellation_policy"] = {
            "lead_time_hours": policy.lead_time_hours,
            "late_cancellation": policy.late_cancellation,
            "late_cancel_fee": as_number(policy.late_cancel_fee),  # stored as JSON: the one JSON form
            "refund_percent": policy.refund_percent,
        }
    if "reminders" in out:
        out["reminders"] = _validated_reminders(out["reminders"] or {})
    if "slug" in out and out["slug"] is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,79}", out["slug"]):
        raise invalid("slug", "Use 1 to 80 lower-case letters, digits and dashes.")
    return out


def _validated_reminders(value: dict) -> dict:
    if not isinstance(value, dict) or set(value) - set(CHANNELS):
        raise invalid("reminders", "Reminders are {'email': [...], 'sms': [...], 'push': [...]} in minutes.")
    result = {}
    for channel in CHANNELS:
        minutes = value.get(channel, [])
        if not isinstance(minutes, list) or not all(
            isinstance(m, int) and not isinstance(m, bool) and 0 < m <= MAX_REMINDER_MINUTES for m in minutes
        ):
            raise invalid("reminders",
                          f"{channel} reminders must be whole minutes between 1 and {MAX_REMINDER_MINUTES}.")
        result[channel] = sorted(set(minutes), reverse=True)
    return result


def rules_for(calendar: Calendar) -> AvailabilityRules:
    return AvailabilityRules(
        timezone=calendar.timezone,
        weekly_hours=calendar.weekly_hours,
        date_overrides=calendar.date_overrides,
        slot_interval_minutes=calendar.slot_interval_minutes,
        buffer_before_minutes=calendar.buffer_before_minutes,
        buffer_after_minutes=calendar.buffer_after_minutes,
        min_notice_minutes=calendar.min_notice_minutes,
        max_advance_days=calendar.max_advance_days,
    )


def policy_for(calendar: Calendar) -> CancellationPolicy:
    return CancellationPolicy.from_dict(calendar.cancellation_policy)


def reschedule_window_hours(calendar: Calendar) -> float:
    if calendar.reschedule_window_hours is not None:
        return calendar.reschedule_window_hours
    return policy_for(calendar).lead_time_hours


def _commit_unique(session: Session, what: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        if not is_unique_violation(exc):
            raise
        raise Conflict(f"{what} already exists.") from exc


def _apply(session: Session, row: Calendar | AppointmentType, fields: dict[str, Any], *, entity_type: str,
           actor: Principal, taken: str) -> None:
    """An update: the validated fields, a new updated_at, `taken` (a Conflict) when the slug is, and which
    fields changed in the audit trail."""
    for name, value in fields.items():
        setattr(row, name, value)
    row.updated_at = utcnow()
    _commit_unique(session, taken)
    audit.record(session, action=f"{entity_type}.updated", actor=actor, entity_type=entity_type,
                 entity_id=str(row.id), data={"fields": sorted(fields)})


def create_calendar(session: Session, *, data: dict[str, Any], actor: Principal) -> Calendar:
    fields = _validated_calendar_fields(data)
    fields["slug"] = fields.get("slug") or slugify(fields["name"])
    fields["business_name"] = fields.get("business_name") or fields["name"]
    calendar = Calendar(**fields)
    session.add(calendar)
    _commit_unique(session, f"A calendar with the slug '{calendar.slug}'")
    audit.record(session, action="calendar.created", actor=actor, entity_type="calendar",
                 entity_id=str(calendar.id), data={"name": calendar.name})
    return calendar


def get_calendar(session: Session, ref: uuid.UUID | str) -> Calendar:
    """By id or by slug (the booking page URL uses the slug)."""
    calendar = None
    try:
        calendar = session.get(Calendar, uuid.UUID(str(ref)))
    except ValueError:
        calendar = session.exec(select(Calendar).where(Calendar.slug == str(ref))).first()
    if calendar is None:
        raise NotFound("No calendar with that id.", field="calendar_id")
    return calendar


def list_calendars(session: Session) -> list[Calendar]:
    return list(session.exec(select(Calendar).order_by(Calendar.name)))


def update_calendar(session: Session, *, calendar_id: uuid.UUID, data: dict[str, Any], actor: Principal) -> Calendar:
    calendar = get_calendar(session, calendar_id)
    _apply(session, calendar, _validated_calendar_fields(data), entity_type="calendar", actor=actor,
           taken="A calendar with that slug")
    return calendar


def _validated_type_fields(data: dict[str, Any]) -> dict[str, Any]:
    free_text.check(data, multi_line=("description", "location_address"))
    if "slug" in data and not re.fullmatch(r"[a-z0-9][a-z0-9_-]{0,99}", data["slug"] or ""):
        raise invalid("slug", "Use 1 to 100 lower-case letters, digits, dashes and underscores.")
    return data


def create_type(session: Session, *, calendar_id: uuid.UUID, data: dict[str, Any], actor: Principal) -> AppointmentType:
    calendar = get_calendar(session, calendar_id)
    appointment_type = AppointmentType(calendar_id=calendar.id, **_validated_type_fields(data))
    session.add(appointment_type)
    _commit_unique(session, f"An appointment type '{appointment_type.slug}' on this calendar")
    audit.record(session, action="appointment_type.created", actor=actor, entity_type="appointment_type",
                 entity_id=str(appointment_type.id), data={"slug": appointment_type.slug})
    return appointment_type


def list_types(session: Session, *, calendar_id: uuid.UUID, include_inactive: bool = True) -> list[AppointmentType]:
    query = select(AppointmentType).where(AppointmentType.calendar_id == calendar_id)
    if not include_inactive:
        query = query.where(col(AppointmentType.active).is_(True))
    return list(session.exec(query.order_by(col(AppointmentType.duration_minutes), col(AppointmentType.name))))


def get_type(session: Session, *, calendar_id: uuid.UUID, slug: str, active_only: bool = False) -> AppointmentType:
    appointment_type = session.exec(
        select(AppointmentType).where(AppointmentType.calendar_id == calendar_id, AppointmentType.slug == slug)
    ).first()
    if appointment_type is None or (active_only and not appointment_type.active):
        raise NotFound(f"This calendar has no appointment type '{slug}'.", field="appointment_type")
    return appointment_type


def update_type(session: Session, *, calendar_id: uuid.UUID, slug: str, data: dict[str, Any],
                actor: Principal) -> AppointmentType:
    appointment_type = get_type(session, calendar_id=calendar_id, slug=slug)
    _apply(session, appointment_type, _validated_type_fields(data), entity_type="appointment_type", actor=actor,
           taken="An appointment type with that slug")
    return appointment_type
