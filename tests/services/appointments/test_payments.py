"""Payments (services/appointments/payments.py): a pending booking confirmed by its payment at `now`;
the money rows the cancellation policy writes are in test_cancellation.py."""
from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from booking_app.models import Payment
from booking_app.services.operations import sweeps
from tests.services.conftest import (
    NOW,
    STAFF,
    at,
    audit_event,
    book_paid,
    cancel,
    make_calendar,
    money_moves,
    outbox_row,
    pay,
    refused,
    reload,
    reminder_states,
    rows_of,
)

START = at(1, 12, 30)  # 24.5 hours after NOW


def test_a_payment_confirms_the_booking_and_plans_reminders_from_the_time_it_arrives():
    calendar = make_calendar()
    appointment_id = book_paid(calendar, START).appointment.id
    paid_at = NOW + timedelta(minutes=45)  # the day-before reminder (NOW + 30 min) is past by now
    pay(appointment_id, now=paid_at)
    appointment = reload(appointment_id)
    assert (appointment.status, appointment.confirmed_at, appointment.payment_status) == ("confirmed", paid_at, "paid")
    assert (appointment.hold_kind, appointment.hold_expires_at) == (None, None)
    assert appointment.payment_id.startswith("pay_")
    assert money_moves(appointment_id) == {("charge", Decimal(50), "processed")}
    assert reminder_states(appointment_id) == {("email", 60): "pending"}
    assert outbox_row(appointment_id, "confirmation").version == appointment.version == 2
    assert Decimal(audit_event(appointment_id, "appointment.paid").data["amount"]) == 50


def test_a_wrong_amount_is_refused_and_changes_nothing():
    calendar = make_calendar()
    appointment_id = book_paid(calendar, START).appointment.id
    with refused("validation_error") as caught:
        pay(appointment_id, now=NOW, amount=Decimal("49.99"))
    assert caught.value.extra["details"] == [{"field": "amount"}]
    assert (reload(appointment_id).status, money_moves(appointment_id)) == ("pending", set())


@pytest.mark.parametrize("before", ["paid", "expired"])
def test_only_a_booking_awaiting_payment_can_be_paid(before):
    calendar = make_calendar()
    booked = book_paid(calendar, START)
    if before == "paid":
        pay(booked.appointment.id, now=NOW)
    else:
        sweeps.expire_holds(reload(booked.appointment.id).hold_expires_at + timedelta(seconds=1))
    with refused("invalid_transition"):
        pay(booked.appointment.id, now=NOW + timedelta(hours=1))
    assert len([p for p in rows_of(Payment, booked.appointment.id) if p.kind == "charge"]) == (before == "paid")


def test_money_rows_carry_the_types_currency():
    calendar = make_calendar(types=({"slug": "paid", "name": "Beratung", "duration_minutes": 30,
                                     "price": Decimal("80.00"), "currency": "EUR", "payment_required": True},))
    booked = book_paid(calendar, START)
    pay(booked.appointment.id, now=NOW, amount=Decimal("80.00"))
    cancel(booked, now=NOW + timedelta(minutes=5), party="owner", actor=STAFF)
    assert {(p.kind, Decimal(p.amount), p.currency) for p in rows_of(Payment, booked.appointment.id)} \
        == {("charge", Decimal(80), "EUR"), ("refund", Decimal(80), "EUR")}
