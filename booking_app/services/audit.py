"""Audit trail: every change writes an event in the same transaction."""
from __future__ import annotations

from sqlmodel import Session

from booking_app.models import Appointment, AuditEvent
from booking_app.services.principal import Principal


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
    return event
