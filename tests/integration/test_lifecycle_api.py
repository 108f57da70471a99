"""Lifecycle through the HTTP API: cancel, reschedule, status, check-in, payment, sweeps."""
from __future__ import annotations

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone

import httpx
import pytest
import sqlalchemy as sa

from booking_app.db import session_scope
from booking_app.models import Appointment, AppointmentReminder, Notification, Payment
from booking_app.services.operations.periodic import run_tick
from tests.integration.conftest import book, booking_body, future_day, zulu


def as_customer(appointment: dict) -> dict:
    return {"X-Manage-Token": appointment["manage_token"]}


def rows(model, **where):
    with session_scope() as session:
        query = sa.select(model)
        for key, value in where.items():
            query = query.where(getattr(model, key) == (uuid.UUID(value) if key.endswith("id") else value))
        return list(session.execute(query).scalars())


def test_customer_cancel_inside_policy_frees_the_slot_and_stops_reminders(client, make_calendar):
    calendar = make_calendar()
    start = future_day(6).replace(hour=10)
    appointment = book(client, calendar, start)
    response = client.post(f"/api/v1/appointments/{appointment['id']}/cancel", headers=as_customer(appointment),
                           json={"reason": "Schedule conflict", "cancelled_by": "customer"})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["status"] == "cancelled" and body["late_cancel_fee"] == 0.0 and body["cancelled_at"]
    assert {r.status for r in rows(AppointmentReminder, appointment_id=appointment["id"])} == {"cancelled"}
    kinds = {n.kind for n in rows(Notification, appointment_id=appointment["id"])}
    assert {"cancelled", "owner_cancelled"} <= kinds
    assert client.post("/api/v1/appointments", json=booking_body(calendar, start, email="b@example.com")
                       ).status_code == 201
    again = client.post(f"/api/v1/appointments/{appointment['id']}/cancel", headers=as_customer(appointment),
                        json={"reason": "again"})
    assert again.status_code == 409 and again.json()["error"] == "invalid_transition"


def test_blocked_late_cancel_offers_reschedule(client, admin, make_calendar):
    calendar = make_calendar(min_notice_minutes=0, cancellation_policy={"lead_time_hours": 48})
    appointment = book(client, calendar, future_day(1).replace(hour=12))
    response = client.post(f"/api/v1/appointments/{appointment['id']}/cancel", headers=as_customer(appointment),
                           json={"reason": "Sick"})
    assert response.status_code == 403
    body = response.json()
    assert body["error"] == "cancellation_not_allowed" and "48 hours" in body["message"]
    assert body["cancellation_policy"]["lead_time_hours"] == 48
    assert 0 < body["cancellation_policy"]["hours_until_appointment"] < 48
    assert body["reschedule_url"].endswith(appointment["manage_token"]) and len(body["available_slots"]) >= 3
    owner = admin.post(f"/api/v1/appointments/{appointment['id']}/cancel",
                       json={"reason": "Doctor ill", "cancelled_by": "owner"})
    assert owner.status_code == 200 and owner.json()["status"] == "cancelled"
    notice = rows(Notification, appointment_id=appointment["id"], kind="cancelled_by_owner")
    assert notice and notice[0].payload["rebook_url"].endswith(f"/book/{calendar['slug']}")


def test_late_cancel_with_fee_mode_records_the_fee(client, admin, make_calendar):
    calendar = make_calendar(min_notice_minutes=0, types=(
        {"slug": "consult", "name": "C", "duration_minutes": 30, "price": "100.00", "currency": "EUR",
         "payment_required": True},),
        cancellation_policy={"lead_time_hours": 48, "late_cancellation": "fee", "late_cancel_fee": 20,
                             "refund_percent": 50})
    appointment = book(client, calendar, future_day(1).replace(hour=12))
    paid = admin.post(f"/api/v1/appointments/{appointment['id']}/payment",
                      json={"payment_id": "pay_1", "amount": "100.00", "status": "paid"})
    assert paid.status_code == 200 and paid.json()["status"] == "confirmed", paid.text
    response = client.post(f"/api/v1/appointments/{appointment['id']}/cancel", headers=as_customer(appointment),
                           json={"reason": "Late"})
    body = response.json()
    assert response.status_code == 200 and body["status"] == "late_cancel"
    assert body["late_cancel_fee"] == 20.0 and body["refund_amount"] == 30.0 and body["refund_status"] == "processed"
    money = sorted((p.kind, float(p.amount)) for p in rows(Payment, appointment_id=appointment["id"]))
    assert money == [("charge", 100.0), ("fee", 20.0), ("refund", 30.0)]


def start_reschedule(client, appointment) -> dict:
    response = client.post(f"/api/v1/appointments/{appointment['id']}/reschedule", headers=as_customer(appointment),
                           json={"reason": "Moving"})
    assert response.status_code == 200, response.text
    return response.json()


def test_reschedule_end_to_end(client, make_calendar):
    calendar = make_calendar()
    start = future_day(7).replace(hour=10)
    appointment = book(client, calendar, start)
    started = start_reschedule(client, appointment)
    assert started["expires_at"] and len(started["available_slots"]) >= 3
    # The old slot stays held while the token lives.
    assert client.post("/api/v1/appointments", json=booking_body(calendar, start, email="x@example.com")
                       ).status_code == 409
    target = start + timedelta(minutes=15)  # overlaps the old range: allowed, the old one is being replaced
    confirm = {"reschedule_token": started["reschedule_token"], "new_start_time": zulu(target),
               "new_end_time": zulu(target + timedelta(minutes=30))}
    moved = client.put(f"/api/v1/appointments/{appointment['id']}/reschedule/confirm", json=confirm)
    assert moved.status_code == 200, moved.text
    new = moved.json()
    assert new["status"] == "confirmed" and new["rescheduled_from_id"] == appointment["id"]
    assert new["start_time"] == zulu(target) and new["version"] == appointment["version"] + 2
    old = client.get(f"/api/v1/appointments/{appointment['id']}", headers=as_customer(appointment)).json()
    assert old["status"] == "cancelled" and old["rescheduled_to_id"] == new["id"]
    assert {r["status"] for r in old["reminders"]} == {"cancelled"}
    assert {r["status"] for r in new["reminders"]} == {"pending"}
    assert client.put(f"/api/v1/appointments/{appointment['id']}/reschedule/confirm", json=confirm
                      ).status_code == 409
    wrong = client.put(f"/api/v1/appointments/{new['id']}/reschedule/confirm", json=confirm)
    assert wrong.status_code == 403 and wrong.json()["error"] == "invalid_reschedule_token"
    same = start_reschedule(client, {**new, "manage_token": appointment["manage_token"]})
    same_slot = client.put(f"/api/v1/appointments/{new['id']}/reschedule/confirm", json={
        **confirm, "reschedule_token": same["reschedule_token"]})
    assert same_slot.status_code == 422


def test_two_customers_rescheduling_into_one_slot(api_server, client, make_calendar):
    calendar = make_calendar()
    day = future_day(8)
    first, second = book(client, calendar, day.replace(hour=9)), book(client, calendar, day.replace(hour=11),
                                                                       email="two@example.com")
    tokens = [start_reschedule(client, a)["reschedule_token"] for a in (first, second)]
    target = day.replace(hour=15)
    barrier = threading.Barrier(2)

    def confirm(pair) -> httpx.Response:
        appointment, token = pair
        with httpx.Client(base_url=api_server.base_url, timeout=30) as c:
            barrier.wait()
            return c.put(f"/api/v1/appointments/{appointment['id']}/reschedule/confirm", json={
                "reschedule_token": token, "new_start_time": zulu(target),
                "new_end_time": zulu(target + timedelta(minutes=30))})

    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(confirm, zip((first, second), tokens)))
    assert sorted(r.status_code for r in results) == [200, 409]
    loser = next(r for r in results if r.status_code == 409).json()
    assert loser["error"] == "slot_unavailable" and len(loser["available_slots"]) >= 3
    active = [a for a in rows(Appointment, calendar_id=calendar["id"]) if a.status == "confirmed"]
    assert len(active) == 2 and sum(a.start_time == target for a in active) == 1


def test_concurrent_cancel_reschedule_and_check_in_end_consistently(api_server, client, admin, make_calendar):
    calendar = make_calendar(min_notice_minutes=0)
    appointment = book(client, calendar, future_day(2).replace(hour=12))
    token = start_reschedule(client, appointment)["reschedule_token"]
    target = future_day(2).replace(hour=16)
    barrier = threading.Barrier(3)
    headers = {"Authorization": admin.headers["Authorization"]}

    def act(which: str) -> httpx.Response:
        with httpx.Client(base_url=api_server.base_url, timeout=30) as c:
            barrier.wait()
            url = f"/api/v1/appointments/{appointment['id']}"
            if which == "cancel":
                return c.post(url + "/cancel", headers=headers, json={"reason": "x", "cancelled_by": "owner"})
            if which == "reschedule":
                return c.put(url + "/reschedule/confirm", json={
                    "reschedule_token": token, "new_start_time": zulu(target),
                    "new_end_time": zulu(target + timedelta(minutes=30))})
            return c.post(url + "/check-in", headers=headers, json={"method": "manual"})

    with ThreadPoolExecutor(3) as pool:
        results = dict(zip(("cancel", "reschedule", "check-in"), pool.map(act, ("cancel", "reschedule", "check-in"))))
    codes = {k: r.status_code for k, r in results.items()}
    assert all(code in (200, 201, 409) for code in codes.values()), codes
    assert not (codes["cancel"] == 200 and codes["reschedule"] == 200), codes  # never both
    old = rows(Appointment, id=appointment["id"])[0]
    lineage = [a for a in rows(Appointment, calendar_id=calendar["id"]) if a.status in ("pending", "confirmed")]
    if codes["cancel"] == 200:
        assert old.status == "cancelled" and old.rescheduled_to_id is None and lineage == []
    elif codes["reschedule"] == 200:
        assert old.status == "cancelled" and old.rescheduled_to_id == lineage[0].id and len(lineage) == 1
    history = [h["action"] for h in admin.get(f"/api/v1/appointments/{appointment['id']}").json()["history"]]
    assert history.count("appointment.cancelled") + history.count("appointment.rescheduled") == 1


def test_paid_booking_expires_when_unpaid_and_frees_the_slot(client, make_calendar):
    calendar = make_calendar(types=({"slug": "consult", "name": "Paid", "duration_minutes": 30, "price": "50.00",
                                     "payment_required": True},))
    start = future_day(5).replace(hour=13)
    pending = book(client, calendar, start)
    with session_scope() as session:  # the hold ran out
        session.execute(sa.update(Appointment).where(Appointment.id == uuid.UUID(pending["id"]))
                        .values(hold_expires_at=datetime.now(timezone.utc) - timedelta(minutes=1)))
    assert run_tick()["expire_holds"] >= 1
    expired = rows(Appointment, id=pending["id"])[0]
    assert expired.status == "cancelled" and expired.cancelled_by == "system"
    assert rows(Notification, appointment_id=pending["id"], kind="payment_expired")
    assert client.post("/api/v1/appointments", json=booking_body(calendar, start, email="n@example.com")
                       ).status_code == 201


def test_sweep_marks_no_show_and_completed(client, admin, make_calendar):
    calendar = make_calendar(no_show_grace_minutes=15)
    ended = datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(hours=2)
    came = book(admin, calendar, ended, override_availability=True)
    missed = book(admin, calendar, ended - timedelta(hours=2), override_availability=True, email="m@example.com")
    recent = book(admin, calendar, datetime.now(timezone.utc).replace(second=0, microsecond=0) - timedelta(minutes=35),
                  override_availability=True, email="r@example.com")  # ended 5 min ago: still in grace
    assert admin.post(f"/api/v1/appointments/{came['id']}/check-in", json={"method": "manual"}).status_code == 201
    assert admin.post(f"/api/v1/appointments/{came['id']}/check-in", json={"method": "manual"}).json()[
        "error"] == "already_checked_in"
    run_tick()
    run_tick()  # idempotent
    status = {a: rows(Appointment, id=x["id"])[0].status for a, x in
              (("came", came), ("missed", missed), ("recent", recent))}
    assert status == {"came": "completed", "missed": "no_show", "recent": "confirmed"}
    kinds = sorted(n.kind for n in rows(Notification, appointment_id=missed["id"]))
    assert kinds.count("no_show_followup") == 1 and kinds.count("owner_no_show") == 1


ILLEGAL = [("confirmed", "pending"), ("confirmed", "confirmed"), ("cancelled", "confirmed"),
           ("completed", "confirmed"), ("no_show", "pending"), ("cancelled", "completed")]


@pytest.mark.parametrize("current, requested", ILLEGAL)
def test_illegal_transitions_are_409(client, admin, make_calendar, current, requested):
    calendar = make_calendar()
    appointment = book(admin, calendar, future_day(-2).replace(hour=9), override_availability=True)
    if current != "confirmed":
        assert admin.patch(f"/api/v1/appointments/{appointment['id']}/status", json={"status": current}
                           ).status_code == 200
    response = admin.patch(f"/api/v1/appointments/{appointment['id']}/status", json={"status": requested})
    assert response.status_code == 409
    body = response.json()
    assert body["error"] == "invalid_transition" and body["current_status"] == current


def test_owner_proposal_accept_and_decline(client, admin, make_calendar):
    calendar = make_calendar()
    day = future_day(9)
    appointment = book(client, calendar, day.replace(hour=9))
    proposal = admin.post(f"/api/v1/appointments/{appointment['id']}/reschedule",
                          json={"reason": "Doctor away", "new_start_time": zulu(day.replace(hour=14))}).json()
    held = client.post("/api/v1/appointments", json=booking_body(calendar, day.replace(hour=14), email="q@ex.com"))
    assert held.status_code == 409  # the proposed time is held for the customer
    note = rows(Notification, appointment_id=proposal["proposal_id"], kind="reschedule_proposal")[0]
    assert "answer=accept" in note.payload["accept_url"]
    bad = client.post(f"/api/v1/appointments/{proposal['proposal_id']}/proposal",
                      json={"answer_token": "forged.token", "answer": "accept"})
    assert bad.status_code == 403
    accepted = client.post(f"/api/v1/appointments/{proposal['proposal_id']}/proposal",
                           json={"answer_token": proposal["reschedule_token"], "answer": "accept"})
    assert accepted.status_code == 200 and accepted.json()["status"] == "confirmed", accepted.text
    assert rows(Appointment, id=appointment["id"])[0].status == "cancelled"
    second = admin.post(f"/api/v1/appointments/{proposal['proposal_id']}/reschedule",
                        json={"new_start_time": zulu(day.replace(hour=16))}).json()
    declined = client.post(f"/api/v1/appointments/{second['proposal_id']}/proposal",
                           json={"answer_token": second["reschedule_token"], "answer": "decline"})
    assert declined.status_code == 200 and declined.json()["status"] == "confirmed"
    assert rows(Appointment, id=second["proposal_id"])[0].status == "cancelled"
