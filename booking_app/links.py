"""Customer-facing links: manage page, .ics, and add-to-calendar for Google and Outlook.

The manage token is derived (HMAC of the lineage id with SECRET_KEY) rather than stored, so
every later email (reminders, reschedules) can carry the link while the database keeps only
its hash. Rotating SECRET_KEY therefore invalidates outstanding manage links.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from datetime import UTC, datetime
from functools import lru_cache
from typing import TYPE_CHECKING
from urllib.parse import quote_plus

from booking_app.settings import get_settings

if TYPE_CHECKING:
    from booking_app.models import Appointment, Calendar


def manage_token_for(lineage_id: uuid.UUID) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    digest = hmac.new(key, f"manage:{lineage_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")[:32]  # 192 bits


def _base() -> str:
    return get_settings().public_base_url.rstrip("/")


def manage_url(token: str) -> str:
    return f"{_base()}/manage/{token}"


def ics_url(appointment_id: uuid.UUID, token: str) -> str:
    return f"{_base()}/api/v1/appointments/{appointment_id}/calendar.ics?token={token}"


def check_in_qr_url(appointment_id: uuid.UUID, token: str) -> str:
    return f"{_base()}/api/v1/appointments/{appointment_id}/check-in-qr.png?token={token}"


def book_url(calendar_slug: str) -> str:
    return f"{_base()}/book/{calendar_slug}"


@lru_cache(maxsize=4096)
def _q(value: str) -> str:
    """Query-string encoding, cached: titles and places repeat across a list page's items."""
    return quote_plus(value)


def _compact(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def google_url(*, title: str, start: datetime, end: datetime, details: str, location: str) -> str:
    return (f"https://calendar.google.com/calendar/render?action=TEMPLATE&text={_q(title)}"
            f"&dates={_compact(start)}%2F{_compact(end)}&details={_q(details)}&location={_q(location)}")


def outlook_url(*, title: str, start: datetime, end: datetime, details: str, location: str) -> str:
    def fmt(value: datetime) -> str:
        return _q(value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"))

    return (f"https://outlook.live.com/calendar/0/deeplink/compose?path=%2Fcalendar%2Faction%2Fcompose&rru=addevent"
            f"&subject={_q(title)}&startdt={fmt(start)}&enddt={fmt(end)}&body={_q(details)}&location={_q(location)}")


def event_title(appointment: Appointment, calendar: Calendar) -> str:
    return f"{appointment.appointment_type.replace('-', ' ').replace('_', ' ').title()} with {calendar.business_name}"


def location_text(appointment: Appointment) -> str:
    return appointment.meeting_link or appointment.location_address or appointment.location_type.replace("_", " ")


def appointment_links(appointment: Appointment, calendar: Calendar, token: str | None) -> dict:
    title = event_title(appointment, calendar)
    details = f"Manage your booking: {manage_url(token)}" if token else title
    where = location_text(appointment)
    start, end = appointment.start_time, appointment.end_time
    return {
        "google": google_url(title=title, start=start, end=end, details=details, location=where),
        "outlook": outlook_url(title=title, start=start, end=end, details=details, location=where),
        "ics": ics_url(appointment.id, token) if token else f"/api/v1/appointments/{appointment.id}/calendar.ics",
        "manage": manage_url(token) if token else None,
    }
