"""From an appointment and a message kind to something a channel can send.

Building a message either works or fails the same way on every attempt (data saved before the
free-text rule, say a line break in a name that ends up in a header): any error doing it is
Undeliverable, so the row fails for good with the reason instead of being retried or left `sending`."""
from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from email.message import EmailMessage
from email.utils import make_msgid
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_time
from babel.numbers import format_currency

from booking_app import links
from booking_app.domain.money import cents
from booking_app.domain.policy import CancellationPolicy
from booking_app.links import appointment_links, location_text
from booking_app.models import Appointment, AppointmentType, Calendar
from booking_app.notify.channels import Undeliverable
from booking_app.notify.ics import build_ics
from booking_app.notify.render import OWNER_KINDS, Rendered, render
from booking_app.settings import get_settings

ICS_METHOD = {"confirmation": "REQUEST", "rescheduled": "REQUEST", "reminder": "REQUEST",
              "cancelled": "CANCEL", "cancelled_by_owner": "CANCEL", "payment_expired": "CANCEL"}
WITH_QR = {"confirmation", "rescheduled", "reminder"}


@dataclass(frozen=True)
class Message:
    rendered: Rendered
    recipient: str
    ics: bytes | None
    ics_method: str | None


def when_texts(moment: datetime, tz: str, lang: str) -> tuple[str, str]:
    """('Monday, 1 June 2026, 09:00 EDT', 'Mon, Jun 1, 9:00 AM') in that zone and language."""
    local = moment.astimezone(ZoneInfo(tz))
    long = f"{format_date(local, 'full', locale=lang)}, {format_time(local, 'short', locale=lang)} {local.tzname()}"
    short = f"{format_date(local, 'medium', locale=lang)} {format_time(local, 'short', locale=lang)}"
    return long, short


def money_text(amount: Decimal | int | str | None, currency: str | None, lang: str) -> str:
    """An amount as people read it ('$90.00', '90,00 €'); empty for none or zero. Outbox payloads
    carry amounts as the Decimal's text ('15.00')."""
    value = cents(amount) if amount not in (None, "") else None
    return format_currency(value, currency or "USD", locale=lang) if value else ""


def _composing(build):
    @functools.wraps(build)
    def wrapper(*args, **kwargs):
        try:
            return build(*args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - whatever it is, retrying cannot help
            raise Undeliverable(f"the message cannot be composed: {type(exc).__name__}: {exc}") from exc

    return wrapper


@_composing
def compose(kind: str, appointment: Appointment, calendar: Calendar, appointment_type: AppointmentType, *,
            recipient: str, payload: dict) -> Message:
    owner_side = kind in OWNER_KINDS
    lang = calendar.language if owner_side else appointment.language
    token = links.manage_token_for(appointment.lineage_id)
    when_local, when_short = when_texts(appointment.start_time, appointment.timezone, lang)
    when_business, when_business_short = when_texts(appointment.start_time, calendar.timezone, lang)
    previous = payload.get("previous_start")
    previous_at = datetime.fromisoformat(previous) if previous else None
    currency = appointment.payment_currency or appointment_type.currency
    context = {
        "business": calendar.business_name, "customer_name": appointment.customer_name,
        "customer_email": appointment.customer_email, "customer_phone": appointment.customer_phone,
        "type_name": appointment_type.name, "notes": appointment.notes, "location": location_text(appointment),
        "when_local": when_local, "when_short": when_short,
        "when_business": when_business, "when_business_short": when_business_short,
        "previous_local": when_texts(previous_at, appointment.timezone, lang)[0] if previous_at else "",
        "previous_business": when_texts(previous_at, calendar.timezone, lang)[0] if previous_at else "",
        "manage_url": links.manage_url(token), "rebook_url": payload.get("rebook_url") or links.book_url(calendar.slug),
        "accept_url": payload.get("accept_url", ""), "decline_url": payload.get("decline_url", ""),
        "reason": payload.get("reason") or "", "last_error": payload.get("last_error", ""),
        "price": money_text(appointment.payment_amount, currency, lang),
        "refund_amount": money_text(payload.get("refund_amount"), currency, lang),
        "late_cancel_fee": money_text(payload.get("late_cancel_fee"), currency, lang),
    }
    details = [("when", when_local)]
    if calendar.timezone != appointment.timezone:
        details.append(("business_time", when_business))
    details.append(("where", context["location"]))
    if not owner_side:
        contact = " · ".join(filter(None, [calendar.contact_email, calendar.contact_phone]))
        if contact:
            details.append(("contact", contact))
        details.append(("policy", CancellationPolicy.from_dict(calendar.cancellation_policy).describe(currency)))
    rendered = render(kind, template_set=appointment_type.email_template, lang=lang, context=context,
                      details=details, actions=_actions(kind, appointment, calendar, token, payload, owner_side),
                      qr_image_url=links.check_in_qr_url(appointment.id, token) if kind in WITH_QR else None)
    method = None if owner_side else ICS_METHOD.get(kind)
    ics = build_ics(appointment, calendar, method=method, description=context["manage_url"]) if method else None
    return Message(rendered=rendered, recipient=recipient, ics=ics, ics_method=method)


def _actions(kind, appointment, calendar, token, payload, owner_side) -> list[tuple[str, str]]:
    if owner_side:
        return [("Open the console", f"{get_settings().public_base_url.rstrip('/')}/console")]
    actions = []
    if kind == "reschedule_proposal":
        actions += [("Accept", payload["accept_url"]), ("Decline", payload["decline_url"])]
    if kind in ("cancelled_by_owner", "payment_expired", "no_show_followup", "cancelled"):
        actions.append(("Book a new time", payload.get("rebook_url") or links.book_url(calendar.slug)))
    if kind in WITH_QR or kind == "payment_pending":
        calendar_links = appointment_links(appointment, calendar, token)
        actions += [("manage", calendar_links["manage"]), ("add_google", calendar_links["google"]),
                    ("add_outlook", calendar_links["outlook"])]
    return actions


@_composing
def email_message(message: Message, *, notification_id: str) -> EmailMessage:
    email = EmailMessage()
    email["From"] = get_settings().mail_from
    email["To"] = message.recipient
    email["Subject"] = message.rendered.subject
    email["Message-ID"] = make_msgid(domain="slotwise.local")
    email["Auto-Submitted"] = "auto-generated"
    email["X-Slotwise-Notification"] = notification_id
    email.set_content(message.rendered.text)
    email.add_alternative(message.rendered.html, subtype="html")
    if message.ics:
        email.add_attachment(message.ics, maintype="text", subtype="calendar", filename="appointment.ics",
                             params={"method": message.ics_method})
    return email


def warm_up() -> None:
    """Load what the first message would (templates, Babel's locale data) before a worker forks."""
    from booking_app.notify.render import LANGUAGES, validate_all

    validate_all()
    for lang in LANGUAGES:
        when_texts(datetime.now(ZoneInfo("UTC")), "Europe/Berlin", lang)
        money_text(1, "EUR", lang)
