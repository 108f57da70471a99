"""An appointment as its customer sees it: with a manage token, a signed link, or booking in public.

An allow-list built here, not the staff record minus some keys, so whatever the staff record gains
stays staff-only until it is named here. The customer gets their own booking and a history in their
words (booked, moved, cancelled, reminders sent, checked in, ...); never staff notes, a reason staff
wrote, the business's addresses, messages to anyone else, or the audit trail's actors, actions and data."""
from __future__ import annotations

from collections.abc import Sequence
from typing import Unpack

from sqlmodel import Session

from booking_app.domain.money import cents
from booking_app.models import Appointment, AppointmentReminder, AuditEvent, Calendar
from booking_app.principal import Principal
from booking_app.readmodels.appointments import DetailRows, appointment_detail, appointment_dict, detail_rows
from booking_app.timefmt import iso

# The spec's appointment fields the customer sees as staff do (`cancellation_reason` is decided below).
FIELDS = (
    "id", "calendar_id", "slot_id", "customer_id", "customer_email", "customer_phone", "customer_name",
    "start_time", "end_time", "duration_minutes", "timezone", "status", "cancelled_by", "cancelled_at",
    "rescheduled_from_id", "rescheduled_to_id", "appointment_type", "notes", "location_type", "location_address",
    "meeting_link", "meeting_provider", "payment_required", "payment_amount", "currency", "payment_status",
    "payment_id", "reminders_sent", "created_at", "updated_at", "confirmed_at", "completed_at",
    "confirmation_status", "version", "language", "hold_expires_at", "customer", "calendar", "links",
)

# Audit actions the customer hears about, as their events; the rest (staff notes, push opt-ins,
# failed messages, a reschedule started but not finished, ...) stay internal.
EVENTS = {
    "appointment.created": "booked", "appointment.rescheduled": "moved",
    "appointment.reschedule_proposed": "new_time_proposed", "appointment.proposal_accepted": "proposal_accepted",
    "appointment.proposal_declined": "proposal_declined", "appointment.proposal_expired": "proposal_expired",
    "appointment.payment_expired": "released_unpaid", "appointment.paid": "paid",
    "appointment.confirmed": "confirmed", "appointment.cancelled": "cancelled",
    "appointment.late_cancel": "cancelled_late", "appointment.checked_in": "checked_in",
    "appointment.completed": "completed", "appointment.no_show": "missed",
}
WORDS = {
    "booked": "Booked{by}", "moved_here": "Moved to this time{by}", "moved": "Moved to another time{by}",
    "new_time_proposed": "New time proposed{by}", "proposal_accepted": "Proposed time accepted{by}",
    "proposal_declined": "Proposed time declined{by}", "proposal_expired": "Proposed time expired unanswered",
    "released_unpaid": "Released: not paid in time", "paid": "Payment received", "confirmed": "Confirmed{by}",
    "cancelled": "Cancelled{by}", "cancelled_late": "Cancelled late{by}", "checked_in": "Checked in{by}",
    "completed": "Completed", "missed": "Marked as missed", "reminder_sent": "Reminder sent by {channel}",
}
CHANNELS = {"email": "email", "sms": "text message", "push": "push notification"}
CUSTOMER_ACTORS = ("customer", "anonymous")  # anonymous: booked on the public page or API


def detail_for(session: Session, appointment: Appointment, *, actor: Principal, token: str | None) -> dict:
    """Staff get the full record; anyone else (a manage token, a signed link) the customer's."""
    if actor.is_staff:
        return appointment_detail(session, appointment)
    return customer_detail(session, appointment, token=token)


def customer_detail(session: Session, appointment: Appointment, *, token: str | None) -> dict:
    return customer_dict(appointment, session.get_one(Calendar, appointment.calendar_id),
                         **detail_rows(session, appointment), token=token)


def customer_dict(appointment: Appointment, calendar: Calendar, *, token: str | None,
                  **rows: Unpack[DetailRows]) -> dict:
    """The customer's body from rows in hand; the same arguments as detail_dict."""
    reminders = sorted(rows["reminders"], key=lambda r: r.scheduled_for)
    cancellation, check_in = rows["cancellation"], rows["check_in"]
    sent = [r for r in reminders if r.status == "sent" and r.sent_at]
    full = appointment_dict(appointment, calendar, reminders_sent=[r.sent_at for r in sent], token=token)
    body = {name: full[name] for name in FIELDS}
    body["cancellation_reason"] = visible_reason(appointment.cancelled_by, appointment.cancellation_reason)
    body["reminders"] = [{"id": str(r.id), "reminder_type": r.reminder_type, "scheduled_for": iso(r.scheduled_for),
                          "sent_at": iso(r.sent_at), "status": r.status} for r in reminders]
    body["cancellation"] = cancellation and {
        "reason": visible_reason(cancellation.cancellation_type, cancellation.reason),
        "cancellation_type": cancellation.cancellation_type, "refund_amount": cents(cancellation.refund_amount),
        "refund_status": cancellation.refund_status, "late_cancel_fee": cents(cancellation.late_cancel_fee),
        "created_at": iso(cancellation.created_at),
    }
    body["check_in"] = check_in and {"checked_in_at": iso(check_in.checked_in_at),
                                     "check_in_method": check_in.check_in_method}
    body["history"] = customer_history(rows["history"], sent, calendar)
    return body


def visible_reason(party: str | None, reason: str | None) -> str | None:
    """The customer's own reason, or the system's fixed words; a reason staff typed may be internal."""
    return reason if party in ("customer", "system") else None


def customer_history(events: Sequence[AuditEvent], sent: Sequence[AppointmentReminder], calendar: Calendar) -> list:
    """Oldest first: `event` (a word of EVENTS/WORDS), `at`, `by` (you | business | system), `description`."""
    entries = [(e.created_at, _event(e), _by(e.actor_type), "") for e in events if e.action in EVENTS]
    entries += [(r.sent_at, "reminder_sent", "business", CHANNELS.get(r.reminder_type, r.reminder_type))
                for r in sent if r.sent_at is not None]  # all of them: `sent` holds sent reminders
    by_words = {"you": " by you", "business": f" by {calendar.business_name}", "system": ""}
    return [{"event": event, "at": iso(at), "by": by,
             "description": WORDS[event].format(by=by_words[by], channel=channel)}
            for at, event, by, channel in sorted(entries, key=lambda entry: entry[0])]


def _event(event: AuditEvent) -> str:
    name = EVENTS[event.action]
    return "moved_here" if name == "booked" and (event.data or {}).get("rescheduled_from_id") else name


def _by(actor_type: str) -> str:
    if actor_type in CUSTOMER_ACTORS:
        return "you"
    return "system" if actor_type == "system" else "business"
