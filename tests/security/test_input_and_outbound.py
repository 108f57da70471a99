"""Input and outbound requests (issue 14, item 5) through the real API, services and send jobs:
control characters in free text are a 422 on both ways in; a message that cannot be composed fails
for good with its reason; push endpoints must be public https URLs when saved and when used; a
malformed signed token is a 4xx."""
from __future__ import annotations

import base64
import json
import os
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from booking_app.db import session_scope
from booking_app.errors import ValidationFailed
from booking_app.models import (
    Appointment,
    AppointmentReminder,
    AppointmentType,
    AuditEvent,
    Calendar,
    Notification,
    PushSubscription,
)
from booking_app.principal import Principal
from booking_app.queue import drain_embedded
from booking_app.services.access import signed
from booking_app.services.messaging import reminders
from booking_app.services.messaging.dispatch import dispatch_due, send_reminder
from booking_app.services.messaging.notifications import send_notification
from booking_app.settings import get_settings
from booking_app.viewmodels import console_view, customer_view, settings_view
from tests.conftest import use_env
from tests.integration.conftest import (  # noqa: F401 - make_calendar is a fixture
    book,
    booking_body,
    future_day,
    make_calendar,
    notifications,
    wait_status,
)

FRONT_DESK = Principal(kind="staff", role="admin", id=uuid.uuid4(), label="front desk", actor_type="staff")


def as_customer(appointment: dict) -> dict:
    return {"X-Manage-Token": appointment["manage_token"]}


def assert_refused(response, status: int, code: str, *fields: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["error"] == code, body
    if fields:
        assert sorted({d["field"] for d in body["details"]}) == sorted(fields), body


# -- free text ---------------------------------------------------------------------------------------

def test_control_characters_in_free_text_are_422_per_field_through_the_api(client, admin, make_calendar):
    calendar = make_calendar()
    start = future_day(11).replace(hour=9)
    for fields, bad in (({"customer_name": "Ann\nBcc: victim@example.com"}, ["customer_name"]),
                        ({"customer_name": "Ann\u2028Example", "customer_email": "ann@example.com\r"},
                         ["customer_name", "customer_email"]),
                        ({"customer_phone": "+1 555\x0b0100"}, ["customer_phone"]),
                        ({"notes": "ring twice\x1b[2J"}, ["notes"]),
                        ({"notes": "\x85next line"}, ["notes"])):
        assert_refused(client.post("/api/v1/appointments", json=booking_body(calendar, start, **fields)),
                       422, "validation_error", *bad)
    assert not admin.get("/api/v1/appointments", params={"calendar_id": calendar["id"]}).json()["items"]

    # Notes are multi-line text: line breaks and tabs stay.
    appointment = book(client, calendar, start, notes="Ground floor\r\nRing twice\tplease")
    assert appointment["notes"] == "Ground floor\r\nRing twice\tplease"

    url = f"/api/v1/appointments/{appointment['id']}"
    assert_refused(client.post(f"{url}/cancel", headers=as_customer(appointment), json={"reason": "sick\x07"}),
                   422, "validation_error", "reason")
    assert_refused(admin.patch(f"{url}/status", json={"status": "confirmed", "notes": "x\x00"}),
                   422, "validation_error", "notes")
    assert_refused(admin.patch(f"/api/v1/calendars/{calendar['id']}", json={"business_name": "Clinic\n"}),
                   422, "validation_error", "business_name")
    assert_refused(admin.post(f"/api/v1/calendars/{calendar['id']}/appointment-types",
                              json={"slug": "x", "name": "Check\r\nup", "duration_minutes": 30}),
                   422, "validation_error", "name")
    created = admin.post(f"/api/v1/calendars/{calendar['id']}/appointment-types",
                         json={"slug": "multi", "name": "Check-up", "duration_minutes": 30,
                               "description": "Bring:\n- X-rays\n- insurance card"})
    assert created.status_code == 201, created.text
    cancelled = client.post(f"{url}/cancel", headers=as_customer(appointment), json={"reason": "Ill.\nSorry!"})
    assert cancelled.status_code == 200, cancelled.text


def test_the_pages_call_services_that_refuse_control_characters_too(client, make_calendar):
    """The booking, console and settings pages call services directly, without the API's schemas."""
    calendar = make_calendar()
    slot_start = future_day(12).replace(hour=10)
    slot = customer_view.SlotOption(slot_id=str(uuid.uuid4()), start_time=slot_start.isoformat(),
                                    end_time=(slot_start + timedelta(minutes=30)).isoformat(), label="")
    with pytest.raises(ValidationFailed) as refused:
        customer_view.book_from_page(calendar_id=calendar["id"], type_slug="consult", slot=slot,
                                     name="Ann\nBcc: victim@example.com", email="ann@example.com", phone="",
                                     notes="", tz="UTC")
    assert [d["field"] for d in refused.value.extra["details"]] == ["customer_name"]
    with session_scope() as session:
        assert not session.execute(sa.select(Appointment.id).where(
            Appointment.calendar_id == uuid.UUID(calendar["id"]))).first()

    appointment = book(client, calendar, slot_start)
    with pytest.raises(ValidationFailed):
        console_view.add_note(appointment["id"], "called\x1b[31m back", FRONT_DESK)
    with pytest.raises(ValidationFailed):
        console_view.cancel_as_owner(appointment["id"], "closed\x00", FRONT_DESK)
    with pytest.raises(ValidationFailed):
        settings_view.add_type(calendar["id"], {"name": "Mass\u2029age", "slug": "massage", "duration": "30"},
                               FRONT_DESK)
    with pytest.raises(ValidationFailed):
        settings_view.create_key("ops\nteam", "staff", FRONT_DESK)
    console_view.add_note(appointment["id"], "called back\nwill bring X-rays", FRONT_DESK)
    with session_scope() as session:
        assert session.get(Appointment, uuid.UUID(appointment["id"])).status == "confirmed"
        notes = session.execute(sa.select(AuditEvent.data).where(
            AuditEvent.appointment_id == uuid.UUID(appointment["id"]), AuditEvent.action == "appointment.note_added"))
        assert [data["note"] for data in notes.scalars()] == ["called back\nwill bring X-rays"]


# -- messages that cannot be composed ----------------------------------------------------------------

def test_a_message_that_cannot_be_composed_fails_for_good_with_its_reason(client, make_calendar, smtp):
    """Old data from before the rule: a line break in a name makes a subject line unsendable (the
    owner's names the customer, the reminder the type). The real dispatch path (sweep → job) fails
    the rows at once with the reason: not retried, not stuck in `sending`."""
    calendar = make_calendar(reminders={"email": [60], "sms": [], "push": []})
    appointment = book(client, calendar, future_day(2).replace(hour=15))
    smtp.wait_for(1, address="owner@clinic.example")
    now = datetime.now(timezone.utc)
    with session_scope() as session:
        row = session.get(Appointment, uuid.UUID(appointment["id"]))
        row.customer_name = "Ann\nBcc: victim@example.com"
        session.get(AppointmentType, row.appointment_type_id).name = "Consultation\r\nBcc: victim@example.com"
        planted = Notification(appointment_id=row.id, kind="owner_booked", channel="email",
                               recipient="owner@clinic.example", version=row.version + 1000, next_attempt_at=now)
        session.add(planted)
        session.flush()
        planted_id = planted.id
        session.execute(sa.update(AppointmentReminder).where(AppointmentReminder.appointment_id == row.id)
                        .values(scheduled_for=now))
    sent_before = len(smtp.messages)

    assert dispatch_due(now + timedelta(seconds=1)) >= 2
    drain_embedded()
    with session_scope() as session:
        failed = session.get(Notification, planted_id)
        reminder = session.execute(sa.select(AppointmentReminder).where(
            AppointmentReminder.appointment_id == uuid.UUID(appointment["id"]))).scalar_one()
    assert (failed.status, failed.attempts) == ("failed", 1), failed.last_error
    assert "cannot be composed" in failed.last_error and "linefeed" in failed.last_error
    assert reminder.status == "failed" and "cannot be composed" in reminder.last_error
    assert send_notification(str(planted_id)) == "skipped"  # failed for good: nothing left to retry
    # (other tests' reminders still being retried may reach this server: count only this booking's)
    mine = {str(planted_id), f"reminder-{reminder.id}"}
    assert not any(m["X-Slotwise-Notification"] in mine for m in smtp.messages[sent_before:])


def test_a_confirmation_that_cannot_be_composed_tells_support_at_once(client, make_calendar, smtp):
    calendar = make_calendar(support_email="support@clinic.example")
    appointment = book(client, calendar, future_day(4).replace(hour=11))
    wait_status(appointment["id"], "confirmation", "sent")  # the real one is done: its status is final
    with session_scope() as session:
        row = session.get(Appointment, uuid.UUID(appointment["id"]))
        planted = Notification(appointment_id=row.id, kind="confirmation", channel="email",
                               recipient="ann@example.com\r\nBcc: victim@example.com", version=row.version + 1000)
        session.add(planted)
        session.flush()
        planted_id = planted.id
    assert send_notification(str(planted_id)) == "failed"  # no RetryLater: no retries
    drain_embedded()
    with session_scope() as session:
        failed = session.get(Notification, planted_id)
        assert failed.status == "failed" and "cannot be composed" in failed.last_error
        assert session.get(Appointment, uuid.UUID(appointment["id"])).confirmation_status == "confirmation_failed"
    assert any(n.kind == "support_confirmation_failed" and n.recipient == "support@clinic.example"
               for n in notifications(appointment["id"]))
    assert smtp.wait_for(1, address="support@clinic.example")[0]["Subject"].startswith("Confirmation could not")


# -- push endpoints ----------------------------------------------------------------------------------

@pytest.fixture
def only_public_urls(monkeypatch):
    """The production default (OUTBOUND_ALLOW_PRIVATE=false), also after `providers` allowed private hosts."""
    use_env(monkeypatch, {"OUTBOUND_ALLOW_PRIVATE": "false"})
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def browser_keys() -> dict:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    public = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"p256dh": base64.urlsafe_b64encode(public).decode().rstrip("="),
            "auth": base64.urlsafe_b64encode(os.urandom(16)).decode().rstrip("=")}


def test_push_endpoints_must_be_public_https_urls_when_saved(client, make_calendar, providers, only_public_urls):
    appointment = book(client, make_calendar(), future_day(5).replace(hour=9))
    url = f"/api/v1/appointments/{appointment['id']}/push-subscriptions"
    for endpoint in (f"{providers.base_url}/push/abc", "https://127.0.0.1/push", "https://[::1]/push",
                     "https://[::ffff:127.0.0.1]/push", "https://169.254.169.254/latest/meta-data",
                     "https://10.0.0.1/push", "https://localhost/push", "https://0.0.0.0/push",
                     "https://push.example@127.0.0.1/push", "https://2130706433/push", "https://[fd00::1]/push"):
        response = client.post(url, headers=as_customer(appointment),
                               json={"endpoint": endpoint, "keys": browser_keys()})
        assert_refused(response, 422, "url_not_allowed")
    assert providers.pushes == []
    with session_scope() as session:
        lineage_id = session.get(Appointment, uuid.UUID(appointment["id"])).lineage_id
        assert not session.execute(sa.select(PushSubscription).where(PushSubscription.lineage_id == lineage_id)).first()


def test_push_endpoints_are_checked_again_when_sending(client, make_calendar, providers, only_public_urls):
    """A subscription row that points inside (planted, or whose name now resolves inside) is never
    contacted: the reminder and the notification fail for good with the reason."""
    calendar = make_calendar(reminders={"email": [], "sms": [], "push": [30]})
    appointment = book(client, calendar, future_day(2).replace(hour=16))
    with session_scope() as session:
        row = session.get(Appointment, uuid.UUID(appointment["id"]))
        for endpoint in (f"{providers.base_url}/push/planted", providers.base_url.replace("http:", "https:")):
            session.add(PushSubscription(lineage_id=row.lineage_id, endpoint=endpoint, **browser_keys()))
        planned = reminders.plan(session, appointment=row, calendar=session.get(Calendar, row.calendar_id),
                                 now=datetime.now(timezone.utc), channels=("push",))
        planted = Notification(appointment_id=row.id, kind="reminder", channel="push",
                               recipient=row.customer_email, version=row.version + 1000)
        session.add(planted)
        session.flush()
        reminder_id, notification_id = planned[0].id, planted.id

    assert send_reminder(str(reminder_id)) == "failed"
    assert send_notification(str(notification_id)) == "failed"  # not RetryLater: refused for good
    assert providers.pushes == []
    with session_scope() as session:
        reminder = session.get(AppointmentReminder, reminder_id)
        notification = session.get(Notification, notification_id)
    for row in (reminder, notification):
        assert row.status == "failed" and row.attempts == 1
        assert "only https URLs" in row.last_error and "127.0.0.1 is not a public address" in row.last_error


# -- signed tokens -----------------------------------------------------------------------------------

def signed_body(body: bytes) -> str:
    """A token with a valid MAC over any body (the API server runs in this process, with this key)."""
    encoded = signed._b64(body)
    return f"{encoded}.{signed._mac(encoded)}"


def malformed_tokens(good: str, appointment_id: str) -> list[str]:
    body, mac = good.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    return [
        "forged.token", "no-dot", ".", body + ".", "." + mac, good + ".x", body + ".é" + mac[1:], "é" + good,
        body + "." + mac[::-1], "%%%." + signed._mac("%%%"),
        signed_body(b"not json"), signed_body(b"\xff\xfe"), signed_body(b"[1, 2]"), signed_body(b'"text"'),
        signed_body(b"null"), signed_body(b"{}"), signed_body(b"[" * 300 + b"]" * 300),
        signed_body(json.dumps({**claims, "e": "tomorrow"}).encode()),
        signed_body(json.dumps({**claims, "e": True}).encode()),
        signed_body(json.dumps({"p": claims["p"], "a": appointment_id}).encode()),
        signed_body(json.dumps({**claims, "a": None}).encode()),
        signed_body(b'{"p":"%s","a":"%s","e":1e999}' % (claims["p"].encode(), appointment_id.encode())),
        signed_body(json.dumps({**claims, "e": 10 ** 300, "a": str(uuid.uuid4())}).encode()),
        signed_body(json.dumps({**claims, "e": -10 ** 300}).encode()),
        "x" * 501, "a\x00.b",
    ]


def test_malformed_signed_tokens_are_4xx_never_500(client, admin, make_calendar):
    calendar = make_calendar()
    day = future_day(8)
    appointment = book(client, calendar, day.replace(hour=9))
    started = client.post(f"/api/v1/appointments/{appointment['id']}/reschedule", headers=as_customer(appointment),
                          json={})
    proposal = admin.post(f"/api/v1/appointments/{appointment['id']}/reschedule",
                          json={"new_start_time": (day.replace(hour=15)).isoformat()}).json()
    target = day.replace(hour=12)
    for token in malformed_tokens(started.json()["reschedule_token"], appointment["id"]):
        confirm = client.put(f"/api/v1/appointments/{appointment['id']}/reschedule/confirm", json={
            "reschedule_token": token, "new_start_time": target.isoformat(),
            "new_end_time": (target + timedelta(minutes=30)).isoformat()})
        assert 400 <= confirm.status_code < 500 and confirm.json()["error"], (token, confirm.text)
    for token in malformed_tokens(proposal["reschedule_token"], proposal["proposal_id"]):
        answer = client.post(f"/api/v1/appointments/{proposal['proposal_id']}/proposal",
                             json={"answer_token": token, "answer": "accept"})
        assert 400 <= answer.status_code < 500 and answer.json()["error"], (token, answer.text)
    with session_scope() as session:  # nothing moved
        assert session.get(Appointment, uuid.UUID(appointment["id"])).status == "confirmed"
        assert session.get(Appointment, uuid.UUID(proposal["proposal_id"])).status == "pending"
