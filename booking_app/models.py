"""SQLModel tables. The schema itself lives in alembic/ migrations; these classes map it.

Timestamps are stored as UTC and always come back tz-aware (also on SQLite).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

from booking_app.db import utcnow
from booking_app.domain.policy import PARTIES
from booking_app.domain.status import STATUSES, Status


def in_sql(column: str, values: Iterable[str]) -> str:
    """`column IN ('a', 'b')`, the SQL the migrations wrote for a column that holds one of a few words."""
    quoted = ", ".join(f"'{value}'" for value in values)
    return f"{column} IN ({quoted})"


def one_of(column: str, values: Iterable[str], *, name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(in_sql(column, values), name=name)


ACTIVE_STATUSES_SQL = in_sql("status", (Status.PENDING, Status.CONFIRMED))
LOCATION_TYPES = ("in_person", "virtual", "phone")
CHANNELS = ("email", "sms", "push")
ROLES = ("admin", "staff")
REPLACEMENT_SQL = "rescheduled_from_id IS NOT NULL"


def table(model: type[SQLModel]) -> sa.Table:
    """A table model's Core table, for Core statements (SQLModel sets `__table__` but does not declare it)."""
    return model.__table__  # type: ignore[attr-defined]


class UTCDateTime(TypeDecorator):
    """tz-aware UTC datetimes on every backend (SQLite drops the offset otherwise)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


JSONType = sa.JSON().with_variant(JSONB(), "postgresql")
Money = sa.Numeric(10, 2)


def ts(nullable: bool = True, **kw) -> Any:
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, **kw)


def created_ts() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


def json_field(default_factory) -> Any:
    return Field(default_factory=default_factory, sa_type=JSONType, nullable=False)


def default_policy() -> dict:
    return {"lead_time_hours": 24, "late_cancellation": "block", "late_cancel_fee": 0, "refund_percent": 100}


def default_reminders() -> dict:
    return {"email": [1440, 60], "sms": [], "push": []}


class Calendar(SQLModel, table=True):
    __tablename__ = "calendars"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    slug: str = Field(max_length=80, unique=True)
    name: str = Field(max_length=200)
    business_name: str = Field(max_length=200)
    timezone: str = Field(max_length=64)
    owner_name: str | None = Field(default=None, max_length=200)
    owner_email: str | None = Field(default=None, max_length=255)
    owner_phone: str | None = Field(default=None, max_length=50)
    contact_email: str | None = Field(default=None, max_length=255)
    contact_phone: str | None = Field(default=None, max_length=50)
    support_email: str | None = Field(default=None, max_length=255)
    language: str = Field(default="en", max_length=10)
    weekly_hours: dict = json_field(dict)
    date_overrides: dict = json_field(dict)
    slot_interval_minutes: int = 30
    buffer_before_minutes: int = 0
    buffer_after_minutes: int = 0
    min_notice_minutes: int = 60
    max_advance_days: int = 60
    cancellation_policy: dict = json_field(default_policy)
    reschedule_window_hours: float | None = None
    hold_minutes: int = 15
    no_show_grace_minutes: int = 15
    reminders: dict = json_field(default_reminders)
    created_at: datetime = created_ts()
    updated_at: datetime = created_ts()


class AppointmentType(SQLModel, table=True):
    __tablename__ = "appointment_types"
    __table_args__ = (
        sa.UniqueConstraint("calendar_id", "slug", name="uq_type_calendar_slug"),
        sa.CheckConstraint("duration_minutes > 0", name="type_positive_duration"),
        one_of("location_type", LOCATION_TYPES, name="type_valid_location_type"),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    calendar_id: uuid.UUID = Field(foreign_key="calendars.id", index=True)
    slug: str = Field(max_length=100)
    name: str = Field(max_length=200)
    description: str | None = None
    duration_minutes: int
    price: Decimal = Field(default=Decimal("0"), sa_type=Money)
    currency: str = Field(default="USD", max_length=3)
    payment_required: bool = False
    location_type: str = Field(default="in_person", max_length=20)
    location_address: str | None = None
    meeting_provider: str | None = Field(default=None, max_length=50)
    meeting_link: str | None = None
    email_template: str = Field(default="default", max_length=50)
    active: bool = True
    created_at: datetime = created_ts()
    updated_at: datetime = created_ts()


class Contact(SQLModel, table=True):
    """The CRM stand-in: one row per customer email (stored lower-cased)."""

    __tablename__ = "contacts"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=255, unique=True)
    name: str = Field(max_length=255)
    phone: str | None = Field(default=None, max_length=50)
    timezone: str | None = Field(default=None, max_length=64)
    language: str | None = Field(default=None, max_length=10)
    created_at: datetime = created_ts()
    updated_at: datetime = created_ts()


class StaffUser(SQLModel, table=True):
    __tablename__ = "users"
    __table_args__ = (one_of("role", ROLES, name="user_valid_role"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    email: str = Field(max_length=255, unique=True)
    name: str = Field(max_length=200)
    password_hash: str
    role: str = Field(default="staff", max_length=10)
    active: bool = True
    created_at: datetime = created_ts()
    last_login_at: datetime | None = ts()


class StaffSession(SQLModel, table=True):
    __tablename__ = "staff_sessions"
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True)
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_ts()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    revoked_at: datetime | None = ts()


class ApiKey(SQLModel, table=True):
    __tablename__ = "api_keys"
    __table_args__ = (one_of("role", ROLES, name="api_key_valid_role"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    name: str = Field(max_length=200)
    role: str = Field(max_length=10)
    key_prefix: str = Field(max_length=16)
    key_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = created_ts()
    last_used_at: datetime | None = ts()
    revoked_at: datetime | None = ts()


class Appointment(SQLModel, table=True):
    __tablename__ = "appointments"
    __table_args__ = (
        one_of("status", STATUSES, name="valid_status"),
        one_of("location_type", LOCATION_TYPES, name="valid_location_type"),
        sa.CheckConstraint("end_time > start_time", name="valid_time_range"),
        sa.CheckConstraint("busy_end > busy_start", name="valid_busy_range"),
        sa.CheckConstraint("rescheduled_from_id IS DISTINCT FROM id", name="no_self_reschedule"),
        one_of("confirmation_status", ("pending", "sent", "confirmation_failed"), name="valid_confirmation_status"),
        sa.Index("ix_appointments_calendar_start", "calendar_id", "start_time", "id"),
        sa.Index("ix_appointments_start", "start_time", "id"),
        sa.Index("ix_appointments_customer_start", "customer_id", "start_time"),
        sa.Index("ix_appointments_email_start", "customer_email", "start_time"),
        sa.Index("ix_appointments_calendar_busy", "calendar_id", "busy_start", "busy_end"),
        # From migration 0002 (scale): see its docstring for the query each one serves.
        sa.Index("ix_appointments_status_start", "status", "start_time", "id"),
        sa.Index("ix_appointments_active_start", "start_time", "id",
                 postgresql_where=sa.text(ACTIVE_STATUSES_SQL), sqlite_where=sa.text(ACTIVE_STATUSES_SQL)),
        sa.Index("ix_appointments_replacements", "calendar_id", "start_time",
                 postgresql_where=sa.text(REPLACEMENT_SQL), sqlite_where=sa.text(REPLACEMENT_SQL)),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    calendar_id: uuid.UUID = Field(foreign_key="calendars.id")
    slot_id: uuid.UUID
    customer_id: uuid.UUID = Field(foreign_key="contacts.id")
    customer_email: str = Field(max_length=255)
    customer_phone: str | None = Field(default=None, max_length=50)
    customer_name: str = Field(max_length=255)
    start_time: datetime = Field(sa_type=UTCDateTime, nullable=False)
    end_time: datetime = Field(sa_type=UTCDateTime, nullable=False)
    duration_minutes: int
    timezone: str = Field(max_length=64)
    # busy_start/busy_end = start/end widened by the calendar's buffers; the exclusion constraint guards these.
    busy_start: datetime = Field(sa_type=UTCDateTime, nullable=False)
    busy_end: datetime = Field(sa_type=UTCDateTime, nullable=False)
    status: str = Field(default=Status.PENDING, max_length=20, index=True)
    cancellation_reason: str | None = None
    cancelled_by: str | None = Field(default=None, max_length=20)  # customer | owner | system
    cancelled_by_id: uuid.UUID | None = None  # the staff user / API key / contact who did it
    cancelled_at: datetime | None = ts()
    rescheduled_from_id: uuid.UUID | None = Field(default=None, foreign_key="appointments.id", index=True)
    rescheduled_to_id: uuid.UUID | None = Field(default=None, foreign_key="appointments.id", index=True)
    lineage_id: uuid.UUID = Field(index=True)  # shared by every appointment of one reschedule chain
    appointment_type: str = Field(max_length=100)
    appointment_type_id: uuid.UUID = Field(foreign_key="appointment_types.id")
    notes: str | None = None  # the customer's own, from booking; they read it back
    staff_notes: str | None = None  # the business's (console notes, PATCH /status notes); staff only
    location_type: str = Field(max_length=20)
    location_address: str | None = None
    meeting_link: str | None = None
    meeting_provider: str | None = Field(default=None, max_length=50)
    payment_required: bool = False
    payment_amount: Decimal | None = Field(default=None, sa_type=Money)
    payment_currency: str | None = Field(default=None, max_length=3)
    payment_status: str | None = Field(default=None, max_length=20)
    payment_id: str | None = Field(default=None, max_length=255)
    language: str = Field(default="en", max_length=10)
    confirmation_status: str = Field(default="pending", max_length=24)
    version: int = 1  # rises with every change; also the .ics SEQUENCE (continued across reschedules)
    manage_token_hash: str = Field(max_length=64, index=True)
    hold_expires_at: datetime | None = ts()  # pending rows only: unpaid booking or owner proposal
    hold_kind: str | None = Field(default=None, max_length=20)  # payment | proposal
    created_at: datetime = created_ts()
    updated_at: datetime = created_ts()
    confirmed_at: datetime | None = ts()
    completed_at: datetime | None = ts()


class AppointmentReminder(SQLModel, table=True):
    __tablename__ = "appointment_reminders"
    __table_args__ = (
        one_of("reminder_type", CHANNELS, name="valid_reminder_type"),
        one_of("status", ("pending", "sending", "sent", "failed", "cancelled"), name="valid_reminder_status"),
        sa.UniqueConstraint("appointment_id", "reminder_type", "offset_minutes", name="uq_reminder_per_offset"),
        sa.Index("ix_reminders_due", "scheduled_for", sqlite_where=sa.text("status = 'pending'"),
                 postgresql_where=sa.text("status = 'pending'")),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    appointment_id: uuid.UUID = Field(foreign_key="appointments.id", index=True)
    reminder_type: str = Field(max_length=20)
    offset_minutes: int
    scheduled_for: datetime = Field(sa_type=UTCDateTime, nullable=False)
    sent_at: datetime | None = ts()
    status: str = Field(default="pending", max_length=20, index=True)
    attempts: int = 0
    claimed_at: datetime | None = ts()  # a dead worker's claim goes stale (see dispatch.py)
    next_attempt_at: datetime | None = ts()  # after a failed attempt: when the sweep tries again
    last_error: str | None = None
    created_at: datetime = created_ts()


class AppointmentCancellation(SQLModel, table=True):
    __tablename__ = "appointment_cancellations"
    __table_args__ = (
        one_of("cancellation_type", PARTIES, name="valid_cancellation_type"),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    appointment_id: uuid.UUID = Field(foreign_key="appointments.id", index=True)
    cancelled_by_id: uuid.UUID | None = None
    reason: str
    cancellation_type: str = Field(max_length=20)
    refund_amount: Decimal | None = Field(default=None, sa_type=Money)
    refund_status: str | None = Field(default=None, max_length=50)
    late_cancel_fee: Decimal | None = Field(default=None, sa_type=Money)
    created_at: datetime = created_ts()


class AppointmentCheckIn(SQLModel, table=True):
    __tablename__ = "appointment_check_ins"
    __table_args__ = (
        one_of("check_in_method", ("qr_code", "manual", "link"), name="valid_check_in_method"),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    appointment_id: uuid.UUID = Field(foreign_key="appointments.id", unique=True)
    checked_in_by: uuid.UUID | None = None
    checked_in_by_kind: str = Field(default="staff", max_length=20)  # customer | staff
    checked_in_at: datetime = created_ts()
    check_in_method: str = Field(max_length=50)
    notes: str | None = None


class Payment(SQLModel, table=True):
    """Money movements per appointment: charges, refunds and late-cancel fees (revenue analytics read these)."""

    __tablename__ = "payments"
    __table_args__ = (
        one_of("kind", ("charge", "refund", "fee"), name="valid_payment_kind"),
        # Migration 0002: revenue analytics reads payments index-only (INCLUDE exists on PostgreSQL only).
        sa.Index("ix_payments_appointment_money", "appointment_id",
                 postgresql_include=["kind", "status", "amount", "currency"]).ddl_if(dialect="postgresql"),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    appointment_id: uuid.UUID = Field(foreign_key="appointments.id", index=True)
    kind: str = Field(max_length=10)
    amount: Decimal = Field(sa_type=Money)
    currency: str = Field(default="USD", max_length=3)
    status: str = Field(default="processed", max_length=20)
    provider: str = Field(default="manual", max_length=30)
    provider_ref: str | None = Field(default=None, max_length=255)
    created_at: datetime = created_ts()


class Notification(SQLModel, table=True):
    """The outbox: one row per message; unique per (appointment, kind, channel, version)."""

    __tablename__ = "notifications"
    __table_args__ = (
        sa.UniqueConstraint("appointment_id", "kind", "channel", "version", name="uq_notification_once"),
        one_of("channel", CHANNELS, name="valid_notification_channel"),
        one_of("status", ("pending", "sending", "sent", "failed", "dropped"), name="valid_notification_status"),
        sa.Index("ix_notifications_due", "status", "next_attempt_at"),
    )
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    appointment_id: uuid.UUID = Field(foreign_key="appointments.id", index=True)
    kind: str = Field(max_length=50)
    channel: str = Field(max_length=10)
    recipient: str = Field(max_length=255)
    version: int
    status: str = Field(default="pending", max_length=20)
    attempts: int = 0
    next_attempt_at: datetime | None = ts()
    claimed_at: datetime | None = ts()
    sent_at: datetime | None = ts()
    last_error: str | None = None
    payload: dict = json_field(dict)
    created_at: datetime = created_ts()
    updated_at: datetime = created_ts()


class PushSubscription(SQLModel, table=True):
    __tablename__ = "push_subscriptions"
    __table_args__ = (sa.UniqueConstraint("lineage_id", "endpoint", name="uq_push_per_lineage"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    lineage_id: uuid.UUID = Field(index=True)
    endpoint: str
    p256dh: str = Field(max_length=255)
    auth: str = Field(max_length=255)
    created_at: datetime = created_ts()


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_events"
    __table_args__ = (sa.Index("ix_audit_appointment_created", "appointment_id", "created_at"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    appointment_id: uuid.UUID | None = Field(default=None, foreign_key="appointments.id")
    entity_type: str = Field(max_length=40)
    entity_id: str = Field(max_length=64)
    action: str = Field(max_length=60)
    actor_type: str = Field(max_length=20)  # customer | staff | api_key | system
    actor_id: str | None = Field(default=None, max_length=64)
    actor_label: str | None = Field(default=None, max_length=255)
    from_status: str | None = Field(default=None, max_length=20)
    to_status: str | None = Field(default=None, max_length=20)
    data: dict = json_field(dict)
    created_at: datetime = created_ts()


class IdempotencyKey(SQLModel, table=True):
    __tablename__ = "idempotency_keys"
    __table_args__ = (sa.UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),)
    id: uuid.UUID = Field(default_factory=uuid.uuid4, primary_key=True)
    scope: str = Field(max_length=255)
    key: str = Field(max_length=255)
    request_hash: str = Field(max_length=64)
    status: str = Field(default="in_progress", max_length=20)  # in_progress | completed
    response_status: int | None = None
    response_body: dict | None = Field(default=None, sa_type=JSONType)
    created_at: datetime = created_ts()
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)
