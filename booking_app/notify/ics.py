"""iCalendar files: one stable UID per reschedule lineage, SEQUENCE = the appointment's version."""
from __future__ import annotations

from datetime import UTC, datetime

from icalendar import Calendar as ICal
from icalendar import Event, vCalAddress, vText

from booking_app.links import event_title, location_text
from booking_app.models import Appointment, Calendar


def uid_for(appointment: Appointment) -> str:
    return f"{appointment.lineage_id}@slotwise"


def build_ics(appointment: Appointment, calendar: Calendar, *, method: str, description: str = "") -> bytes:
    """method: REQUEST (invitation/update), CANCEL, or PUBLISH (a plain download)."""
    cal = ICal()
    cal.add("prodid", "-//Slotwise//Appointments//EN")
    cal.add("version", "2.0")
    cal.add("method", method)
    event = Event()
    event.add("uid", uid_for(appointment))
    event.add("sequence", appointment.version)
    event.add("dtstamp", datetime.now(UTC))
    event.add("dtstart", appointment.start_time.astimezone(UTC))
    event.add("dtend", appointment.end_time.astimezone(UTC))
    event.add("summary", event_title(appointment, calendar))
    event.add("location", location_text(appointment))
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if method == "CANCEL" else "CONFIRMED")
    organizer_email = calendar.contact_email or calendar.owner_email
    if organizer_email:
        organizer = vCalAddress(f"mailto:{organizer_email}")
        organizer.params["cn"] = vText(calendar.business_name)
        event.add("organizer", organizer)
    attendee = vCalAddress(f"mailto:{appointment.customer_email}")
    attendee.params["cn"] = vText(appointment.customer_name)
    event.add("attendee", attendee)
    cal.add_component(event)
    return cal.to_ical()
