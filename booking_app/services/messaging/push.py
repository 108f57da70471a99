"""Web push opt-in from the manage page: store the browser's subscription, plan push reminders.

The endpoint is a URL the browser (so anyone) chooses and the worker will post to: it must pass
booking_app/outbound.py's check here and again at each send."""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlmodel import Session, select

from booking_app import outbound
from booking_app.domain.status import Status
from booking_app.models import AppointmentReminder, Calendar, PushSubscription
from booking_app.principal import Principal
from booking_app.services import audit, free_text
from booking_app.services.appointments.queries import authorize, get_appointment
from booking_app.services.messaging import reminders


def subscribe(session: Session, *, appointment_id: uuid.UUID, endpoint: str, p256dh: str, auth: str,
              actor: Principal, token: str | None, now: datetime) -> PushSubscription:
    appointment = get_appointment(session, appointment_id, for_update=True)
    principal = authorize(appointment, actor=actor, token=token)
    free_text.check({"p256dh": p256dh, "auth": auth})
    outbound.check_url(endpoint)
    subscription = session.exec(select(PushSubscription).where(
        PushSubscription.lineage_id == appointment.lineage_id, PushSubscription.endpoint == endpoint)).first()
    if subscription is None:
        subscription = PushSubscription(lineage_id=appointment.lineage_id, endpoint=endpoint, p256dh=p256dh, auth=auth)
        session.add(subscription)
    subscription.p256dh, subscription.auth = p256dh, auth
    planned = session.exec(select(AppointmentReminder.id).where(
        AppointmentReminder.appointment_id == appointment.id, AppointmentReminder.reminder_type == "push")).first()
    if planned is None and appointment.status == Status.CONFIRMED:
        calendar = session.get_one(Calendar, appointment.calendar_id)
        reminders.plan(session, appointment=appointment, calendar=calendar, now=now, channels=("push",))
    audit.record(session, action="appointment.push_subscribed", actor=principal, appointment=appointment)
    return subscription
