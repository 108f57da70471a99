"""Messages through a real SMTP server, Twilio/push on a local HTTP server; embedded job path."""
from __future__ import annotations

import base64
import os
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from icalendar import Calendar as ICal

from booking_app.db import session_scope
from booking_app.models import Appointment, AppointmentReminder, AuditEvent, Notification, PushSubscription
from booking_app.queue import drain_embedded
from booking_app.services.messaging.dispatch import dispatch_due, send_reminder
from booking_app.services.messaging.notifications import RetryLater, send_notification
from tests.integration.conftest import book, future_day, notifications, wait_status, zulu
from tests.support.diagnostics import job_thread_stacks


def parts(message) -> tuple[str, str, ICal | None]:
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    ics = next((ICal.from_ical(p.get_content()) for p in message.iter_attachments()
                if p.get_content_type() == "text/calendar"), None)
    return text, html, ics


def test_confirmation_email_has_everything_a_customer_needs(client, make_calendar, smtp):
    calendar = make_calendar(business_name="Harbor Physio", contact_email="hello@harbor.example",
                             contact_phone="+1 617 555 0142",
                             weekly_hours={d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri",
                                                                              "sat", "sun")})
    start = future_day(10).replace(hour=14)
    appointment = book(client, calendar, start, customer_name="<script>alert(1)</script>")
    customer = smtp.wait_for(1, address="ann@example.com")[0]
    owner = smtp.wait_for(1, address="owner@clinic.example")[0]
    assert customer["Subject"].startswith("Confirmed: Consultation") and customer["From"]
    assert customer["Auto-Submitted"] == "auto-generated"
    text, html, ics = parts(customer)
    local = start.astimezone(__import__("zoneinfo").ZoneInfo("America/New_York"))
    assert local.strftime("%-I:%M") in text and local.tzname() in text  # the customer's zone
    assert "UTC" in text  # the business's own time as a second line
    for needle in ("Harbor Physio", "hello@harbor.example", "+1 617 555 0142", "Free cancellation up to 24 hours",
                   appointment["links"]["manage"], "calendar.google.com", "outlook.live.com"):
        assert needle in text, needle
    assert "&lt;script&gt;" in html and "<script>" not in html
    assert 'href="' + appointment["links"]["manage"] in html
    # The check-in QR code is a PNG the email links to (mail clients drop inline SVG and data: URIs).
    qr_src = re.search(r'<img src="([^"]+check-in-qr\.png[^"]*)"', html).group(1).replace("&amp;", "&")
    qr = client.get(qr_src[qr_src.index("/api/v1/"):])
    assert qr.status_code == 200 and qr.headers["content-type"] == "image/png" and qr.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert client.get(qr_src[qr_src.index("/api/v1/"):].split("?")[0]).status_code == 403  # no token
    event = ics.walk("VEVENT")[0]
    assert str(ics["METHOD"]) == "REQUEST" and int(event["SEQUENCE"]) == 1
    assert event["DTSTART"].dt == start and event["DTEND"].dt == start + timedelta(minutes=30)
    assert str(event["UID"]).endswith("@slotwise") and str(event["ORGANIZER"]) == "mailto:hello@harbor.example"
    assert "New booking" in parts(owner)[0]
    assert wait_status(appointment["id"], "confirmation", "sent").sent_at
    assert client.get(f"/api/v1/appointments/{appointment['id']}",
                      headers={"X-Manage-Token": appointment["manage_token"]}).json()["confirmation_status"] == "sent"


def test_reschedule_raises_sequence_and_cancel_sends_method_cancel(client, make_calendar, smtp):
    calendar = make_calendar()
    start = future_day(12).replace(hour=9)
    appointment = book(client, calendar, start)
    first_ics = parts(smtp.wait_for(1, address="ann@example.com")[0])[2]
    token = client.post(f"/api/v1/appointments/{appointment['id']}/reschedule",
                        headers={"X-Manage-Token": appointment["manage_token"]}, json={}).json()["reschedule_token"]
    target = start + timedelta(hours=3)
    new = client.put(f"/api/v1/appointments/{appointment['id']}/reschedule/confirm", json={
        "reschedule_token": token, "new_start_time": zulu(target),
        "new_end_time": zulu(target + timedelta(minutes=30))}).json()
    moved = smtp.wait_for(2, address="ann@example.com")[1]
    assert moved["Subject"].startswith("Moved:")
    moved_ics = parts(moved)[2]
    old_event, new_event = first_ics.walk("VEVENT")[0], moved_ics.walk("VEVENT")[0]
    assert new_event["UID"] == old_event["UID"] and int(new_event["SEQUENCE"]) > int(old_event["SEQUENCE"])
    assert new_event["DTSTART"].dt == target
    client.post(f"/api/v1/appointments/{new['id']}/cancel", headers={"X-Manage-Token": appointment["manage_token"]},
                json={"reason": "Changed my mind"})
    cancelled = smtp.wait_for(3, address="ann@example.com")[2]
    cancel_ics = parts(cancelled)[2]
    assert str(cancel_ics["METHOD"]) == "CANCEL" and cancel_ics.walk("VEVENT")[0]["UID"] == old_event["UID"]
    assert int(cancel_ics.walk("VEVENT")[0]["SEQUENCE"]) > int(new_event["SEQUENCE"])


def test_german_calendar_and_support_template(client, make_calendar, smtp):
    calendar = make_calendar(language="de", timezone="Europe/Berlin", types=(
        {"slug": "support", "name": "Rückruf", "duration_minutes": 30, "location_type": "phone",
         "email_template": "support"},))
    book(client, calendar, future_day(10).replace(hour=13), type_slug="support", customer_phone="+49 30 1234567",
         timezone="Europe/Berlin")
    message = smtp.wait_for(1, address="ann@example.com")[0]
    text = parts(message)[0]
    assert message["Subject"].startswith("Rückruf gebucht") and "Wir rufen Sie" in text
    assert "+49 30 1234567" in text and "Kundennummer" in text


@pytest.mark.parametrize("failure", ["451 4.3.0 Try again later", "550 5.1.1 No such user", "refused"])
def test_failed_confirmation_retries_then_tells_support(client, make_calendar, smtp, monkeypatch, failure):
    from booking_app.settings import get_settings

    calendar = make_calendar(support_email="support@clinic.example")
    if failure == "refused":
        monkeypatch.setenv("SMTP_PORT", "1")  # nothing listens there
    else:
        smtp.fail_with = failure
    get_settings.cache_clear()
    appointment = book(client, calendar, future_day(10).replace(hour=11))
    confirmation = wait_status(appointment["id"], "confirmation", "pending")
    deadline = time.monotonic() + 10
    while confirmation.attempts < 1 and time.monotonic() < deadline:
        confirmation = wait_status(appointment["id"], "confirmation", "pending")
    assert confirmation.attempts == 1 and confirmation.last_error
    for _ in range(3):  # the retries, without waiting out the backoff
        with session_scope() as session:
            session.execute(sa.update(Notification).where(Notification.id == confirmation.id)
                            .values(next_attempt_at=datetime.now(timezone.utc)))
        try:
            send_notification(str(confirmation.id))
        except RetryLater:
            pass
    final = wait_status(appointment["id"], "confirmation", "failed")
    assert final.attempts == 4
    with session_scope() as session:
        appointment_row = session.get(Appointment, uuid.UUID(appointment["id"]))
        assert appointment_row.confirmation_status == "confirmation_failed"
        assert session.execute(sa.select(AuditEvent).where(
            AuditEvent.appointment_id == appointment_row.id,
            AuditEvent.action == "appointment.confirmation_failed")).first()
    support = [n for n in notifications(appointment["id"]) if n.kind == "support_confirmation_failed"]
    assert support and support[0].recipient == "support@clinic.example"


def test_no_reminder_after_cancel_and_failed_reminder_does_not_stop_others(client, make_calendar, smtp, providers):
    calendar = make_calendar(reminders={"email": [1440, 60], "sms": [120], "push": []})
    keep = book(client, calendar, future_day(3).replace(hour=10), customer_phone="+15551234567")
    drop = book(client, calendar, future_day(3).replace(hour=12), email="drop@example.com")
    client.post(f"/api/v1/appointments/{drop['id']}/cancel", headers={"X-Manage-Token": drop["manage_token"]},
                json={"reason": "x"})
    with session_scope() as session:  # make every reminder due now
        session.execute(sa.update(AppointmentReminder).values(scheduled_for=datetime.now(timezone.utc)))
    providers.fail_sms = True
    due = dispatch_due(datetime.now(timezone.utc) + timedelta(seconds=1))
    assert due >= 3
    with session_scope() as session:
        rows = {(r.appointment_id, r.reminder_type, r.offset_minutes): r for r in session.execute(
            sa.select(AppointmentReminder)).scalars() if str(r.appointment_id) in (keep["id"], drop["id"])}

    def settled(r: AppointmentReminder) -> bool:  # a failed attempt waits in 'pending' for its retry
        return r.status not in ("pending", "sending") or (r.status == "pending" and r.last_error is not None)

    deadline = time.monotonic() + 60
    while not all(settled(r) for r in rows.values()) and time.monotonic() < deadline:
        time.sleep(0.1)
        with session_scope() as session:
            rows = {k: session.get(AppointmentReminder, r.id) for k, r in rows.items()}
    statuses = {(str(k[0]) == keep["id"], k[1], k[2]): r.status for k, r in rows.items()}
    sms = rows[(uuid.UUID(keep["id"]), "sms", 120)]
    assert statuses[(True, "sms", 120)] == "pending", job_thread_stacks()  # retried later, like any message
    assert sms.last_error and sms.attempts == 1 and sms.next_attempt_at > datetime.now(timezone.utc)
    assert statuses[(True, "email", 1440)] == "sent" and statuses[(True, "email", 60)] == "sent"
    assert {s for (mine, _, _), s in statuses.items() if not mine} == {"cancelled"}
    reminders_to_drop = [m for m in smtp.messages if m["To"] == "drop@example.com" and "Reminder" in m["Subject"]]
    assert reminders_to_drop == []
    detail = client.get(f"/api/v1/appointments/{keep['id']}", headers={"X-Manage-Token": keep["manage_token"]})
    assert len(detail.json()["reminders_sent"]) == 2


def test_sms_and_push_reminders_reach_the_providers(client, make_calendar, smtp, providers):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    calendar = make_calendar(reminders={"email": [], "sms": [60], "push": [30]})
    appointment = book(client, calendar, future_day(2).replace(hour=15), customer_phone="+15557654321")
    browser_key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    subscribed = client.post(f"/api/v1/appointments/{appointment['id']}/push-subscriptions",
                             headers={"X-Manage-Token": appointment["manage_token"]},
                             json={"endpoint": f"{providers.base_url}/push/abc",
                                   "keys": {"p256dh": base64.urlsafe_b64encode(browser_key).decode().rstrip("="),
                                            "auth": base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")}})
    assert subscribed.status_code == 201, subscribed.text
    with session_scope() as session:
        reminders = list(session.execute(sa.select(AppointmentReminder).where(
            AppointmentReminder.appointment_id == uuid.UUID(appointment["id"]))).scalars())
        assert sorted(r.reminder_type for r in reminders) == ["push", "sms"]
        assert session.execute(sa.select(PushSubscription)).first()
    for reminder in reminders:
        assert send_reminder(str(reminder.id)) == "sent"
        assert send_reminder(str(reminder.id)) == "skipped"  # at most once
    assert len(providers.sms) == 1 and providers.sms[0]["To"] == "+15557654321"
    assert "Consultation" in providers.sms[0]["Body"] and providers.sms[0]["auth"].startswith("Basic ")
    assert len(providers.pushes) == 1
    push = providers.pushes[0]
    assert push["headers"]["content-encoding"] == "aes128gcm" and push["headers"]["authorization"].startswith("vapid")


def test_a_cancellation_during_a_reminder_send_is_answered_only_after_it(client, make_calendar, smtp):
    """The send holds the appointment row: the customer's cancel waits for the message in flight, so a
    reminder never reaches the server after the cancellation was answered."""
    import threading

    calendar = make_calendar(reminders={"email": [60], "sms": [], "push": []})
    appointment = book(client, calendar, future_day(4).replace(hour=9), email="inflight@example.com")
    with session_scope() as session:
        session.execute(sa.update(AppointmentReminder).where(
            AppointmentReminder.appointment_id == uuid.UUID(appointment["id"]))
            .values(scheduled_for=datetime.now(timezone.utc)))
        reminder_id = session.execute(sa.select(AppointmentReminder.id).where(
            AppointmentReminder.appointment_id == uuid.UUID(appointment["id"]))).scalar_one()
    smtp.wait_for(1, address="inflight@example.com")  # the confirmation
    drain_embedded()  # and every other message of the booking (the owner's): the next DATA is the reminder's
    smtp.delay_seconds = 1.5  # the reminder's DATA is slow
    outcome = {}
    sender = threading.Thread(target=lambda: outcome.setdefault("send", send_reminder(str(reminder_id))))
    started = smtp.data_started
    sender.start()
    deadline = time.monotonic() + 10
    while smtp.data_started == started and time.monotonic() < deadline:
        time.sleep(0.01)
    assert smtp.data_started > started, "the reminder never reached the SMTP server"
    cancelled = client.post(f"/api/v1/appointments/{appointment['id']}/cancel",
                            headers={"X-Manage-Token": appointment["manage_token"]}, json={"reason": "x"})
    answered = datetime.now(timezone.utc)
    sender.join(10)
    assert cancelled.status_code == 200, cancelled.text
    assert outcome["send"] == "sent"
    reminder_arrivals = [at for m, at in zip(smtp.messages, smtp.arrived)
                         if m["X-Slotwise-Notification"] == f"reminder-{reminder_id}"]
    assert len(reminder_arrivals) == 1 and reminder_arrivals[0] < answered
