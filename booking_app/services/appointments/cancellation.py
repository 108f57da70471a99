"""Cancelling: the calendar's policy decides (block, or a late-cancel fee); refunds go through the
payment gateway; the slot is free at once; customer and owner are told.

Choices where the spec is open (see domain/policy.py for the money rules): a pending (unpaid)
booking can always be cancelled without a fee; staff may cancel on the customer's behalf
(`cancelled_by: customer` with a staff key applies the customer policy)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from sqlmodel import Session

from booking_app import links
from booking_app.domain.availability import Slot
from booking_app.domain.money import cents
from booking_app.domain.policy import decide_cancellation
from booking_app.domain.status import ACTIVE_STATUSES, Status
from booking_app.errors import CancellationNotAllowed, Forbidden, InvalidTransition, ServiceError
from booking_app.models import Appointment, AppointmentCancellation, AppointmentType, Calendar
from booking_app.principal import Principal
from booking_app.services import free_text
from booking_app.services.appointments import payments
from booking_app.services.appointments.queries import authorize, get_appointment
from booking_app.services.appointments.status_changes import transition
from booking_app.services.calendars.catalog import policy_for
from booking_app.services.calendars.slots import alternatives, slot_dict
from booking_app.services.messaging import outbox


@dataclass(frozen=True)
class PolicyRefusal:
    """A cancel or a move refused inside the policy window: the policy in numbers and the ways out
    (the manage page, to reschedule; free times about a day later)."""
    lead_time_hours: float
    hours_until_appointment: float
    reschedule_url: str
    calendar_id: uuid.UUID
    available_slots: tuple[Slot, ...]

    def error(self, error: type[ServiceError], message: str) -> ServiceError:
        """The 403 to raise; its body carries `cancellation_policy`, `reschedule_url` and `available_slots`."""
        return error(message, cancellation_policy={"lead_time_hours": self.lead_time_hours,
                                                   "hours_until_appointment": self.hours_until_appointment},
                     reschedule_url=self.reschedule_url,
                     available_slots=[slot_dict(s, self.calendar_id) for s in self.available_slots])


@dataclass(frozen=True)
class CancellationResult:
    """What a cancellation did: the new status and the money (amounts in `currency`, rounded to cents)."""
    appointment_id: uuid.UUID
    status: Status
    cancelled_at: datetime
    refund_amount: Decimal
    refund_status: str | None
    late_cancel_fee: Decimal
    currency: str | None


def policy_refusal(session: Session, appointment: Appointment, calendar: Calendar, *, lead_time_hours: float,
                   hours_until: float, now: datetime) -> PolicyRefusal:
    appointment_type = session.get_one(AppointmentType, appointment.appointment_type_id)
    found = alternatives(session, calendar=calendar, appointment_type=appointment_type,
                         target=appointment.start_time + timedelta(days=1), now=now)
    return PolicyRefusal(lead_time_hours=lead_time_hours, hours_until_appointment=hours_until,
                         reschedule_url=links.manage_url(links.manage_token_for(appointment.lineage_id)),
                         calendar_id=calendar.id, available_slots=tuple(found))


def cancel(session: Session, *, appointment_id: uuid.UUID, actor: Principal, token: str | None, reason: str,
           party: str, now: datetime) -> CancellationResult:
    appointment = get_appointment(session, appointment_id, for_update=True)
    principal = authorize(appointment, actor=actor, token=token)
    if party != "customer" and not principal.is_staff:
        raise Forbidden("Only staff may cancel as the owner or the system.")
    return cancel_locked(session, appointment, reason=reason, party=party, actor=principal, now=now)


def cancel_locked(session: Session, appointment: Appointment, *, reason: str, party: str, actor: Principal,
                  now: datetime, late_cancel: bool = False) -> CancellationResult:
    free_text.check({"reason": reason}, multi_line=("reason",))
    if appointment.status not in ACTIVE_STATUSES:
        raise InvalidTransition(f"This appointment is already {appointment.status}.",
                                current_status=appointment.status)
    calendar = session.get_one(Calendar, appointment.calendar_id)
    policy = policy_for(calendar)
    pending = appointment.status == Status.PENDING
    decision = decide_cancellation(policy, start=appointment.start_time, now=now,
                                   paid_amount=payments.paid_amount(appointment),
                                   by="owner" if pending else party)
    if not decision.allowed:
        refusal = policy_refusal(session, appointment, calendar, lead_time_hours=policy.lead_time_hours,
                                 hours_until=decision.hours_until, now=now)
        message = (f"Appointments must be cancelled at least {policy.lead_time_hours:g} hours in advance. "
                   "You can reschedule instead.")
        raise refusal.error(CancellationNotAllowed, message)
    new_status = Status.LATE_CANCEL if (decision.late or late_cancel) and not pending else Status.CANCELLED
    transition(session, appointment, new_status, actor=actor, now=now, action=f"appointment.{new_status}",
               data={"party": party, "reason": reason, "fee": str(decision.fee),
                     "refund": str(decision.refund_amount)})
    appointment.cancelled_at, appointment.cancelled_by = now, party
    appointment.cancelled_by_id, appointment.cancellation_reason = actor.id, reason
    refund_status = payments.refund(session, appointment, decision.refund_amount)
    if decision.fee > 0:
        payments.record(session, appointment, kind="fee", amount=decision.fee,
                        status="processed" if appointment.payment_status else "owed")
    session.add(AppointmentCancellation(
        appointment_id=appointment.id, cancelled_by_id=actor.id, reason=reason, cancellation_type=party,
        refund_amount=decision.refund_amount if refund_status else None, refund_status=refund_status,
        late_cancel_fee=decision.fee or None, created_at=now))
    _notify(session, appointment, calendar, party, decision)
    return CancellationResult(appointment_id=appointment.id, status=Status(appointment.status), cancelled_at=now,
                              refund_amount=cents(decision.refund_amount), refund_status=refund_status,
                              late_cancel_fee=cents(decision.fee), currency=appointment.payment_currency)


def _notify(session: Session, appointment: Appointment, calendar: Calendar, party: str, decision) -> None:
    payload = {"refund_amount": str(decision.refund_amount), "late_cancel_fee": str(decision.fee),
               "currency": appointment.payment_currency}
    if party == "customer":
        outbox.add(session, appointment=appointment, kind="cancelled", recipient=appointment.customer_email,
                   payload=payload)
        outbox.add(session, appointment=appointment, kind="owner_cancelled", recipient=calendar.owner_email)
    else:
        # Told at once, with a one-click way back to the booking page.
        outbox.add(session, appointment=appointment, kind="cancelled_by_owner", recipient=appointment.customer_email,
                   payload={**payload, "rebook_url": links.book_url(calendar.slug)})

