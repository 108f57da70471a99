"""Booking through the HTTP API on PostgreSQL and SQLite."""
from __future__ import annotations

import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx
import sqlalchemy as sa

from booking_app.db import session_scope
from booking_app.models import Appointment
from tests.integration.conftest import book, booking_body, future_day, zulu


def active_rows(calendar_id: str) -> list[Appointment]:
    with session_scope() as session:
        return list(session.exec(sa.select(Appointment).where(
            Appointment.calendar_id == uuid.UUID(calendar_id), Appointment.status.in_(["pending", "confirmed"]))).scalars())


def test_booking_returns_the_full_appointment_with_a_manage_token(client, make_calendar):
    calendar = make_calendar()
    start = future_day().replace(hour=14)
    response = client.post("/api/v1/appointments", json=booking_body(calendar, start, notes="Bring X-rays"))
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["status"] == "confirmed"
    assert body["start_time"] == zulu(start) and body["end_time"] == zulu(start + timedelta(minutes=30))
    assert body["duration_minutes"] == 30 and body["timezone"] == "America/New_York"
    assert len(body["manage_token"]) >= 22  # ≥128 bits of base64url
    assert body["customer"]["email"] == "ann@example.com" and body["calendar"]["id"] == calendar["id"]
    assert body["links"]["manage"].endswith(body["manage_token"])
    assert "calendar.google.com" in body["links"]["google"] and "outlook" in body["links"]["outlook"]
    assert body["confirmed_at"] is not None and body["notes"] == "Bring X-rays"
    assert [(h["event"], h["description"]) for h in body["history"]] == [("booked", "Booked by you")]  # customer words
    assert {r["reminder_type"] for r in body["reminders"]} == {"email"}


def test_fifty_concurrent_bookings_for_one_slot_make_exactly_one(api_server, make_calendar):
    calendar = make_calendar()
    start = future_day(12).replace(hour=15)
    barrier = threading.Barrier(50)

    def attempt(i: int) -> httpx.Response:
        with httpx.Client(base_url=api_server.base_url, timeout=60) as c:
            body = booking_body(calendar, start, email=f"racer{i}@example.com")
            barrier.wait()
            return c.post("/api/v1/appointments", json=body)

    began = time.perf_counter()
    with ThreadPoolExecutor(max_workers=50) as pool:
        responses = list(pool.map(attempt, range(50)))
    elapsed = time.perf_counter() - began
    statuses = sorted(r.status_code for r in responses)
    print(f"\nrace: {statuses.count(201)} x 201, {statuses.count(409)} x 409 in {elapsed:.2f}s")
    assert statuses.count(201) == 1 and statuses.count(409) == 49, statuses
    for response in responses:
        if response.status_code == 409:
            body = response.json()
            assert body["error"] == "slot_unavailable"
            assert len(body["available_slots"]) >= 3
            assert all(s["start_time"] != zulu(start) for s in body["available_slots"])
    rows = active_rows(calendar["id"])
    assert len(rows) == 1 and rows[0].start_time == start


def test_a_booking_blocks_overlapping_times_not_only_the_same_slot(client, make_calendar):
    calendar = make_calendar()
    day = future_day(11)
    assert client.post("/api/v1/appointments", json=booking_body(calendar, day.replace(hour=14))).status_code == 201
    overlap = client.post("/api/v1/appointments", json=booking_body(calendar, day.replace(hour=14, minute=15),
                                                                     email="bob@example.com"))
    assert overlap.status_code == 409 and overlap.json()["error"] == "slot_unavailable"
    after = client.post("/api/v1/appointments", json=booking_body(calendar, day.replace(hour=14, minute=30),
                                                                   email="cy@example.com"))
    assert after.status_code == 201


def test_buffers_widen_the_blocked_range(client, make_calendar):
    calendar = make_calendar(buffer_after_minutes=15)
    day = future_day(11)
    assert client.post("/api/v1/appointments", json=booking_body(calendar, day.replace(hour=10))).status_code == 201
    too_close = client.post("/api/v1/appointments", json=booking_body(calendar, day.replace(hour=10, minute=30),
                                                                       email="b@example.com"))
    assert too_close.status_code == 409
    slots = client.get(f"/api/v1/calendars/{calendar['id']}/slots", params={
        "appointment_type": "consult", "start": zulu(day.replace(hour=9)), "end": zulu(day.replace(hour=12))}).json()
    starts = [s["start_time"] for s in slots["slots"]]
    assert zulu(day.replace(hour=10, minute=45)) in starts
    assert zulu(day.replace(hour=10, minute=30)) not in starts and zulu(day.replace(hour=9, minute=45)) not in starts


def test_a_cancelled_appointment_does_not_block_rebooking(client, make_calendar):
    calendar = make_calendar()
    start = future_day(13).replace(hour=9)
    first = client.post("/api/v1/appointments", json=booking_body(calendar, start)).json()
    with session_scope() as session:  # the status a cancellation leaves; the guard must ignore it
        session.execute(sa.update(Appointment).where(Appointment.id == uuid.UUID(first["id"])).values(status="cancelled"))
    again = client.post("/api/v1/appointments", json=booking_body(calendar, start, email="next@example.com"))
    assert again.status_code == 201, again.text


def test_idempotency_key_replays_the_first_response(client, make_calendar):
    calendar = make_calendar()
    body = booking_body(calendar, future_day(14).replace(hour=11))
    headers = {"Idempotency-Key": "retry-me-123"}
    first = client.post("/api/v1/appointments", json=body, headers=headers)
    second = client.post("/api/v1/appointments", json=body, headers=headers)
    assert first.status_code == second.status_code == 201, second.text
    assert first.json() == second.json()
    assert len(active_rows(calendar["id"])) == 1
    other = client.post("/api/v1/appointments", json={**body, "customer_name": "Someone Else"}, headers=headers)
    assert other.status_code == 422 and other.json()["error"] == "idempotency_key_reused"


def test_lead_time_violation_offers_alternatives(client, make_calendar):
    calendar = make_calendar(min_notice_minutes=24 * 60)
    now = datetime.now(timezone.utc)
    soon = now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=3)
    response = client.post("/api/v1/appointments", json=booking_body(calendar, soon))
    assert response.status_code == 422
    body = response.json()
    assert body["error"] == "lead_time_violation" and len(body["available_slots"]) >= 3
    far = client.post("/api/v1/appointments", json=booking_body(calendar, future_day(200).replace(hour=10)))
    assert far.status_code == 422 and far.json()["error"] == "lead_time_violation"


def test_a_time_that_is_not_offered_is_refused_with_alternatives(client, make_calendar):
    calendar = make_calendar()
    odd = client.post("/api/v1/appointments", json=booking_body(calendar, future_day(9).replace(hour=14, minute=7)))
    assert odd.status_code == 409 and len(odd.json()["available_slots"]) >= 3
    night = client.post("/api/v1/appointments", json=booking_body(calendar, future_day(9).replace(hour=22)))
    assert night.status_code == 409


def test_paid_types_book_as_pending_and_hold_the_slot(client, make_calendar):
    calendar = make_calendar(types=({"slug": "paid", "name": "Paid", "duration_minutes": 60, "price": "80.00",
                                     "currency": "EUR", "payment_required": True},))
    start = future_day(8).replace(hour=10)
    response = client.post("/api/v1/appointments", json=booking_body(calendar, start, minutes=60, type_slug="paid"))
    body = response.json()
    assert response.status_code == 201 and body["status"] == "pending"
    assert body["payment_required"] is True and body["payment_amount"] == 80.0 and body["currency"] == "EUR"
    assert body["hold_expires_at"] is not None
    clash = client.post("/api/v1/appointments", json=booking_body(calendar, start, minutes=60, type_slug="paid",
                                                                   email="z@example.com"))
    assert clash.status_code == 409


def test_staff_may_override_availability_but_never_overlap(client, admin, make_calendar):
    calendar = make_calendar()
    past = future_day(-3).replace(hour=2)
    body = booking_body(calendar, past, override_availability=True)
    assert client.post("/api/v1/appointments", json=body).status_code == 403
    created = admin.post("/api/v1/appointments", json=body)
    assert created.status_code == 201, created.text
    assert admin.post("/api/v1/appointments", json={**body, "customer_email": "x@example.com"}).status_code == 409


def test_one_contact_per_email_kept_current_by_each_booking(client, make_calendar):
    from booking_app.models import Contact

    calendar = make_calendar()
    email = f"crm-{uuid.uuid4().hex[:8]}@example.com"

    def contact() -> Contact:
        with session_scope() as session:
            return session.execute(sa.select(Contact).where(Contact.email == email)).scalar_one()

    first = book(client, calendar, future_day(5).replace(hour=9), email=email.upper(), customer_phone="+15550001111")
    created = contact()
    assert (created.name, created.phone, created.timezone) == ("Ann Example", "+15550001111", "America/New_York")
    again = book(client, calendar, future_day(5).replace(hour=11), email=email, customer_name="Ann Married",
                 timezone="Europe/Berlin")
    moved = contact()
    assert again["customer_id"] == first["customer_id"] == str(created.id)
    # A new name and timezone are kept; a phone left out keeps the one on file.
    assert (moved.name, moved.phone, moved.timezone) == ("Ann Married", "+15550001111", "Europe/Berlin")
    assert moved.updated_at >= created.updated_at
    book(client, calendar, future_day(5).replace(hour=13), email=email, customer_name="Ann Married",
         timezone="Europe/Berlin")
    assert contact().updated_at == moved.updated_at  # nothing new, nothing written


def test_booking_page_states_the_late_fee_in_the_priced_types_currency(make_calendar):
    from booking_app.viewmodels.customer_view import calendar_page

    calendar = make_calendar(
        cancellation_policy={"lead_time_hours": 12, "late_cancellation": "fee", "late_cancel_fee": 15},
        types=({"slug": "call", "name": "Phone call", "duration_minutes": 20},  # free: currency left at default
               {"slug": "cut", "name": "Haircut", "duration_minutes": 45, "price": "48", "currency": "EUR"}))
    assert calendar_page(calendar["slug"]).policy.endswith("cost a fee of 15.00 EUR.")
