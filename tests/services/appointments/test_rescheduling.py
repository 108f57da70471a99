"""Rescheduling (services/appointments/rescheduling.py): a signed hold, a one-transaction move, and
staff proposals that hold a slot until answered or expired."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from booking_app.db import session_scope
from booking_app.models import Appointment, AppointmentReminder
from booking_app.principal import ANONYMOUS
from booking_app.services.appointments import rescheduling
from booking_app.services.calendars import catalog, slots
from tests.services.conftest import (
    NOW,
    STAFF,
    as_time,
    at,
    audit_actions,
    audit_event,
    book,
    cancel,
    field,
    link_param,
    make_calendar,
    ny,
    ny_calendar,
    outbox_kinds,
    outbox_row,
    refused,
    reload,
    reminder_states,
    rows_of,
    slot_starts,
    utc,
)

START = at(3, 10)


def start_reschedule(booked, *, now=NOW, actor=ANONYMOUS, new_start: datetime | None = None, reason=None):
    with session_scope() as session:
        return rescheduling.start(session, appointment_id=booked.appointment.id, actor=actor,
                                  token=booked.manage_token, reason=reason,
                                  new_start_time=utc(new_start) if new_start else None, now=now)


def confirm_move(appointment_id: uuid.UUID, token: str, new_start: datetime, *, now=NOW, actor=ANONYMOUS):
    new_start = utc(new_start)
    with session_scope() as session:
        return rescheduling.confirm(session, appointment_id=appointment_id, reschedule_token=token,
                                    new_start_time=new_start, new_end_time=new_start + timedelta(minutes=30),
                                    new_slot_id=None, actor=actor, now=now)


def move(booked, new_start: datetime, *, now=NOW) -> Appointment:
    """Start and confirm a customer's reschedule; the new appointment as stored."""
    token = field(start_reschedule(booked, now=now), "reschedule_token")
    confirm_move(booked.appointment.id, token, new_start, now=now)
    return reload(reload(booked.appointment.id).rescheduled_to_id)


def proposal_of(appointment_id: uuid.UUID) -> Appointment:
    with session_scope() as session:
        return session.execute(sa.select(Appointment).where(Appointment.rescheduled_from_id == appointment_id,
                                                            Appointment.hold_kind == "proposal")).scalar_one()


def answer(proposal: Appointment, *, accept: bool, now: datetime):
    token = link_param(outbox_row(proposal.id, "reschedule_proposal").payload["accept_url"], "answer_token")
    with session_scope() as session:
        return rescheduling.answer_proposal(session, proposal_id=proposal.id, answer_token=token, accept=accept,
                                            now=now)


def test_starting_holds_for_the_calendars_hold_minutes_and_leaves_the_appointment_as_it_is():
    calendar = make_calendar(hold_minutes=20)
    booked = book(calendar, START)
    started = start_reschedule(booked, reason="Clash")
    assert as_time(field(started, "expires_at")) == NOW + timedelta(minutes=20)
    offered = slot_starts(field(started, "available_slots"))
    assert offered and START not in offered
    assert reload(booked.appointment.id).status == "confirmed"
    assert audit_event(booked.appointment.id, "appointment.reschedule_started").data["reason"] == "Clash"


def test_confirming_moves_the_booking_its_reminders_and_its_messages_in_one_transaction():
    calendar = make_calendar()
    booked = book(calendar, START)
    new = move(booked, at(1, 10))  # 22 hours after NOW: the day-before reminder is already past
    old = reload(booked.appointment.id)
    assert (old.status, old.cancelled_by, old.cancellation_reason, old.cancelled_at) \
        == ("cancelled", "customer", "Rescheduled", NOW)
    assert (new.status, new.start_time, new.lineage_id, new.manage_token_hash, new.confirmed_at) \
        == ("confirmed", at(1, 10), old.lineage_id, old.manage_token_hash, NOW)
    assert new.version > old.version
    assert set(reminder_states(old.id).values()) == {"cancelled"}
    assert reminder_states(new.id) == {("email", 60): "pending"}
    assert {kind for kind, _ in outbox_kinds(new.id)} == {"rescheduled", "owner_rescheduled"}
    assert as_time(outbox_row(new.id, "rescheduled").payload["previous_start"]) == START
    assert audit_actions(old.id)[-1] == "appointment.rescheduled"
    assert audit_event(new.id, "appointment.created").data["rescheduled_from_id"] == str(old.id)


def test_a_booking_may_move_into_its_own_old_range():
    calendar = make_calendar()
    booked = book(calendar, START)
    assert move(booked, START + timedelta(minutes=15)).start_time == START + timedelta(minutes=15)


@pytest.mark.parametrize("target, code", [(START, "validation_error"),
                                          (START + timedelta(hours=2), "slot_unavailable")], ids=["same-time", "taken"])
def test_a_move_to_the_same_or_a_taken_time_is_refused_and_changes_nothing(target, code):
    calendar = make_calendar()
    booked = book(calendar, START)
    book(calendar, START + timedelta(hours=2), email="bob@example.com")
    token = field(start_reschedule(booked), "reschedule_token")
    with refused(code):
        confirm_move(booked.appointment.id, token, target)
    assert reload(booked.appointment.id).status == "confirmed"
    assert "appointment.rescheduled" not in audit_actions(booked.appointment.id)


def test_customers_move_only_inside_the_reschedule_window_and_staff_always():
    calendar = make_calendar(reschedule_window_hours=12)
    booked = book(calendar, START)
    with refused("reschedule_not_allowed") as caught:
        start_reschedule(booked, now=START - timedelta(hours=11))
    assert caught.value.extra["cancellation_policy"] == {"lead_time_hours": 12, "hours_until_appointment": 11.0}
    assert field(start_reschedule(booked, now=START - timedelta(hours=11), actor=STAFF), "reschedule_token")


def test_a_move_across_spring_forward_keeps_the_local_hour_and_plans_reminders_in_real_time():
    calendar = ny_calendar()
    booked = book(calendar, ny(2026, 3, 6, 12, 0))  # Friday 12:00 EST = 17:00Z
    new = move(booked, ny(2026, 3, 8, 12, 0))  # Sunday 12:00 EDT = 16:00Z
    assert new.start_time == datetime.fromisoformat("2026-03-08T16:00:00+00:00")
    day_before = {r.offset_minutes: r.scheduled_for for r in rows_of(AppointmentReminder, new.id)}[1440]
    assert day_before.astimezone(ny(2026, 3, 7, 0).tzinfo) == ny(2026, 3, 7, 11, 0)  # 24 real hours: 11:00 EST


@pytest.mark.parametrize("ahead, hold", [(timedelta(hours=10), timedelta(hours=10)),
                                         (timedelta(days=3), timedelta(hours=24))], ids=["today", "in-3-days"])
def test_a_staff_proposal_holds_the_slot_until_the_earlier_of_24_hours_and_its_start(ahead, hold):
    calendar = make_calendar()
    booked = book(calendar, START)
    proposed = NOW + ahead
    start_reschedule(booked, actor=STAFF, new_start=proposed, reason="Room closed")
    proposal = proposal_of(booked.appointment.id)
    assert (proposal.status, proposal.start_time, proposal.hold_expires_at) == ("pending", proposed, NOW + hold)
    assert reload(booked.appointment.id).status == "confirmed"
    with refused("slot_unavailable"):
        book(calendar, proposed, email="bob@example.com")
    payload = outbox_row(proposal.id, "reschedule_proposal").payload
    assert link_param(payload["decline_url"], "answer") == "decline" and payload["reason"] == "Room closed"
    assert audit_event(booked.appointment.id, "appointment.reschedule_proposed").data["proposal_id"] == str(proposal.id)


@pytest.mark.parametrize("actor, new_start, code", [(ANONYMOUS, at(2, 10), "forbidden"),
                                                    (STAFF, NOW - timedelta(hours=1), "validation_error")],
                         ids=["customer", "in-the-past"])
def test_only_staff_propose_and_only_future_times(actor, new_start, code):
    calendar = make_calendar()
    booked = book(calendar, START)
    with refused(code):
        start_reschedule(booked, actor=actor, new_start=new_start)


def test_a_proposal_answered_at_its_expiry_is_refused():
    calendar = make_calendar()
    booked = book(calendar, START)
    start_reschedule(booked, actor=STAFF, new_start=at(2, 10))
    proposal = proposal_of(booked.appointment.id)
    with refused("reschedule_token_expired"):
        answer(proposal, accept=True, now=proposal.hold_expires_at)
    answer(proposal, accept=True, now=proposal.hold_expires_at - timedelta(seconds=1))
    assert reload(proposal.id).status == "confirmed"


def test_a_proposal_for_a_booking_cancelled_meanwhile_cannot_be_accepted_but_can_be_declined():
    calendar = make_calendar()
    booked = book(calendar, START)
    start_reschedule(booked, actor=STAFF, new_start=at(2, 10))
    proposal = proposal_of(booked.appointment.id)
    cancel(booked, now=NOW + timedelta(minutes=5))
    with refused("invalid_transition", current_status="cancelled"):
        answer(proposal, accept=True, now=NOW + timedelta(minutes=10))
    assert reload(proposal.id).status == "pending"
    answer(proposal, accept=False, now=NOW + timedelta(minutes=10))
    assert reload(proposal.id).status == "cancelled"
    with session_scope() as session:
        consult = catalog.get_type(session, calendar_id=calendar.id, slug="consult")
        free = slots.free_slots(session, calendar=calendar, appointment_type=consult, start=at(2, 10), end=at(2, 11),
                                now=NOW)
    assert at(2, 10) in [s.start for s in free]  # the declined proposal no longer holds its time
