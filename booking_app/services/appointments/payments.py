"""Payments behind a small gateway interface. The built-in `manual` gateway records money
movements (the business settles them by hand); a card provider would implement the same two calls."""
from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Protocol

from sqlmodel import Session

from booking_app.domain.status import Status
from booking_app.errors import InvalidTransition, ValidationFailed
from booking_app.models import Appointment, Calendar, Payment
from booking_app.principal import Principal
from booking_app.services.appointments.queries import get_appointment
from booking_app.services.appointments.status_changes import transition
from booking_app.services.messaging import outbox, reminders


class PaymentGateway(Protocol):
    name: str

    def refund(self, appointment: Appointment, amount: Decimal) -> tuple[str, str | None]:
        """Return (refund_status, provider reference)."""


class ManualGateway:
    name = "manual"

    def refund(self, appointment: Appointment, amount: Decimal) -> tuple[str, str | None]:
        return "processed", None


GATEWAY: PaymentGateway = ManualGateway()


def record(session: Session, appointment: Appointment, *, kind: str, amount: Decimal, status: str = "processed",
           ref: str | None = None) -> Payment:
    payment = Payment(appointment_id=appointment.id, kind=kind, amount=amount,
                      currency=appointment.payment_currency or "USD", status=status, provider=GATEWAY.name,
                      provider_ref=ref)
    session.add(payment)
    return payment


def paid_amount(appointment: Appointment) -> Decimal | None:
    return appointment.payment_amount if appointment.payment_status == "paid" else None


def refund(session: Session, appointment: Appointment, amount: Decimal) -> str | None:
    """Refund through the gateway; returns the refund status (None when there is nothing to refund)."""
    if amount <= 0:
        return None
    status, ref = GATEWAY.refund(appointment, amount)
    record(session, appointment, kind="refund", amount=amount, status=status, ref=ref)
    appointment.payment_status = "refunded" if amount >= (appointment.payment_amount or 0) else "partially_refunded"
    return status


def confirm_payment(session: Session, *, appointment_id: uuid.UUID, payment_id: str, amount: Decimal,
                    actor: Principal, now: datetime) -> Appointment:
    """A pending (unpaid) booking becomes confirmed: charge recorded, reminders planned, confirmation sent."""
    appointment = get_appointment(session, appointment_id, for_update=True)
    if appointment.status != Status.PENDING or appointment.hold_kind != "payment":
        raise InvalidTransition(f"This appointment is {appointment.status} and awaits no payment.",
                                current_status=appointment.status)
    if appointment.payment_amount is not None and amount != appointment.payment_amount:
        raise ValidationFailed(f"The amount due is {appointment.payment_amount:.2f}.", details=[{"field": "amount"}])
    transition(session, appointment, Status.CONFIRMED, actor=actor, now=now, action="appointment.paid",
               data={"payment_id": payment_id, "amount": str(amount)})
    appointment.payment_status, appointment.payment_id = "paid", payment_id
    record(session, appointment, kind="charge", amount=amount, ref=payment_id)
    calendar = session.get_one(Calendar, appointment.calendar_id)
    reminders.plan(session, appointment=appointment, calendar=calendar, now=now)
    outbox.add(session, appointment=appointment, kind="confirmation", recipient=appointment.customer_email)
    return appointment
