"""Finding appointments: by id (staff or manage token) and filtered lists with keyset cursors."""
from __future__ import annotations

import base64
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from booking_app.domain.status import STATUSES
from booking_app.errors import Forbidden, NotFound, ValidationFailed
from booking_app.links import manage_token_for
from booking_app.models import Appointment, table
from booking_app.principal import Principal
from booking_app.services.access.tokens import hash_token


def get_appointment(session: Session, appointment_id: uuid.UUID, *, for_update: bool = False) -> Appointment:
    query = select(Appointment).where(Appointment.id == appointment_id)
    if for_update:
        query = query.with_for_update()
    appointment = session.exec(query).first()
    if appointment is None:
        raise NotFound("No appointment with that id.")
    return appointment


def customer_principal(appointment: Appointment) -> Principal:
    return Principal(kind="customer", id=appointment.customer_id, label=appointment.customer_email,
                     actor_type="customer")


def authorize(appointment: Appointment, *, actor: Principal, token: str | None) -> Principal:
    """Staff may act on any appointment; a customer only with the manage token of its lineage."""
    if actor.is_staff:
        return actor
    if token and hmac.compare_digest(hash_token(token), appointment.manage_token_hash):
        return customer_principal(appointment)
    raise Forbidden("This needs the manage link from your confirmation email, or a staff API key.")


def manage_token_of(session: Session, appointment_id: uuid.UUID) -> str | None:
    """An appointment's manage token, derived again (a stored response keeps only its hash)."""
    appointment = session.get(Appointment, appointment_id)
    return manage_token_for(appointment.lineage_id) if appointment else None


def find_by_token(session: Session, token: str) -> Appointment:
    """The newest appointment of the lineage this manage token belongs to, leaving out staff proposals
    that were not accepted (open, declined or expired: an accepted one loses its hold_kind). Until the
    customer accepts, the time they booked is still theirs to see, cancel or move."""
    unaccepted_proposal = sa.func.coalesce(Appointment.hold_kind, "") == "proposal"
    appointment = session.exec(
        select(Appointment).where(Appointment.manage_token_hash == hash_token(token))
        .order_by(unaccepted_proposal, col(Appointment.created_at).desc(), col(Appointment.version).desc())
    ).first()
    if appointment is None:
        raise NotFound("This manage link is not valid. Check the link in your confirmation email.")
    return appointment


@dataclass(frozen=True)
class ListFilters:
    calendar_id: uuid.UUID | None = None
    customer_id: uuid.UUID | None = None
    customer_email: str | None = None
    statuses: tuple[str, ...] = ()
    appointment_type: str | None = None
    start_from: datetime | None = None  # inclusive, on start_time
    start_before: datetime | None = None  # exclusive


def parse_statuses(value: str | None) -> tuple[str, ...]:
    if not value:
        return ()
    statuses = tuple(s.strip() for s in value.split(",") if s.strip())
    unknown = [s for s in statuses if s not in STATUSES]
    if unknown:
        raise ValidationFailed(f"Unknown status {', '.join(unknown)}; use {', '.join(sorted(STATUSES))}.",
                               details=[{"field": "status"}])
    return statuses


def date_bound(value: str | None, *, field: str, end: bool) -> datetime | None:
    """A plain date means that whole day in UTC; a datetime is taken as it is."""
    if not value:
        return None
    try:
        if len(value) == 10:
            day = date.fromisoformat(value)
            moment = datetime.combine(day, time(0), tzinfo=UTC)
            return moment + timedelta(days=1) if end else moment
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise ValidationFailed(f"{field} must be a date (2026-02-15) or an ISO 8601 time with offset.",
                               details=[{"field": field}]) from exc
    if moment.tzinfo is None:
        raise ValidationFailed(f"{field} needs a UTC offset, e.g. 2026-02-15T14:00:00Z.", details=[{"field": field}])
    return moment


def encode_cursor(appointment: Appointment) -> str:
    raw = json.dumps({"t": appointment.start_time.isoformat(), "i": str(appointment.id)})
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(raw["t"]), uuid.UUID(raw["i"])
    except (ValueError, KeyError, TypeError) as exc:
        raise ValidationFailed("The cursor is not one this API gave out.", details=[{"field": "cursor"}]) from exc


def _conditions(f: ListFilters) -> list[sa.ColumnElement[bool]]:
    conditions: list[sa.ColumnElement[bool]] = []
    if f.calendar_id:
        conditions.append(col(Appointment.calendar_id) == f.calendar_id)
    if f.customer_id:
        conditions.append(col(Appointment.customer_id) == f.customer_id)
    if f.customer_email:
        conditions.append(col(Appointment.customer_email) == f.customer_email.strip().lower())
    if f.statuses:
        conditions.append(col(Appointment.status).in_(f.statuses))
    if f.appointment_type:
        conditions.append(col(Appointment.appointment_type) == f.appointment_type)
    if f.start_from:
        conditions.append(col(Appointment.start_time) >= f.start_from)
    if f.start_before:
        conditions.append(col(Appointment.start_time) < f.start_before)
    return conditions


def list_appointments(session: Session, *, filters: ListFilters, limit: int = 50,
                      cursor: str | None = None) -> tuple[list[Appointment], str | None]:
    """Ordered by (start_time, id); the cursor is the last row's key, so inserts and cancellations
    between pages never make a row repeat or go missing."""
    query = select(Appointment).where(*_conditions(filters))
    if cursor:
        after_time, after_id = decode_cursor(cursor)
        query = query.where(sa.tuple_(Appointment.start_time, Appointment.id) > sa.tuple_(
            sa.literal(after_time, type_=table(Appointment).c.start_time.type),
            sa.literal(after_id, type_=table(Appointment).c.id.type)))
    rows = list(session.exec(query.order_by(col(Appointment.start_time), col(Appointment.id)).limit(limit + 1)))
    next_cursor = encode_cursor(rows[limit - 1]) if len(rows) > limit else None
    return rows[:limit], next_cursor
