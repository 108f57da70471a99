"""What a customer sees of an appointment (manage token, the manage page, their own responses) and what
staff see: staff notes, the business's addresses and the audit trail's actors stay with staff."""
from __future__ import annotations

import uuid
from datetime import timedelta

import sqlalchemy as sa

from booking_app.db import session_scope, utcnow
from booking_app.models import AppointmentReminder
from booking_app.principal import Principal
from booking_app.services.access import api_keys
from booking_app.viewmodels import console_view, manage_view, staff_lists
from tests.integration.conftest import book, future_day, zulu

OWNER, SUPPORT = "owner.only@clinic.example", "support.only@clinic.example"
DESK = Principal(kind="staff", role="staff", id=uuid.uuid4(), label="desk.person@clinic.example", actor_type="staff")
CONSOLE_NOTE, STATUS_NOTE, CHECK_IN_NOTE = "Owes 20 EUR from March", "Paid cash at the desk", "Latex allergy checked"
ACTIONS = ["appointment.created", "appointment.note_added", "appointment.checked_in", "appointment.completed"]


def staff_only_strings(admin_key: str) -> list[str]:
    with session_scope() as session:
        key = api_keys.authenticate(session, admin_key)
    return [CONSOLE_NOTE, STATUS_NOTE, CHECK_IN_NOTE, OWNER, SUPPORT, DESK.label, str(DESK.id), key.label,
            str(key.id), *ACTIONS, "actor", "staff_notes"]


def mark_first_reminder_sent(appointment_id: str) -> None:
    with session_scope() as session:
        reminder = session.execute(sa.select(AppointmentReminder).where(
            AppointmentReminder.appointment_id == uuid.UUID(appointment_id))
            .order_by(AppointmentReminder.scheduled_for)).scalars().first()
        reminder.status, reminder.sent_at = "sent", utcnow()


def worked_appointment(client, admin, make_calendar) -> dict:
    """Booked by the customer (with their own note), then noted, checked in and completed by staff."""
    calendar = make_calendar(owner_email=OWNER, support_email=SUPPORT)
    appointment = book(client, calendar, future_day(4).replace(hour=10), notes="Bring X-rays")
    console_view.add_note(appointment["id"], CONSOLE_NOTE, DESK)
    url = f"/api/v1/appointments/{appointment['id']}"
    checked = admin.post(f"{url}/check-in", json={"method": "manual", "notes": CHECK_IN_NOTE})
    assert checked.status_code == 201, checked.text
    done = admin.patch(f"{url}/status", json={"status": "completed", "notes": STATUS_NOTE})
    assert done.status_code == 200, done.text
    mark_first_reminder_sent(appointment["id"])
    return appointment


def test_manage_token_view_is_the_customers_record_and_staff_get_everything(client, admin, admin_key,
                                                                              make_calendar):
    appointment = worked_appointment(client, admin, make_calendar)
    url = f"/api/v1/appointments/{appointment['id']}"
    response = client.get(url, params={"token": appointment["manage_token"]})
    assert response.status_code == 200, response.text
    leaked = [s for s in staff_only_strings(admin_key) if s in response.text]
    assert leaked == [], leaked
    mine = response.json()
    assert mine["notes"] == "Bring X-rays" and mine["status"] == "completed"
    assert mine["links"]["manage"].endswith(appointment["manage_token"])
    assert set(mine["check_in"]) == {"checked_in_at", "check_in_method"}
    assert [(h["event"], h["by"]) for h in mine["history"]] == [
        ("booked", "you"), ("checked_in", "business"), ("completed", "business"), ("reminder_sent", "business")]
    assert [h["description"] for h in mine["history"]] == [
        "Booked by you", "Checked in by Test Clinic", "Completed", "Reminder sent by email"]
    assert mine["reminders_sent"] == [mine["history"][-1]["at"]]

    staff = admin.get(url)
    assert staff.status_code == 200
    record = staff.json()
    assert record["notes"] == "Bring X-rays" and record["staff_notes"] == f"{CONSOLE_NOTE}\n{STATUS_NOTE}"
    assert record["check_in"]["notes"] == CHECK_IN_NOTE
    assert [h["action"] for h in record["history"]] == ACTIONS
    assert DESK.label in staff.text and str(DESK.id) in staff.text and "api key" in staff.text
    # The business's addresses are on the staff appointments page, with every message's recipient.
    recipients = {message.recipient for message in staff_lists.record(appointment["id"]).messages}
    assert OWNER in recipients


def test_manage_page_data_holds_nothing_staff_only(client, admin, admin_key, make_calendar):
    appointment = worked_appointment(client, admin, make_calendar)
    token = appointment["manage_token"]
    shown = repr(manage_view.manage_view(token)) + repr(manage_view.history(token))
    leaked = [s for s in staff_only_strings(admin_key) if s in shown]
    assert leaked == [], leaked
    assert [entry.what for entry in manage_view.history(token)][:2] == ["Booked by you", "Checked in by Test Clinic"]


def test_customer_responses_to_booking_moving_and_proposals_are_the_customer_record(client, admin, make_calendar):
    calendar = make_calendar(owner_email=OWNER)
    start = future_day(6).replace(hour=9)
    appointment = book(client, calendar, start)
    assert [(h["event"], h["by"]) for h in appointment["history"]] == [("booked", "you")]
    assert "staff_notes" not in appointment and "actor" not in repr(appointment["history"])
    console_view.add_note(appointment["id"], CONSOLE_NOTE, DESK)

    started = client.post(f"/api/v1/appointments/{appointment['id']}/reschedule",
                          headers={"X-Manage-Token": appointment["manage_token"]}, json={})
    target = start + timedelta(hours=2)
    moved = client.put(f"/api/v1/appointments/{appointment['id']}/reschedule/confirm", json={
        "reschedule_token": started.json()["reschedule_token"], "new_start_time": zulu(target),
        "new_end_time": zulu(target + timedelta(minutes=30))})
    assert moved.status_code == 200, moved.text
    assert CONSOLE_NOTE not in moved.text and "appointment.created" not in moved.text
    assert [h["event"] for h in moved.json()["history"]] == ["moved_here"]
    new_id = moved.json()["id"]
    assert admin.get(f"/api/v1/appointments/{new_id}").json()["staff_notes"] == CONSOLE_NOTE  # follows the move

    proposed = admin.post(f"/api/v1/appointments/{new_id}/reschedule",
                          json={"new_start_time": zulu(target + timedelta(hours=3))})
    assert proposed.status_code == 200, proposed.text
    answer = client.post(f"/api/v1/appointments/{proposed.json()['proposal_id']}/proposal",
                         json={"answer_token": proposed.json()["reschedule_token"], "answer": "accept"})
    assert answer.status_code == 200, answer.text
    assert CONSOLE_NOTE not in answer.text and "appointment.created" not in answer.text
    assert [h["event"] for h in answer.json()["history"]] == ["proposal_accepted", "moved_here"]


def test_staff_booking_gets_the_staff_record(admin, make_calendar):
    calendar = make_calendar()
    booked = book(admin, calendar, future_day(5).replace(hour=12))
    assert booked["staff_notes"] is None and [h["action"] for h in booked["history"]] == ["appointment.created"]


def test_owner_reasons_stay_with_staff_and_customer_reasons_show(client, admin, make_calendar):
    calendar = make_calendar()
    mine, theirs = (book(client, calendar, future_day(7).replace(hour=h)) for h in (9, 11))
    assert client.post(f"/api/v1/appointments/{mine['id']}/cancel", headers={"X-Manage-Token": mine["manage_token"]},
                       json={"reason": "Feeling better"}).status_code == 200
    assert admin.post(f"/api/v1/appointments/{theirs['id']}/cancel",
                      json={"reason": "Rude on the phone", "cancelled_by": "owner"}).status_code == 200
    own = client.get(f"/api/v1/appointments/{mine['id']}", params={"token": mine["manage_token"]}).json()
    assert own["cancellation_reason"] == own["cancellation"]["reason"] == "Feeling better"
    owner = client.get(f"/api/v1/appointments/{theirs['id']}", params={"token": theirs["manage_token"]})
    assert "Rude on the phone" not in owner.text and owner.json()["cancelled_by"] == "owner"
    assert owner.json()["history"][-1]["description"] == "Cancelled by Test Clinic"
    assert admin.get(f"/api/v1/appointments/{theirs['id']}").json()["cancellation_reason"] == "Rude on the phone"


def test_while_a_new_time_is_proposed_the_customer_still_sees_their_booked_time(client, admin, make_calendar):
    """A staff proposal is a pending copy in the same booking; until it is accepted, the manage page and
    the proposal page show the time the customer booked as theirs."""
    calendar = make_calendar()
    start = future_day(5).replace(hour=9)
    appointment = book(client, calendar, start)
    token = appointment["manage_token"]
    booked_when = manage_view.manage_view(token).when
    proposed = admin.post(f"/api/v1/appointments/{appointment['id']}/reschedule",
                          json={"new_start_time": zulu(start + timedelta(hours=3))})
    assert proposed.status_code == 200, proposed.text
    view = manage_view.manage_view(token)
    assert view.when == booked_when and view.id == appointment["id"]
    proposal = manage_view.proposal_view(token, proposed.json()["proposal_id"])
    assert proposal.current != proposal.proposed
    declined = client.post(f"/api/v1/appointments/{proposed.json()['proposal_id']}/proposal",
                           json={"answer_token": proposed.json()["reschedule_token"], "answer": "decline"})
    assert declined.status_code == 200, declined.text
    view = manage_view.manage_view(token)
    assert view.when == booked_when and view.status == "confirmed"  # declined: nothing changed
    again = admin.post(f"/api/v1/appointments/{appointment['id']}/reschedule",
                       json={"new_start_time": zulu(start + timedelta(hours=4))})
    accepted = client.post(f"/api/v1/appointments/{again.json()['proposal_id']}/proposal",
                           json={"answer_token": again.json()["reschedule_token"], "answer": "accept"})
    assert accepted.status_code == 200, accepted.text
    assert manage_view.manage_view(token).id == again.json()["proposal_id"]  # accepted: the new time is theirs
