"""Audit trail: every change writes an event in the same transaction.

Because every change of an appointment passes through here, this is also where the live event
for open consoles is queued: published after commit, once per appointment per transaction."""
from __future__ import annotations

from sqlmodel import Session

from booking_app import events
from booking_app.db import after_commit
from booking_app.models import Appointment, AuditEvent
from booking_app.principal import Principal


def record(
    session: Session,
    *,
    action: str,
    actor: Principal,
    appointment: Appointment | None = None,
    entity_type: str = "appointment",
    entity_id: str | None = None,
    from_status: str | None = None,
    to_status: str | None = None,
    data: dict | None = None,
) -> AuditEvent:
    event = AuditEvent(
        appointment_id=appointment.id if appointment else None,
        entity_type=entity_type,
        entity_id=entity_id or (str(appointment.id) if appointment else "-"),
        action=action,
        actor_type=actor.actor_type,
        actor_id=str(actor.id) if actor.id else None,
        actor_label=actor.label,
        from_status=from_status,
        to_status=to_status,
        data=data or {},
    )
    session.add(event)
    if appointment is not None:
        _publish_after_commit(session, appointment, action)
    return event


def _publish_after_commit(session: Session, appointment: Appointment, action: str) -> None:
    pending = session.info.setdefault("live_events", {})
    first = appointment.id not in pending
    pending[appointment.id] = action  # the last action of the transaction names the event
    if first:
        after_commit(session, lambda: events.publish(events.appointment_event(
            session.info.get("live_events", {}).pop(appointment.id, action), appointment)))
