"""Cancelling (services/appointments/cancellation.py): the calendar's policy decides at `now`, money
moves through the payment gateway, and the messages are queued in the same transaction."""
from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from booking_app.db import session_scope
from booking_app.principal import ANONYMOUS
from booking_app.services.appointments import cancellation
from tests.services.conftest import (
    NOW,
    STAFF,
    at,
    audit_actions,
    audit_event,
    book,
    book_paid,
    cancel,
    cancellation_record,
    make_calendar,
    money_moves,
    ny,
    ny_calendar,
    outbox_kinds,
    outbox_row,
    refused,
    reload,
)

START = at(3, 10)
FEE_POLICY = {"lead_time_hours": 24, "late_cancellation": "fee", "late_cancel_fee": 20}


def test_an_on_time_customer_cancel_refunds_the_policy_share_of_what_was_paid():
    calendar = make_calendar(cancellation_policy={"lead_time_hours": 24, "refund_percent": 50})
    booked = book_paid(calendar, START, paid_at=NOW)
    appointment_id = booked.appointment.id
    cancel(booked, now=START - timedelta(hours=48))
    appointment = reload(appointment_id)
    assert (appointment.status, appointment.cancelled_by, appointment.cancelled_at, appointment.payment_status) \
        == ("cancelled", "customer", START - timedelta(hours=48), "partially_refunded")
    assert money_moves(appointment_id) == {("charge", Decimal(50), "processed"), ("refund", Decimal(25), "processed")}
    record = cancellation_record(appointment_id)
    assert (record.cancellation_type, record.refund_amount, record.refund_status, record.late_cancel_fee) \
        == ("customer", Decimal(25), "processed", None)
    assert {("cancelled", "ann@example.com"), ("owner_cancelled", "owner@clinic.example")} \
        <= outbox_kinds(appointment_id)
    assert Decimal(outbox_row(appointment_id, "cancelled").payload["refund_amount"]) == 25
    event = audit_event(appointment_id, "appointment.cancelled")
    assert (event.actor_type, event.from_status, event.to_status) == ("customer", "confirmed", "cancelled")
    assert (Decimal(event.data["refund"]), Decimal(event.data["fee"])) == (25, 0)


def test_a_late_cancel_in_fee_mode_charges_the_fee_and_refunds_the_rest():
    calendar = make_calendar(cancellation_policy=FEE_POLICY)
    booked = book_paid(calendar, START, paid_at=NOW)
    cancel(booked, now=START - timedelta(hours=2))
    appointment_id = booked.appointment.id
    appointment = reload(appointment_id)
    assert (appointment.status, appointment.payment_status) == ("late_cancel", "partially_refunded")
    assert money_moves(appointment_id) == {("charge", Decimal(50), "processed"), ("fee", Decimal(20), "processed"),
                                           ("refund", Decimal(30), "processed")}
    record = cancellation_record(appointment_id)
    assert (record.refund_amount, record.late_cancel_fee) == (Decimal(30), Decimal(20))
    assert "appointment.late_cancel" in audit_actions(appointment_id)


def test_a_fee_larger_than_the_refundable_share_refunds_nothing():
    calendar = make_calendar(cancellation_policy={**FEE_POLICY, "refund_percent": 10})  # share 5.00 < fee 20.00
    booked = book_paid(calendar, START, paid_at=NOW)
    cancel(booked, now=START - timedelta(hours=2))
    appointment_id = booked.appointment.id
    assert money_moves(appointment_id) == {("charge", Decimal(50), "processed"), ("fee", Decimal(20), "processed")}
    assert reload(appointment_id).payment_status == "paid"
    record = cancellation_record(appointment_id)
    assert (record.refund_amount, record.refund_status) == (None, None)


def test_a_late_cancel_of_a_free_booking_leaves_the_fee_owed():
    calendar = make_calendar(cancellation_policy={**FEE_POLICY, "late_cancel_fee": 15})
    booked = book(calendar, START)
    cancel(booked, now=START - timedelta(minutes=30))
    assert reload(booked.appointment.id).status == "late_cancel"
    assert money_moves(booked.appointment.id) == {("fee", Decimal(15), "owed")}


def test_an_unpaid_pending_booking_cancels_without_a_fee_even_when_late():
    calendar = make_calendar(cancellation_policy=FEE_POLICY)
    booked = book_paid(calendar, START)  # never paid: still pending
    cancel(booked, now=START - timedelta(hours=1))
    assert reload(booked.appointment.id).status == "cancelled"
    assert money_moves(booked.appointment.id) == set()


def test_the_owner_may_cancel_late_with_a_full_refund_and_a_link_to_rebook():
    calendar = make_calendar()  # default policy: customers are blocked inside 24 hours
    booked = book_paid(calendar, START, paid_at=NOW)
    appointment_id = booked.appointment.id
    cancel(booked, now=START - timedelta(hours=1), party="owner", actor=STAFF, reason="Therapist ill")
    appointment = reload(appointment_id)
    assert (appointment.status, appointment.cancelled_by, appointment.cancelled_by_id, appointment.payment_status) \
        == ("cancelled", "owner", STAFF.id, "refunded")
    assert ("refund", Decimal(50), "processed") in money_moves(appointment_id)
    kinds = {kind for kind, _ in outbox_kinds(appointment_id)}
    assert "cancelled_by_owner" in kinds and not {"cancelled", "owner_cancelled"} & kinds
    assert outbox_row(appointment_id, "cancelled_by_owner").payload["rebook_url"].endswith(f"/book/{calendar.slug}")


@pytest.mark.parametrize("token, party", [(None, "customer"), ("other", "customer"), ("own", "owner")],
                         ids=["no-token", "another-bookings-token", "customer-as-owner"])
def test_a_customer_cancels_only_their_own_booking_and_only_as_customer(token, party):
    calendar = make_calendar()
    booked, other = book(calendar, START), book(calendar, START + timedelta(hours=2), email="bob@example.com")
    tokens = {None: None, "other": other.manage_token, "own": booked.manage_token}
    with refused("forbidden"), session_scope() as session:
        cancellation.cancel(session, appointment_id=booked.appointment.id, actor=ANONYMOUS, token=tokens[token],
                            reason="x", party=party, now=NOW)
    assert reload(booked.appointment.id).status == "confirmed"


@pytest.mark.parametrize("now, allowed", [
    (ny(2026, 10, 31, 12, 30), True),  # 24.5 real hours before; the wall clock says 23.5
    (ny(2026, 10, 31, 13, 0, 1), False),  # one second inside 24 real hours
], ids=["24.5h-real", "24h-minus-1s"])
def test_on_the_fall_back_day_the_policy_counts_real_hours_and_a_refusal_changes_nothing(now, allowed):
    calendar = ny_calendar(cancellation_policy={"lead_time_hours": 24})
    booked = book(calendar, ny(2026, 11, 1, 12, 0), now=datetime(2026, 10, 20, tzinfo=UTC))  # 12:00 EST = 17:00Z
    appointment_id = booked.appointment.id
    if allowed:
        cancel(booked, now=now)
        assert reload(appointment_id).status == "cancelled"
        return
    with refused("cancellation_not_allowed") as caught:
        cancel(booked, now=now)
    body = caught.value.extra
    assert body["cancellation_policy"]["lead_time_hours"] == 24
    assert booked.manage_token in body["reschedule_url"] and body["available_slots"]
    assert reload(appointment_id).status == "confirmed"
    assert audit_actions(appointment_id) == ["appointment.created"]
    assert {kind for kind, _ in outbox_kinds(appointment_id)} == {"confirmation", "owner_booked"}
