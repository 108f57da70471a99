"""The staff appointments page: the list API's filters and cursor, and one appointment's full record."""
from __future__ import annotations

from sqlmodel import col, select

from booking_app.db import session_scope
from booking_app.models import Notification
from booking_app.principal import Principal
from booking_app.readmodels.appointments import appointment_detail, appointment_dicts
from booking_app.services.appointments import queries as appointments
from booking_app.services.ids import parse_id
from booking_app.services.messaging import notifications

PAGE = 25


def search(*, calendar_id: str, status: str, email: str, start: str, end: str, cursor: str | None) -> dict:
    filters = appointments.ListFilters(
        calendar_id=parse_id(calendar_id, "calendar") if calendar_id else None,
        statuses=appointments.parse_statuses(status),
        customer_email=email.strip().lower() or None,
        start_from=appointments.date_bound(start or None, field="start_date", end=False),
        start_before=appointments.date_bound(end or None, field="end_date", end=True))
    with session_scope() as session:
        rows, next_cursor = appointments.list_appointments(session, filters=filters, limit=PAGE, cursor=cursor)
        items = [{"id": d["id"], "when": d["start_time"][:16].replace("T", " ") + " UTC",
                  "customer": d["customer_name"], "email": d["customer_email"], "type": d["appointment_type"],
                  "status": d["status"],
                  "calendar": d["calendar"]["name"]} for d in appointment_dicts(session, rows)]
    return {"items": items, "next_cursor": next_cursor or ""}


def record(appointment_id: str) -> dict:
    with session_scope() as session:
        appointment = appointments.get_appointment(session, parse_id(appointment_id))
        detail = appointment_detail(session, appointment)
        sent = session.exec(select(Notification).where(Notification.appointment_id == appointment.id)
                            .order_by(col(Notification.created_at)))
        detail["notifications"] = [
            {"id": str(n.id), "kind": n.kind, "channel": n.channel, "recipient": n.recipient, "status": n.status,
             "attempts": str(n.attempts), "error": n.last_error or ""} for n in sent]
        return detail


def retry(notification_id: str, actor: Principal) -> None:
    with session_scope() as session:
        notifications.retry_failed(session, notification_id=parse_id(notification_id, "message"), actor=actor)
