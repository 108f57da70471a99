"""The notification outbox: rows written in the business transaction, sent by jobs after commit."""
from __future__ import annotations

from sqlmodel import Session

from booking_app import queue
from booking_app.db import after_commit, utcnow
from booking_app.models import Appointment, Notification
from booking_app.settings import get_settings

SEND_JOB = "jobs.notifications.send_notification"


def add(session: Session, *, appointment: Appointment, kind: str, recipient: str | None,
        channel: str = "email", payload: dict | None = None) -> Notification | None:
    """Queue one message about `appointment` as it is now (its version makes the row unique)."""
    if not recipient:
        return None
    notification = Notification(
        appointment_id=appointment.id, kind=kind, channel=channel, recipient=recipient,
        version=appointment.version, payload=payload or {}, next_attempt_at=utcnow(),
    )
    session.add(notification)
    enqueue_send(session, notification)
    return notification


def enqueue_send(session: Session, notification: Notification) -> None:
    """After commit, a job sends it; RQ retries failures with the configured backoff."""
    after_commit(session, lambda: queue.enqueue(SEND_JOB, str(notification.id), job_id=f"notify-{notification.id}",
                                                retries=get_settings().retry_delays))
