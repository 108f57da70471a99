"""Rescheduling with a held slot, and owner-proposed new times.

- The customer (or staff) starts a reschedule and gets a signed token valid for the calendar's
  `hold_minutes`; the old appointment stays confirmed meanwhile, so its slot is held.
- Confirming is one transaction: the old appointment is cancelled (freeing its range), the new
  one inserted under the overlap guard (same lineage, version + 1 so the .ics SEQUENCE rises),
  reminders moved, messages queued. Any failure rolls all of it back.
- The new time must be offered, free (the old appointment's own range does not count), inside
  min notice / max advance, and not the same slot.
- Staff may propose a time: it is held as a `pending` row (hold_kind 'proposal') for up to
  PROPOSAL_HOURS; the customer accepts or declines by signed link; expiry releases it.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlmodel import Session

from booking_app import links
from booking_app.domain.availability import Slot, busy_range, is_offered, lead_time_problem, slot_id_for
from booking_app.domain.policy import reschedule_allowed
from booking_app.domain.status import Status
from booking_app.domain.tz import as_utc
from booking_app.errors import (
    Forbidden,
    InvalidRescheduleToken,
    InvalidTransition,
    LeadTimeViolation,
    RescheduleNotAllowed,
    RescheduleTokenExpired,
    SlotUnavailable,
    ValidationFailed,
)
from booking_app.models import Appointment, AppointmentType, Calendar
from booking_app.principal import Principal
from booking_app.services import audit, free_text
from booking_app.services.access import signed
from booking_app.services.appointments.booking import insert_guarded
from booking_app.services.appointments.cancellation import policy_refusal
from booking_app.services.appointments.locks import lock_calendar
from booking_app.services.appointments.queries import authorize, customer_principal, get_appointment
from booking_app.services.appointments.status_changes import transition
from booking_app.services.calendars.catalog import reschedule_window_hours, rules_for
from booking_app.services.calendars.slots import alternatives, overlapping, slot_dict
from booking_app.services.messaging import outbox, reminders
from booking_app.timefmt import iso

PROPOSAL_HOURS = 24
COPIED_FIELDS = ("calendar_id", "customer_id", "customer_email", "customer_phone", "customer_name",
                 "duration_minutes", "timezone", "lineage_id", "appointment_type", "appointment_type_id", "notes",
                 "staff_notes", "location_type", "location_address", "meeting_link", "meeting_provider",
                 "payment_required", "payment_amount", "payment_currency", "payment_status", "payment_id", "language",
                 "manage_token_hash")


def _require_confirmed(appointment: Appointment) -> None:
    if appointment.status != Status.CONFIRMED:
        raise InvalidTransition(f"Only a confirmed appointment can be moved; this one is {appointment.status}.",
                                current_status=appointment.status)


def _context(session: Session, appointment: Appointment) -> tuple[Calendar, AppointmentType]:
    return (session.get_one(Calendar, appointment.calendar_id),
            session.get_one(AppointmentType, appointment.appointment_type_id))


@dataclass(frozen=True)
class RescheduleHold:
    """A reschedule started: the current slot stays held until `expires_at`, and `reschedule_token`
    moves the appointment (to one of `available_slots`, nearest first, or any free time) before then."""
    appointment_id: uuid.UUID
    reschedule_token: str
    calendar_id: uuid.UUID
    available_slots: tuple[Slot, ...]
    expires_at: datetime


@dataclass(frozen=True)
class Proposal:
    """A time staff proposed, held as a pending row until the customer answers or `expires_at`;
    `answer_token` is what the accept/decline links carry."""
    appointment_id: uuid.UUID
    proposal_id: uuid.UUID
    answer_token: str
    expires_at: datetime


def _nearest_slots(session, calendar, appointment_type, target, now, old: Appointment, n: int = 5) -> list[Slot]:
    found = alternatives(session, calendar=calendar, appointment_type=appointment_type, target=target, now=now,
                         n=n, exclude_ids=(old.id,))
    return [s for s in found if s.start != old.start_time]


def _nearest(session, calendar, appointment_type, target, now, old: Appointment, n: int = 5) -> list[dict]:
    """The nearest free times as an error body's `available_slots`."""
    return [slot_dict(s, calendar.id) for s in _nearest_slots(session, calendar, appointment_type, target, now, old, n)]


def start(session: Session, *, appointment_id: uuid.UUID, actor: Principal, token: str | None, reason: str | None,
          new_start_time: datetime | None, now: datetime) -> RescheduleHold | Proposal:
    """Start a reschedule (a hold on the current slot), or as staff with `new_start_time` propose that time."""
    new_start_time = as_utc(new_start_time) if new_start_time is not None else None
    free_text.check({"reason": reason}, multi_line=("reason",))
    appointment = get_appointment(session, appointment_id, for_update=True)
    principal = authorize(appointment, actor=actor, token=token)
    _require_confirmed(appointment)
    calendar, appointment_type = _context(session, appointment)
    window = reschedule_window_hours(calendar)
    allowed, hours = reschedule_allowed(window_hours=window, start=appointment.start_time, now=now,
                                        by="owner" if principal.is_staff else "customer")
    if not allowed:
        refusal = policy_refusal(session, appointment, calendar, lead_time_hours=window, hours_until=hours, now=now)
        raise refusal.error(RescheduleNotAllowed,
                            f"Appointments can be moved up to {window:g} hours before they start.")
    if new_start_time is not None:
        if not principal.is_staff:
            raise Forbidden("Only staff can propose a new time; customers choose from the free slots.")
        return propose(session, appointment, calendar, appointment_type, new_start_time, principal, reason, now)
    expires_at = now + timedelta(minutes=calendar.hold_minutes)
    audit.record(session, action="appointment.reschedule_started", actor=principal, appointment=appointment,
                 data={"reason": reason, "hold_until": iso(expires_at)})
    return RescheduleHold(appointment_id=appointment.id,
                          reschedule_token=signed.sign("reschedule", appointment.id, expires_at),
                          calendar_id=calendar.id,
                          available_slots=tuple(_nearest_slots(session, calendar, appointment_type,
                                                               appointment.start_time, now, appointment, n=10)),
                          expires_at=expires_at)


def _moved_copy(old: Appointment, start_time: datetime, end_time: datetime, calendar: Calendar, now: datetime,
                **fields) -> Appointment:
    busy_start, busy_end = busy_range(start_time, end_time, rules_for(calendar))
    return Appointment(
        **{name: getattr(old, name) for name in COPIED_FIELDS},
        slot_id=slot_id_for(calendar.id, old.appointment_type, start_time, end_time),
        start_time=start_time, end_time=end_time, busy_start=busy_start, busy_end=busy_end,
        rescheduled_from_id=old.id, version=old.version + 1, created_at=now, updated_at=now,
        confirmation_status="pending", **fields)


def _check_new_time(session, old: Appointment, calendar, appointment_type, start_time, end_time, slot_id, now):
    if end_time != start_time + timedelta(minutes=old.duration_minutes):
        raise ValidationFailed(f"The appointment lasts {old.duration_minutes} minutes; new_end_time must match.",
                               details=[{"field": "new_end_time"}])
    if start_time == old.start_time:
        raise ValidationFailed("That is the current time of the appointment; pick a different one.",
                               details=[{"field": "new_start_time"}])
    if slot_id is not None and slot_id != slot_id_for(calendar.id, old.appointment_type, start_time, end_time):
        raise ValidationFailed("new_slot_id does not match the new time.", details=[{"field": "new_slot_id"}])
    rules = rules_for(calendar)
    nearest = lambda: _nearest(session, calendar, appointment_type, start_time, now, old)  # noqa: E731
    if lead_time_problem(start_time, now, rules):
        raise LeadTimeViolation("The new time is too soon or too far ahead to book.", available_slots=nearest())
    if not is_offered(start=start_time, duration_minutes=old.duration_minutes, rules=rules):
        raise SlotUnavailable("That time is not offered for booking.", available_slots=nearest())
    busy_start, busy_end = busy_range(start_time, end_time, rules)
    if overlapping(session, calendar_id=calendar.id, busy_start=busy_start, busy_end=busy_end, exclude_ids=(old.id,)):
        raise SlotUnavailable("Selected time slot is no longer available", available_slots=nearest())
    return nearest


def _verify(token: str, purpose: str, appointment_id: uuid.UUID, now: datetime) -> None:
    try:
        signed.verify(token, purpose, appointment_id, now)
    except signed.ExpiredToken:
        raise RescheduleTokenExpired("This reschedule link has expired; start again to see current times.") from None
    except signed.BadToken:
        raise InvalidRescheduleToken("This reschedule token does not belong to this appointment.") from None


def _locked(session: Session, appointment_id: uuid.UUID) -> Appointment:
    """Calendar lock first, then the row: the same order as booking, so the two never deadlock."""
    lock_calendar(session, get_appointment(session, appointment_id).calendar_id)
    appointment = get_appointment(session, appointment_id, for_update=True)
    session.refresh(appointment)
    return appointment


def _move(session: Session, old: Appointment, new: Appointment, calendar: Calendar, *, party: str,
          actor: Principal, now: datetime, insert: bool, on_overlap) -> Appointment:
    transition(session, old, Status.CANCELLED, actor=actor, now=now, action="appointment.rescheduled",
               data={"to_start": iso(new.start_time)})
    old.cancelled_at, old.cancelled_by, old.cancelled_by_id = now, party, actor.id
    old.cancellation_reason = "Rescheduled"
    session.flush()  # the old range stops counting before the new row is checked
    new.version = max(new.version, old.version + 1)  # the .ics SEQUENCE keeps rising along the lineage
    if insert:
        insert_guarded(session, new, on_overlap=on_overlap)
    old.rescheduled_to_id = new.id
    reminders.plan(session, appointment=new, calendar=calendar, now=now)
    outbox.add(session, appointment=new, kind="rescheduled", recipient=new.customer_email,
               payload={"previous_start": iso(old.start_time)})
    outbox.add(session, appointment=new, kind="owner_rescheduled", recipient=calendar.owner_email,
               payload={"previous_start": iso(old.start_time)})
    audit.record(session, action="appointment.created", actor=actor, appointment=new, to_status=new.status,
                 data={"rescheduled_from_id": str(old.id)})
    return new


def confirm(session: Session, *, appointment_id: uuid.UUID, reschedule_token: str, new_start_time: datetime,
            new_end_time: datetime, new_slot_id: uuid.UUID | None, actor: Principal, now: datetime) -> Appointment:
    _verify(reschedule_token, "reschedule", appointment_id, now)
    new_start_time, new_end_time = as_utc(new_start_time), as_utc(new_end_time)
    old = _locked(session, appointment_id)
    _require_confirmed(old)
    calendar, appointment_type = _context(session, old)
    nearest = _check_new_time(session, old, calendar, appointment_type, new_start_time, new_end_time,
                              new_slot_id, now)
    new = _moved_copy(old, new_start_time, new_end_time, calendar, now, status=Status.CONFIRMED, confirmed_at=now)
    # The signed token proves the customer started this with their manage link.
    principal = actor if actor.is_staff else customer_principal(old)
    return _move(session, old, new, calendar, party="owner" if actor.is_staff else "customer", actor=principal,
                 now=now, insert=True,
                 on_overlap=lambda: SlotUnavailable("Selected time slot is no longer available",
                                                    available_slots=nearest()))


def propose(session: Session, old: Appointment, calendar: Calendar, appointment_type: AppointmentType,
            start_time: datetime, actor: Principal, reason: str | None, now: datetime) -> Proposal:
    end_time = start_time + timedelta(minutes=old.duration_minutes)
    if start_time <= now:
        raise ValidationFailed("Propose a time in the future.", details=[{"field": "new_start_time"}])
    lock_calendar(session, calendar.id)
    busy_start, busy_end = busy_range(start_time, end_time, rules_for(calendar))
    if overlapping(session, calendar_id=calendar.id, busy_start=busy_start, busy_end=busy_end, exclude_ids=(old.id,)):
        raise SlotUnavailable("That time is taken.", available_slots=_nearest(
            session, calendar, appointment_type, start_time, now, old))
    expires_at = min(now + timedelta(hours=PROPOSAL_HOURS), start_time)
    proposal = _moved_copy(old, start_time, end_time, calendar, now, status=Status.PENDING, hold_kind="proposal",
                           hold_expires_at=expires_at)
    insert_guarded(session, proposal, on_overlap=lambda: SlotUnavailable("That time is taken."))
    answer = signed.sign("proposal", proposal.id, expires_at)
    base = f"{links.manage_url(links.manage_token_for(old.lineage_id))}/proposal/{proposal.id}?answer_token={answer}"
    outbox.add(session, appointment=proposal, kind="reschedule_proposal", recipient=old.customer_email,
               payload={"accept_url": base + "&answer=accept", "decline_url": base + "&answer=decline",
                        "previous_start": iso(old.start_time), "reason": reason})
    audit.record(session, action="appointment.reschedule_proposed", actor=actor, appointment=old,
                 data={"proposal_id": str(proposal.id), "start_time": iso(start_time), "reason": reason})
    return Proposal(appointment_id=old.id, proposal_id=proposal.id, answer_token=answer, expires_at=expires_at)


def answer_proposal(session: Session, *, proposal_id: uuid.UUID, answer_token: str, accept: bool,
                    now: datetime) -> Appointment:
    _verify(answer_token, "proposal", proposal_id, now)
    proposal = _locked(session, proposal_id)
    if proposal.status != Status.PENDING or proposal.hold_kind != "proposal":
        raise InvalidTransition(f"This proposal was already answered ({proposal.status}).",
                                current_status=proposal.status)
    customer = customer_principal(proposal)
    calendar = session.get_one(Calendar, proposal.calendar_id)
    original_id = proposal.rescheduled_from_id
    assert original_id is not None  # propose() always names the appointment a proposal would move
    if not accept:
        transition(session, proposal, Status.CANCELLED, actor=customer, now=now, action="appointment.proposal_declined")
        proposal.cancelled_at, proposal.cancelled_by, proposal.cancellation_reason = now, "customer", "Declined"
        return get_appointment(session, original_id)
    old = get_appointment(session, original_id, for_update=True)
    _require_confirmed(old)
    transition(session, proposal, Status.CONFIRMED, actor=customer, now=now, action="appointment.proposal_accepted")
    return _move(session, old, proposal, calendar, party="owner", actor=customer, now=now, insert=False,
                 on_overlap=None)
