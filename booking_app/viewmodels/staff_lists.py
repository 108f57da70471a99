"""The staff appointments page: the list API's filters and cursor, and one appointment's full record."""
from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import col, select

from booking_app.db import session_scope
from booking_app.models import Notification
from booking_app.principal import Principal
from booking_app.readmodels.appointments import appointment_detail, appointment_dicts
from booking_app.services.appointments import queries as appointments
from booking_app.services.ids import parse_id
from booking_app.services.messaging import notifications

PAGE = 25


@dataclass(frozen=True)
class AppointmentRow:
    id: str
    when: str  # '2026-12-08 14:30 UTC'
    customer: str
    email: str
    type: str
    status: str
    calendar: str


@dataclass(frozen=True)
class AppointmentPage:
    rows: list[AppointmentRow]
    next_cursor: str  # '' after the last page


@dataclass(frozen=True)
class AppointmentDetail:
    id: str
    customer_name: str
    customer_email: str
    start_time: str
    status: str
    appointment_type: str
    confirmation_status: str
    staff_notes: str


@dataclass(frozen=True)
class AuditEntry:
    at: str  # '2026-12-08 14:30:05' (UTC)
    action: str  # 'appointment.created'
    who: str  # the actor's label, else its kind


@dataclass(frozen=True)
class MessageRow:
    id: str
    kind: str
    channel: str
    recipient: str
    status: str
    attempts: int
    error: str


@dataclass(frozen=True)
class AppointmentRecord:
    """One appointment as staff see it: the details, the audit trail and every message sent about it."""

    detail: AppointmentDetail
    history: list[AuditEntry]
    messages: list[MessageRow]


def search(*, calendar_id: str, status: str, email: str, start: str, end: str,
           cursor: str | None) -> AppointmentPage:
    filters = appointments.ListFilters(
        calendar_id=parse_id(calendar_id, "calendar") if calendar_id else None,
        statuses=appointments.parse_statuses(status),
        customer_email=email.strip().lower() or None,
        start_from=appointments.date_bound(start or None, field="start_date", end=False),
        start_before=appointments.date_bound(end or None, field="end_date", end=True))
    with session_scope() as session:
        rows, next_cursor = appointments.list_appointments(session, filters=filters, limit=PAGE, cursor=cursor)
        items = [AppointmentRow(id=d["id"], when=d["start_time"][:16].replace("T", " ") + " UTC",
                                customer=d["customer_name"], email=d["customer_email"], type=d["appointment_type"],
                                status=d["status"], calendar=d["calendar"]["name"])
                 for d in appointment_dicts(session, rows)]
    return AppointmentPage(rows=items, next_cursor=next_cursor or "")


def record(appointment_id: str) -> AppointmentRecord:
    with session_scope() as session:
        appointment = appointments.get_appointment(session, parse_id(appointment_id))
        detail = appointment_detail(session, appointment)
        sent = session.exec(select(Notification).where(Notification.appointment_id == appointment.id)
                            .order_by(col(Notification.created_at)))
        messages = [MessageRow(id=str(n.id), kind=n.kind, channel=n.channel, recipient=n.recipient, status=n.status,
                               attempts=n.attempts, error=n.last_error or "") for n in sent]
    shown = {k: str(detail[k] or "") for k in ("id", "customer_name", "customer_email", "start_time", "status",
                                                "appointment_type", "confirmation_status", "staff_notes")}
    return AppointmentRecord(
        detail=AppointmentDetail(**shown),
        history=[AuditEntry(at=h["at"][:19].replace("T", " "), action=h["action"], who=h["actor"] or h["actor_type"])
                 for h in detail["history"]],
        messages=messages)


def retry(notification_id: str, actor: Principal) -> None:
    with session_scope() as session:
        notifications.retry_failed(session, notification_id=parse_id(notification_id, "message"), actor=actor)
