"""Free slots for a calendar and type, from the database's busy ranges and the pure availability rules."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlmodel import Session, col, select

from booking_app.domain.availability import Slot, generate_slots, nearest_slots
from booking_app.domain.status import ACTIVE_STATUSES
from booking_app.errors import ValidationFailed
from booking_app.models import Appointment, AppointmentType, Calendar
from booking_app.services.calendars.catalog import rules_for
from booking_app.timefmt import iso

MAX_RANGE = timedelta(days=62)
MIN_ALTERNATIVES = 3


def busy_intervals(session: Session, *, calendar_id: uuid.UUID, start: datetime, end: datetime,
                   exclude_ids: tuple[uuid.UUID, ...] = ()) -> list[tuple[datetime, datetime]]:
    """Busy ranges (buffers included) of slot-holding appointments that touch [start, end)."""
    query = select(Appointment.busy_start, Appointment.busy_end).where(
        Appointment.calendar_id == calendar_id,
        col(Appointment.status).in_(ACTIVE_STATUSES),
        Appointment.busy_end > start,
        Appointment.busy_start < end,
    )
    if exclude_ids:
        query = query.where(col(Appointment.id).not_in(exclude_ids))
    return [(row[0], row[1]) for row in session.exec(query)]


def overlapping(session: Session, *, calendar_id: uuid.UUID, busy_start: datetime, busy_end: datetime,
                exclude_ids: tuple[uuid.UUID, ...] = ()) -> bool:
    return bool(busy_intervals(session, calendar_id=calendar_id, start=busy_start, end=busy_end,
                               exclude_ids=exclude_ids))


def free_slots(session: Session, *, calendar: Calendar, appointment_type: AppointmentType, start: datetime,
               end: datetime, now: datetime, exclude_ids: tuple[uuid.UUID, ...] = ()) -> list[Slot]:
    if end <= start:
        raise ValidationFailed("The end of the range must be after its start.", details=[{"field": "end"}])
    if end - start > MAX_RANGE:
        raise ValidationFailed("Ask for at most 62 days of slots at a time.", details=[{"field": "end"}])
    rules = rules_for(calendar)
    pad = timedelta(minutes=appointment_type.duration_minutes + rules.buffer_before_minutes
                    + rules.buffer_after_minutes)
    busy = busy_intervals(session, calendar_id=calendar.id, start=start - pad, end=end + pad,
                          exclude_ids=exclude_ids)
    return generate_slots(
        calendar_id=calendar.id, appointment_type=appointment_type.slug,
        duration_minutes=appointment_type.duration_minutes, rules=rules,
        range_start=start, range_end=end, now=now, busy=busy,
    )


def alternatives(session: Session, *, calendar: Calendar, appointment_type: AppointmentType, target: datetime,
                 now: datetime, n: int = 5, exclude_ids: tuple[uuid.UUID, ...] = ()) -> list[Slot]:
    """The free slots nearest to `target`: first around it, then across the whole booking horizon."""
    horizon_start = now
    horizon_end = now + timedelta(days=calendar.max_advance_days, hours=1)
    windows = [(max(horizon_start, target - timedelta(days=3)), min(horizon_end, target + timedelta(days=14)))]
    windows.append((horizon_start, horizon_end))
    found: list[Slot] = []
    for lo, hi in windows:
        found = []
        cursor = lo
        while cursor < hi:  # free_slots caps one call at MAX_RANGE
            step_end = min(hi, cursor + MAX_RANGE)
            found += free_slots(session, calendar=calendar, appointment_type=appointment_type,
                                start=cursor, end=step_end, now=now, exclude_ids=exclude_ids)
            cursor = step_end
        if len(found) >= MIN_ALTERNATIVES:
            break
    return nearest_slots(found, target, n)


def slot_dict(slot: Slot, calendar_id: uuid.UUID) -> dict:
    return {
        "slot_id": str(slot.slot_id),
        "start_time": iso(slot.start),
        "end_time": iso(slot.end),
        "calendar_id": str(calendar_id),
    }
