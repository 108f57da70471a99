"""Service-level tests: use cases called directly inside `session_scope()` with an explicit `now`, on
SQLite and PostgreSQL (the `database` fixture is parametrized over both). The HTTP contract lives in
tests/integration; here each test reads back the rows a use case wrote in its transaction.

Every test makes its own calendar, so tests never see each other's bookings (the periodic sweeps do
see every row: their tests assert on their own appointments only). Background jobs go to Redis
(TEST_REDIS_URL), where no worker runs: outbox rows stay as the use case wrote them, and a test can
ask which jobs were enqueued after commit.

Times are fixed instants: NOW is a Monday; DST tests use a calendar in America/New_York around the
2026 clock changes (spring forward 2026-03-08 02:00, fall back 2026-11-01 02:00)."""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs, urlparse
from zoneinfo import ZoneInfo

import pytest
import redis
import sqlalchemy as sa
from rq.job import Job

from booking_app import errors
from booking_app.db import session_scope
from booking_app.models import (
    Appointment,
    AppointmentCancellation,
    AppointmentCheckIn,
    AppointmentReminder,
    AuditEvent,
    Calendar,
    Notification,
    Payment,
)
from booking_app.principal import ANONYMOUS, Principal
from booking_app.services.appointments import booking, cancellation, payments
from booking_app.services.calendars import catalog
from booking_app.settings import get_settings
from tests.conftest import use_env

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # a Monday, noon UTC
NEW_YORK = ZoneInfo("America/New_York")
STAFF = Principal(kind="staff", role="admin", id=uuid.UUID(int=7), label="service tests", actor_type="staff")
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
OPEN_8_TO_20 = {d: [["08:00", "20:00"]] for d in DAYS}
ALL_DAY = {d: [["00:00", "24:00"]] for d in DAYS}
PRICE = Decimal("50.00")
CONSULT = {"slug": "consult", "name": "Consultation", "duration_minutes": 30}
PAID = {"slug": "paid", "name": "Paid session", "duration_minutes": 30, "price": PRICE, "currency": "USD",
        "payment_required": True}


@pytest.fixture(autouse=True)
def services_env(database, redis_url, monkeypatch) -> Iterator[str]:
    """Both databases; jobs queue in Redis with nobody consuming them."""
    use_env(monkeypatch, {"REDIS_URL": redis_url})
    yield database
    monkeypatch.undo()
    get_settings.cache_clear()


# --- times ---------------------------------------------------------------------------------------

def at(days: int, hour: int, minute: int = 0) -> datetime:
    """NOW's date plus `days`, at hour:minute UTC."""
    return datetime.combine(NOW.date() + timedelta(days=days), time(hour, minute), tzinfo=UTC)


def ny(year: int, month: int, day: int, hour: int, minute: int = 0, second: int = 0, *, fold: int = 0) -> datetime:
    """A wall-clock time in New York (fold=1: the second 01:xx of the fall-back night)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=NEW_YORK, fold=fold)


def utc(value: datetime) -> datetime:
    return value.astimezone(UTC)


def as_time(value: datetime | str) -> datetime:
    return datetime.fromisoformat(value) if isinstance(value, str) else value


def slot_starts(slots: Any) -> list[datetime]:
    """Start times of offered slots: `Slot`s, or the dicts of an error body (`start_time` in ISO 8601)."""
    return [as_time(s["start_time"]) if isinstance(s, dict) else s.start for s in slots]


# --- arranging -----------------------------------------------------------------------------------

def make_calendar(*, types: tuple[dict, ...] = (CONSULT, PAID), **settings: Any) -> Calendar:
    """A fresh calendar (UTC, open 08:00-20:00 daily, 15-minute grid, default policy and reminders)."""
    data = {"name": "Service tests", "business_name": "Service Tests", "timezone": "UTC",
            "slug": f"svc-{uuid.uuid4().hex[:12]}", "weekly_hours": OPEN_8_TO_20, "slot_interval_minutes": 15,
            "owner_email": "owner@clinic.example", **settings}
    with session_scope() as session:
        calendar = catalog.create_calendar(session, data=data, actor=STAFF)
        for appointment_type in types:
            catalog.create_type(session, calendar_id=calendar.id, data=dict(appointment_type), actor=STAFF)
    return calendar


def ny_calendar(**settings: Any) -> Calendar:
    """A New York calendar open around the clock (so DST nights have slots), booking up to a year ahead."""
    return make_calendar(**{"timezone": "America/New_York", "weekly_hours": ALL_DAY, "slot_interval_minutes": 30,
                            "min_notice_minutes": 0, "max_advance_days": 365, **settings})


def booking_request(calendar: Calendar, start: datetime, *, type_slug: str = "consult", minutes: int = 30,
                    email: str = "ann@example.com", phone: str | None = None, **extra: Any) -> booking.BookingRequest:
    start = utc(start)  # as the API hands it over (see test_zone_aware_start_times_are_taken_as_instants)
    return booking.BookingRequest(calendar_id=calendar.id, appointment_type=type_slug, start_time=start,
                                  end_time=start + timedelta(minutes=minutes), customer_email=email,
                                  customer_name="Ann Example", timezone="America/New_York", customer_phone=phone,
                                  **extra)


def book(calendar: Calendar, start: datetime, *, now: datetime = NOW, actor: Principal = ANONYMOUS,
         **request: Any) -> booking.BookingResult:
    with session_scope() as session:
        return booking.book(session, request=booking_request(calendar, start, **request), actor=actor, now=now)


def book_paid(calendar: Calendar, start: datetime, *, now: datetime = NOW, paid_at: datetime | None = None,
              **request: Any) -> booking.BookingResult:
    """A booking of the paid type; confirmed by its payment at `paid_at` when given (else left pending)."""
    booked = book(calendar, start, now=now, type_slug="paid", **request)
    if paid_at is not None:
        pay(booked.appointment.id, now=paid_at)
    return booked


def pay(appointment_id: uuid.UUID, *, now: datetime, amount: Decimal = PRICE) -> Appointment:
    with session_scope() as session:
        return payments.confirm_payment(session, appointment_id=appointment_id, payment_id=f"pay_{uuid.uuid4().hex}",
                                        amount=amount, actor=STAFF, now=now)


def cancel(booked: booking.BookingResult, *, now: datetime, party: str = "customer",
           actor: Principal = ANONYMOUS, reason: str = "Plans changed"):
    """Cancel with the customer's manage token (staff need none)."""
    with session_scope() as session:
        return cancellation.cancel(session, appointment_id=booked.appointment.id, actor=actor,
                                   token=booked.manage_token, reason=reason, party=party, now=now)


# --- reading back --------------------------------------------------------------------------------

def reload(appointment_id: uuid.UUID) -> Appointment:
    with session_scope() as session:
        return session.get(Appointment, appointment_id)


def rows_of(model, appointment_id: uuid.UUID, session=None) -> list:
    """Rows of `model` about one appointment, oldest first (in `session` when given: the same transaction)."""
    query = sa.select(model).where(model.appointment_id == appointment_id)
    if hasattr(model, "created_at"):
        query = query.order_by(model.created_at)
    if session is not None:
        return list(session.execute(query).scalars())
    with session_scope() as own:
        return list(own.execute(query).scalars())


def audit_actions(appointment_id: uuid.UUID, session=None) -> list[str]:
    return [event.action for event in rows_of(AuditEvent, appointment_id, session)]


def audit_event(appointment_id: uuid.UUID, action: str) -> AuditEvent:
    (event,) = [e for e in rows_of(AuditEvent, appointment_id) if e.action == action]
    return event


def outbox_kinds(appointment_id: uuid.UUID, session=None) -> set[tuple[str, str]]:
    """(kind, recipient) of the outbox rows about one appointment."""
    return {(n.kind, n.recipient) for n in rows_of(Notification, appointment_id, session)}


def outbox_row(appointment_id: uuid.UUID, kind: str) -> Notification:
    (row,) = [n for n in rows_of(Notification, appointment_id) if n.kind == kind]
    return row


def money_moves(appointment_id: uuid.UUID) -> set[tuple[str, Decimal, str]]:
    """(kind, amount, status) of the payment rows of one appointment."""
    return {(p.kind, Decimal(p.amount), p.status) for p in rows_of(Payment, appointment_id)}


def reminder_states(appointment_id: uuid.UUID) -> dict[tuple[str, int], str]:
    """{(channel, offset minutes): status} of one appointment's reminders."""
    return {(r.reminder_type, r.offset_minutes): r.status for r in rows_of(AppointmentReminder, appointment_id)}


def cancellation_record(appointment_id: uuid.UUID) -> AppointmentCancellation:
    (record,) = rows_of(AppointmentCancellation, appointment_id)
    return record


def check_ins(appointment_id: uuid.UUID) -> list[AppointmentCheckIn]:
    return rows_of(AppointmentCheckIn, appointment_id)


def field(result: Any, name: str) -> Any:
    """A use case's result field, whether it is a dict (today) or a typed result (after the refactor)."""
    return result[name] if isinstance(result, dict) else getattr(result, name)


def link_param(url: str, name: str) -> str:
    return parse_qs(urlparse(url).query)[name][0]


# --- errors and jobs -----------------------------------------------------------------------------

@contextmanager
def refused(code: str, **extra: Any) -> Iterator[pytest.ExceptionInfo]:
    """The block ends with a service error of this API code (and these extra body fields)."""
    with pytest.raises(errors.ServiceError) as caught:
        yield caught
    assert caught.value.code == code, caught.value.body()
    for name, value in extra.items():
        assert caught.value.extra[name] == value, caught.value.body()


def _redis() -> redis.Redis:
    return redis.Redis.from_url(get_settings().redis_url)


def job_enqueued(job_id: str) -> bool:
    return Job.exists(job_id, connection=_redis())


def queued_reminder_ids() -> set[str]:
    """Every reminder id that a queued send_reminders job carries."""
    from booking_app.queue import rq_queue
    from booking_app.services.messaging.dispatch import REMINDERS_JOB

    queue = rq_queue(get_settings().redis_url, get_settings().rq_queue)
    return {reminder_id for job in queue.jobs if job.func_name == REMINDERS_JOB for reminder_id in job.args[0]}
