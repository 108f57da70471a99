"""The staff console's day board and its actions (each one a service call with the staff principal)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import col, select

from booking_app.db import session_scope, utcnow
from booking_app.domain.status import ACTIVE_STATUSES, Status
from booking_app.errors import ValidationFailed
from booking_app.models import Appointment, AppointmentCheckIn, AppointmentType, Calendar
from booking_app.principal import Principal
from booking_app.services import audit, free_text
from booking_app.services.appointments import cancellation, checkin, outcomes, rescheduling, status_changes
from booking_app.services.appointments.queries import get_appointment
from booking_app.services.ids import parse_id
from booking_app.viewmodels.status_words import STAFF_STATUS_WORDS

DAY_START, DAY_END = 7, 21  # the timeline's hours, widened when appointments fall outside


@dataclass(frozen=True)
class BoardColumn:
    """One calendar's column of the timeline."""

    id: str
    name: str
    business: str
    timezone: str
    zone_label: str  # 'New York time'


@dataclass(frozen=True)
class BoardItem:
    """One appointment on the board: a block in its calendar's column and a row of the list."""

    id: str
    calendar_id: str
    calendar_name: str
    start_time: str  # ISO, for sorting
    time: str  # '09:30–10:00' in the calendar's zone
    customer: str
    email: str
    phone: str
    type: str
    notes: str
    staff_notes: str
    status: str  # a status, or 'checked_in' for a confirmed appointment whose customer arrived
    status_word: str
    top: str  # the block's position and size on the timeline, as CSS percentages
    height: str
    active: bool  # pending or confirmed: outcomes, cancel and propose apply
    can_check_in: bool
    version: int


@dataclass(frozen=True)
class DayBoard:
    columns: list[BoardColumn]
    items: list[BoardItem]  # by start time, across calendars
    hours: list[str]  # the hour axis: '07:00', '08:00', ...


def day_board(day: date) -> DayBoard:
    """Every calendar's appointments on `day` (each calendar's own local day), on one hour axis."""
    with session_scope() as session:
        calendars = list(session.exec(select(Calendar).order_by(Calendar.name)))
        type_names = dict(session.execute(sa.select(col(AppointmentType.id), col(AppointmentType.name))).all())
        per_calendar = [(calendar, ZoneInfo(calendar.timezone), _day_rows(session, calendar, day))
                        for calendar in calendars]
        ids = [row.id for _, _, rows in per_calendar for row in rows]
        checked = set(session.execute(sa.select(col(AppointmentCheckIn.appointment_id)).where(
            col(AppointmentCheckIn.appointment_id).in_(ids))).scalars()) if ids else set()
        first = min([DAY_START] + [r.start_time.astimezone(z).hour for _, z, rows in per_calendar for r in rows])
        last = max([DAY_END] + [min(24, r.end_time.astimezone(z).hour + 1) for _, z, rows in per_calendar
                                for r in rows])
        columns = [BoardColumn(id=str(c.id), name=c.name, business=c.business_name, timezone=c.timezone,
                               zone_label=zone_label(c.timezone)) for c, _, _ in per_calendar]
        items = [_item(row, calendar, zone, first, last, row.id in checked, type_names)
                 for calendar, zone, rows in per_calendar for row in rows]
        items.sort(key=lambda i: i.start_time)
        return DayBoard(columns=columns, items=items, hours=[f"{h:02d}:00" for h in range(first, last)])


def zone_label(tz: str) -> str:
    """'New York time': each column's hours are its calendar's own local time."""
    return f"{tz.rsplit('/', 1)[-1].replace('_', ' ')} time"


def _day_rows(session, calendar: Calendar, day: date) -> list[Appointment]:
    start = datetime.combine(day, time.min, tzinfo=ZoneInfo(calendar.timezone))
    return list(session.exec(select(Appointment).where(
        Appointment.calendar_id == calendar.id, Appointment.start_time >= start,
        Appointment.start_time < start + timedelta(days=1),
        sa.not_(sa.and_(col(Appointment.status) == Status.PENDING, col(Appointment.hold_kind) == "proposal")))
        .order_by(col(Appointment.start_time))))


def _item(row: Appointment, calendar: Calendar, zone: ZoneInfo, first: int, last: int, checked_in: bool,
          type_names: dict) -> BoardItem:
    local_start, local_end = row.start_time.astimezone(zone), row.end_time.astimezone(zone)
    span = (last - first) * 60
    offset = (local_start.hour - first) * 60 + local_start.minute
    status = "checked_in" if checked_in and row.status == Status.CONFIRMED else row.status
    return BoardItem(
        id=str(row.id), calendar_id=str(calendar.id), calendar_name=calendar.name,
        start_time=row.start_time.isoformat(), time=f"{local_start:%H:%M}–{local_end:%H:%M}",
        customer=row.customer_name, email=row.customer_email, phone=row.customer_phone or "",
        type=type_names.get(row.appointment_type_id, row.appointment_type), notes=row.notes or "",
        staff_notes=row.staff_notes or "",
        status=status, status_word="Checked in" if status == "checked_in" else STAFF_STATUS_WORDS[row.status],
        top=f"{100 * offset / span:.3f}%", height=f"{max(2.5, 100 * row.duration_minutes / span):.3f}%",
        active=row.status in ACTIVE_STATUSES,
        can_check_in=row.status == Status.CONFIRMED and not checked_in,
        version=row.version,
    )


def check_in(appointment_id: str, actor: Principal, method: str = "manual") -> None:
    with session_scope() as session:
        checkin.check_in(session, appointment_id=parse_id(appointment_id), method=method, notes=None,
                         actor=actor, token=None, now=utcnow())


def check_in_by_code(code: str, actor: Principal) -> str:
    """A scanned or typed QR code: the check-in URL (…?checkin=<id>) or the bare appointment id."""
    raw = code.strip().rsplit("checkin=", 1)[-1].split("&", 1)[0]
    try:
        appointment_id = str(uuid.UUID(raw))
    except ValueError as exc:
        raise ValidationFailed("That code is not a Slotwise check-in code.") from exc
    check_in(appointment_id, actor, method="qr_code")
    return appointment_id


def set_outcome(appointment_id: str, status: str, actor: Principal) -> None:
    with session_scope() as session:
        outcomes.set_status(session, appointment_id=parse_id(appointment_id), status=status, notes=None,
                                  actor=actor, now=utcnow())


def cancel_as_owner(appointment_id: str, reason: str, actor: Principal) -> None:
    with session_scope() as session:
        cancellation.cancel(session, appointment_id=parse_id(appointment_id), actor=actor, token=None,
                            reason=reason.strip() or "Cancelled by the business", party="owner", now=utcnow())


def propose_time(appointment_id: str, local_value: str, actor: Principal) -> None:
    """`local_value` is a datetime-local input ('2026-12-08T14:30') in the calendar's timezone."""
    with session_scope() as session:
        appointment = get_appointment(session, parse_id(appointment_id))
        zone = ZoneInfo(session.get_one(Calendar, appointment.calendar_id).timezone)
        try:
            start = datetime.fromisoformat(local_value).replace(tzinfo=zone)
        except ValueError as exc:
            raise ValidationFailed("Choose a date and time for the new appointment.") from exc
        rescheduling.start(session, appointment_id=appointment.id, actor=actor, token=None,
                           reason="Proposed from the console", new_start_time=start, now=utcnow())


def add_note(appointment_id: str, note: str, actor: Principal) -> None:
    text = note.strip()[:1000]
    if not text:
        raise ValidationFailed("Write a note first.")
    free_text.check({"note": text}, multi_line=("note",))
    with session_scope() as session:
        appointment = get_appointment(session, parse_id(appointment_id), for_update=True)
        status_changes.append_staff_note(appointment, text)
        appointment.version += 1
        appointment.updated_at = utcnow()
        audit.record(session, action="appointment.note_added", actor=actor, appointment=appointment,
                     data={"note": text})
