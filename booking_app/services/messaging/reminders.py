"""Reminder rows: planned at booking from the calendar's settings, cancelled with the appointment."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col

from booking_app.models import Appointment, AppointmentReminder, Calendar


def plan(session: Session, *, appointment: Appointment, calendar: Calendar, now: datetime,
         channels: tuple[str, ...] = ("email", "sms")) -> list[AppointmentReminder]:
    """Create the reminders still in the future; SMS only when the customer gave a phone."""
    created = []
    for channel in channels:
        if channel == "sms" and not appointment.customer_phone:
            continue
        for offset in calendar.reminders.get(channel, []):
            due = appointment.start_time - timedelta(minutes=offset)
            if due <= now:
                continue
            reminder = AppointmentReminder(appointment_id=appointment.id, reminder_type=channel,
                                           offset_minutes=offset, scheduled_for=due)
            session.add(reminder)
            created.append(reminder)
    return created


def cancel_pending(session: Session, *, appointment_id: uuid.UUID) -> int:
    result = session.exec(
        sa.update(AppointmentReminder)
        .where(col(AppointmentReminder.appointment_id) == appointment_id, col(AppointmentReminder.status) == "pending")
        .values(status="cancelled")
    )
    return result.rowcount or 0
