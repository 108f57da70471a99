"""What the manage and proposal pages show and do, for the customer holding a manage link."""
from __future__ import annotations

from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta

from sqlmodel import select

from booking_app.db import session_scope, utcnow
from booking_app.domain.policy import CancellationPolicy, decide_cancellation, reschedule_allowed
from booking_app.domain.status import ACTIVE_STATUSES, Status
from booking_app.errors import NotFound
from booking_app.models import Appointment, AppointmentCheckIn, AppointmentType, Calendar
from booking_app.principal import ANONYMOUS
from booking_app.readmodels.customer_record import customer_detail
from booking_app.services.appointments import cancellation, checkin, payments, rescheduling
from booking_app.services.appointments.checkin import CUSTOMER_WINDOW, check_in_url, qr_svg_data_uri
from booking_app.services.appointments.queries import find_by_token
from booking_app.services.calendars.catalog import reschedule_window_hours
from booking_app.services.ids import parse_id
from booking_app.timefmt import iso
from booking_app.viewmodels.customer_view import (
    AppointmentSummary,
    SlotOption,
    month_slots,
    safe_zone,
    short_when_label,
    slot_option,
    summary,
    type_name,
    when_label,
)
from booking_app.viewmodels.status_words import CUSTOMER_STATUS_WORDS


@dataclass(frozen=True)
class ManageView(AppointmentSummary):
    """The appointment behind a manage link, what the customer may do with it now, and the policy."""

    status_word: str
    active: bool  # pending or confirmed
    policy: str
    can_cancel: bool
    cancel_blocked: bool  # active, but the policy no longer lets the customer cancel
    cancel_terms: str
    can_reschedule: bool
    checked_in: bool
    can_check_in: bool  # now, by link: from two hours before until the no-show grace ends
    check_in_opens: str
    qr: str  # an SVG data URI of the check-in code
    timezone: str  # the customer's zone: the times offered for a move are shown in it
    type_slug: str


@dataclass(frozen=True)
class HistoryEntry:
    """One line of the customer-facing history: no staff notes, actors or audit data."""

    when: str
    what: str


@dataclass(frozen=True)
class RescheduleOffer:
    """A held reschedule: the hold's token, when it ends (ISO) and the nearest free times."""

    token: str
    expires_at: str
    options: list[SlotOption]


@dataclass(frozen=True)
class ProposalView:
    """The current appointment and the time the business proposes, for the accept/decline page."""

    business: str
    type_name: str
    current: str
    proposed: str
    open: bool  # still pending: it can be answered
    expires: str  # '' when the proposal does not expire


@dataclass(frozen=True)
class ProposalAnswer:
    status: str
    when: str


def manage_view(token: str) -> ManageView:
    """The appointment behind a manage link, what the customer may do with it now, and the policy."""
    now = utcnow()
    with session_scope() as session:
        appointment = find_by_token(session, token)
        calendar = session.get_one(Calendar, appointment.calendar_id)
        shown = summary(appointment, calendar, token=token, type_name=type_name(session, appointment))
        policy = CancellationPolicy.from_dict(calendar.cancellation_policy)
        decision = decide_cancellation(policy, start=appointment.start_time, now=now,
                                       paid_amount=payments.paid_amount(appointment), by="customer")
        active = appointment.status in ACTIVE_STATUSES
        grace = timedelta(minutes=calendar.no_show_grace_minutes)
        checked_in = session.exec(select(AppointmentCheckIn).where(
            AppointmentCheckIn.appointment_id == appointment.id)).first() is not None
        can_reschedule, _ = reschedule_allowed(window_hours=reschedule_window_hours(calendar),
                                               start=appointment.start_time, now=now, by="customer")
        currency = appointment.payment_currency or ""
        return ManageView(
            **asdict(shown),
            status_word=CUSTOMER_STATUS_WORDS.get(appointment.status, appointment.status), active=active,
            policy=policy.describe(currency), can_cancel=active and decision.allowed,
            cancel_blocked=active and not decision.allowed,
            cancel_terms=_cancel_terms(decision, currency),
            can_reschedule=appointment.status == Status.CONFIRMED and can_reschedule,
            checked_in=checked_in,
            can_check_in=(appointment.status == Status.CONFIRMED and not checked_in
                          and appointment.start_time - CUSTOMER_WINDOW <= now <= appointment.end_time + grace),
            check_in_opens=when_label(appointment.start_time - CUSTOMER_WINDOW, safe_zone(appointment.timezone, "UTC")),
            qr=qr_svg_data_uri(check_in_url(appointment.id, appointment.lineage_id)),
            timezone=safe_zone(appointment.timezone, calendar.timezone), type_slug=_type_slug(session, appointment),
        )


def history(token: str) -> list[HistoryEntry]:
    """What happened to the booking, in the customer's words and time zone, oldest first."""
    with session_scope() as session:
        appointment = find_by_token(session, token)
        zone = safe_zone(appointment.timezone, "UTC")
        return [HistoryEntry(when=when_label(datetime.fromisoformat(entry["at"]), zone), what=entry["description"])
                for entry in customer_detail(session, appointment, token=token)["history"]]


def _cancel_terms(decision, currency: str) -> str:
    if not decision.allowed:
        return ""
    parts = ["Cancelling now is free." if not decision.late else "This is a late cancellation."]
    if decision.fee:
        parts.append(f"A fee of {decision.fee} {currency} applies.".replace("  ", " "))
    if decision.refund_amount:
        parts.append(f"You will be refunded {decision.refund_amount} {currency}.".replace("  ", " "))
    return " ".join(parts)


def _type_slug(session, appointment) -> str:
    appointment_type = session.get(AppointmentType, appointment.appointment_type_id)
    return appointment_type.slug if appointment_type else ""


def cancel_by_customer(token: str, reason: str) -> cancellation.CancellationResult:
    with session_scope() as session:
        appointment = find_by_token(session, token)
        return cancellation.cancel(session, appointment_id=appointment.id, actor=ANONYMOUS, token=token,
                                   reason=reason.strip() or "Cancelled on the manage page", party="customer",
                                   now=utcnow())


def start_reschedule(token: str) -> RescheduleOffer:
    """Hold the current slot; the nearest free times are labelled in the customer's zone."""
    with session_scope() as session:
        appointment = find_by_token(session, token)
        tz = safe_zone(appointment.timezone, session.get_one(Calendar, appointment.calendar_id).timezone)
        hold = rescheduling.start(session, appointment_id=appointment.id, actor=ANONYMOUS, token=token,
                                  reason="Rescheduled on the manage page", new_start_time=None, now=utcnow())
    assert isinstance(hold, rescheduling.RescheduleHold)  # customers only start holds; proposals are staff's
    return RescheduleOffer(token=hold.reschedule_token, expires_at=iso(hold.expires_at),
                           options=[slot_option(s, short_when_label(s.start, tz)) for s in hold.available_slots])


def day_options(view: ManageView, day: str) -> list[SlotOption]:
    """The free times of another day ('2026-12-08') for the same type, labelled like the nearest ones.
    ValueError for a day that is not a date."""
    year, month, _ = (int(x) for x in day.split("-"))
    days = month_slots(view.calendar_slug, view.type_slug, view.timezone, year, month)
    return [replace(s, label=short_when_label(datetime.fromisoformat(s.start_time), view.timezone))
            for s in days.get(day, [])]


def confirm_reschedule(token: str, reschedule_token: str, slot: SlotOption) -> None:
    with session_scope() as session:
        appointment = find_by_token(session, token)
        rescheduling.confirm(session, appointment_id=appointment.id, reschedule_token=reschedule_token,
                             new_start_time=datetime.fromisoformat(slot.start_time),
                             new_end_time=datetime.fromisoformat(slot.end_time),
                             new_slot_id=parse_id(slot.slot_id, "time") if slot.slot_id else None,
                             actor=ANONYMOUS, now=utcnow())


def check_in_by_link(token: str) -> None:
    with session_scope() as session:
        appointment = find_by_token(session, token)
        checkin.check_in(session, appointment_id=appointment.id, method="link", notes=None, actor=ANONYMOUS,
                         token=token, now=utcnow())


def answer_proposal(proposal_id: str, answer_token: str, accept: bool) -> ProposalAnswer:
    with session_scope() as session:
        appointment = rescheduling.answer_proposal(session, proposal_id=parse_id(proposal_id, "proposal"),
                                                   answer_token=answer_token, accept=accept, now=utcnow())
        calendar = session.get_one(Calendar, appointment.calendar_id)
        tz = safe_zone(appointment.timezone, calendar.timezone)
        return ProposalAnswer(status=appointment.status, when=when_label(appointment.start_time, tz))


def proposal_view(token: str, proposal_id: str) -> ProposalView:
    """The current appointment and the proposed time, for the accept/decline page."""
    with session_scope() as session:
        current = find_by_token(session, token)
        try:
            proposal = session.get(Appointment, parse_id(proposal_id, "proposal"))
        except ValueError:
            proposal = None
        if proposal is None or proposal.lineage_id != current.lineage_id or proposal.hold_kind != "proposal":
            raise NotFound("This proposal does not exist or belongs to another booking.")
        tz = safe_zone(current.timezone, "UTC")
        return ProposalView(business=session.get_one(Calendar, current.calendar_id).business_name,
                            type_name=type_name(session, current), current=when_label(current.start_time, tz),
                            proposed=when_label(proposal.start_time, tz), open=proposal.status == Status.PENDING,
                            expires=when_label(proposal.hold_expires_at, tz) if proposal.hold_expires_at else "")
