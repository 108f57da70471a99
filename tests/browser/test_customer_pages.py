"""The customer pages in Chromium against the production build: booking, a lost race, manage
(cancel, blocked cancel → reschedule with a held slot, check-in, QR), owner proposals, and
accessibility / small-screen checks on every page."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from booking_app.db import session_scope
from booking_app.models import Appointment, Notification
from booking_app.principal import ANONYMOUS, Principal
from booking_app.services.appointments import rescheduling
from booking_app.services.appointments.booking import BookingRequest, book
from booking_app.services.calendars import catalog as calendars
from tests.browser.conftest import axe_violations, record_scan, shoot

STAFF = Principal(kind="staff", role="admin", label="tests", actor_type="api_key")


def open_booking(page, app, key: str = "easy"):
    page.goto(f"{app.base_url}/book/{app.slugs[key]}")
    slots = page.get_by_role("group", name="Free times").get_by_role("button")
    expect(slots.first).to_be_visible()
    return slots


def fill_details(page, name: str, email: str) -> None:
    page.get_by_label("Name").fill(name)
    page.get_by_label("Email", exact=False).first.fill(email)


def booked_via_service(app, key: str, start: datetime, email: str = "sam@example.com") -> tuple[str, str]:
    """(appointment id, manage token) for a booking made directly through the booking service."""
    with session_scope() as session:
        calendar = calendars.get_calendar(session, app.slugs[key])
        result = book(session, actor=ANONYMOUS, now=datetime.now(timezone.utc), request=BookingRequest(
            calendar_id=calendar.id, appointment_type="checkup", start_time=start,
            end_time=start + timedelta(minutes=30), customer_email=email, customer_name="Sam <i>Lee</i>",
            timezone="Europe/London"))
        return str(result.appointment.id), result.manage_token


def on_the_half_hour(hours_ahead: float) -> datetime:
    """A bookable half hour about `hours_ahead` from now (the test calendars close at 23:45 New York time)."""
    moment = datetime.now(timezone.utc) + timedelta(hours=hours_ahead)
    moment = moment.replace(minute=0 if moment.minute < 30 else 30, second=0, microsecond=0)
    if moment.astimezone(ZoneInfo("America/New_York")).hour == 23:
        moment += timedelta(hours=1)
    return moment


def test_book_with_the_keyboard_and_see_the_confirmation(web_app, page):
    slots = open_booking(page, web_app)
    expect(page.get_by_label("Times are shown in")).to_have_value("Europe/London")  # detected from the browser
    chosen = slots.first.inner_text()
    slots.first.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text(re.compile(r"\(GMT\)"))).to_be_visible()
    page.get_by_label("Name").focus()
    page.keyboard.type("Ann <b>Example</b>")
    page.keyboard.press("Tab")
    page.keyboard.type("ann.keyboard@example.com")
    page.get_by_role("button", name="Confirm booking").focus()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", name="You're booked")).to_be_visible()
    expect(page.get_by_text(re.compile(chosen.replace(" ", ".")))).to_be_visible()
    expect(page.get_by_role("link", name="Google Calendar")).to_have_attribute("href", re.compile("calendar.google"))
    shoot(page, "book-confirmation")
    page.get_by_role("link", name="Manage your booking").click()
    expect(page.get_by_text("Ann <b>Example</b>", exact=False)).to_be_visible()  # shown as text, not markup
    with session_scope() as session:
        row = session.execute(sa.select(Appointment).where(
            Appointment.customer_email == "ann.keyboard@example.com")).scalar_one()
        assert row.status == "confirmed" and row.timezone == "Europe/London"


def test_inline_errors_in_words_and_nothing_booked(web_app, page):
    open_booking(page, web_app).first.click()
    fill_details(page, "", "not-an-email")
    page.get_by_role("button", name="Confirm booking").click()
    expect(page.get_by_text("Enter your name.")).to_be_visible()
    expect(page.get_by_text("Enter an email address like name@example.com.")).to_be_visible()
    expect(page.get_by_label("Name")).to_have_attribute("aria-invalid", "true")
    shoot(page, "book-errors")
    with session_scope() as session:
        assert not session.execute(sa.select(Appointment).where(
            Appointment.customer_email == "not-an-email")).first()


def test_lost_race_keeps_what_was_typed_and_offers_nearest_times(web_app, browser):
    pages = [browser.new_context(timezone_id="Europe/London").new_page() for _ in range(2)]
    for pg in pages:
        open_booking(pg, web_app).first.click()
    fill_details(pages[0], "First Person", "first@example.com")
    fill_details(pages[1], "Second Person", "second@example.com")
    pages[1].get_by_label("Notes for the team").fill("Knee, left side")
    pages[0].get_by_role("button", name="Confirm booking").click()
    expect(pages[0].get_by_role("heading", name="You're booked")).to_be_visible()
    pages[1].get_by_role("button", name="Confirm booking").click()
    expect(pages[1].get_by_text("Sorry, that time was just taken.", exact=False)).to_be_visible()
    alternatives = pages[1].get_by_role("group", name="Nearest free times").get_by_role("button")
    expect(alternatives.first).to_be_visible()
    assert alternatives.count() >= 3
    expect(pages[1].get_by_label("Name")).to_have_value("Second Person")
    expect(pages[1].get_by_label("Notes for the team")).to_have_value("Knee, left side")
    shoot(pages[1], "book-slot-taken")
    alternatives.first.click()
    pages[1].get_by_role("button", name="Confirm booking").click()
    expect(pages[1].get_by_role("heading", name="You're booked")).to_be_visible()
    for pg in pages:
        pg.context.close()


def test_cancel_shows_the_policy_then_cancels(web_app, page):
    _, token = booked_via_service(web_app, "easy", on_the_half_hour(50), "cancel.me@example.com")
    page.goto(f"{web_app.base_url}/manage/{token}")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("Free cancellation up to 1 hour before the appointment.", exact=False)).to_be_visible()
    expect(page.get_by_text("Cancelling now is free.")).to_be_visible()
    page.get_by_label("Reason (optional)").fill("Feeling better")
    page.get_by_role("button", name="Yes, cancel it").click()
    expect(page.get_by_text("Your appointment is cancelled.", exact=False)).to_be_visible()
    expect(page.get_by_text("Cancelled", exact=True)).to_be_visible()
    with session_scope() as session:
        row = session.execute(sa.select(Appointment).where(
            Appointment.customer_email == "cancel.me@example.com")).scalar_one()
        assert row.status == "cancelled" and row.cancellation_reason == "Feeling better"


def test_blocked_cancel_offers_reschedule_with_a_held_slot(web_app, page):
    old_id, token = booked_via_service(web_app, "strict", on_the_half_hour(30), "move.me@example.com")
    page.goto(f"{web_app.base_url}/manage/{token}")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("It is too late to cancel online.", exact=False)).to_be_visible()
    shoot(page, "manage-cancel-blocked")
    page.get_by_role("button", name="Reschedule instead").click()
    expect(page.get_by_role("timer")).to_contain_text(re.compile(r"held for \d+:\d\d"))
    options = page.get_by_role("group", name="Free times").get_by_role("button")
    expect(options.first).to_be_visible()
    options.first.click()
    shoot(page, "manage-reschedule")
    page.get_by_role("button", name="Move my appointment").click()
    expect(page.get_by_text("Moved. Your new confirmation is on its way", exact=False)).to_be_visible()
    with session_scope() as session:
        old = session.get(Appointment, uuid.UUID(old_id))
        assert old.status == "cancelled" and old.rescheduled_to_id is not None
        assert session.get(Appointment, old.rescheduled_to_id).status == "confirmed"


def test_check_in_by_link_and_the_qr_code(web_app, page):
    appointment_id, token = booked_via_service(web_app, "checkin", on_the_half_hour(1), "arrive@example.com")
    page.goto(f"{web_app.base_url}/manage/{token}?checkin={appointment_id}")
    expect(page.get_by_role("img", name="QR code for checking in to this appointment")).to_be_visible()
    page.get_by_role("button", name="Check in now").click()
    expect(page.get_by_text("You're checked in.", exact=False).first).to_be_visible()
    expect(page.get_by_role("button", name="Check in now")).to_have_count(0)
    shoot(page, "manage-checked-in")


def test_owner_proposal_can_be_accepted(web_app, page):
    old_id, _ = booked_via_service(web_app, "proposals", on_the_half_hour(72), "proposal@example.com")
    new_start = on_the_half_hour(96)
    with session_scope() as session:
        rescheduling.start(session, appointment_id=uuid.UUID(old_id), actor=STAFF, token=None, reason="Doctor away",
                           new_start_time=new_start, now=datetime.now(timezone.utc))
    with session_scope() as session:
        payload = session.execute(sa.select(Notification.payload).where(
            Notification.kind == "reschedule_proposal", Notification.recipient == "proposal@example.com")).scalar_one()
    page.goto(payload["accept_url"])
    expect(page.get_by_role("heading", name=re.compile("suggests a new time"))).to_be_visible()
    shoot(page, "proposal")
    page.get_by_role("button", name="Accept the new time").click()
    expect(page.get_by_text("Done: your appointment is now", exact=False)).to_be_visible()
    with session_scope() as session:
        moved = session.get(Appointment, uuid.UUID(old_id))
        assert moved.status == "cancelled" and session.get(Appointment, moved.rescheduled_to_id).start_time == new_start


def test_unknown_links_explain_themselves(web_app, page):
    page.goto(f"{web_app.base_url}/book/no-such-business")
    expect(page.get_by_role("heading", name="This booking page does not exist")).to_be_visible()
    page.goto(f"{web_app.base_url}/manage/not-a-real-token")
    expect(page.get_by_role("heading", name="We couldn't find this booking")).to_be_visible()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_customer_page_passes_axe_and_fits_a_phone(web_app, browser, scheme):
    appointment_id, token = booked_via_service(web_app, "easy", on_the_half_hour(49 if scheme == "light" else 51),
                                               f"axe-{scheme}@example.com")
    pages = {
        "book": (f"/book/{web_app.slugs['easy']}", lambda pg: expect(
            pg.get_by_role("group", name="Free times").get_by_role("button").first).to_be_visible()),
        "details": (f"/book/{web_app.slugs['easy']}", lambda pg: (
            pg.get_by_role("group", name="Free times").get_by_role("button").first.click(),
            expect(pg.get_by_role("button", name="Confirm booking")).to_be_visible())),
        "manage": (f"/manage/{token}", lambda pg: expect(pg.get_by_role("button", name="Cancel")).to_be_visible()),
        "not-found": ("/book/nope", lambda pg: expect(pg.get_by_role("heading")).to_be_visible()),
    }
    failures = {}
    for width in (1280, 375):
        context = browser.new_context(viewport={"width": width, "height": 800}, color_scheme=scheme,
                                      timezone_id="America/Chicago")
        pg = context.new_page()
        pg.set_default_timeout(20_000)
        for name, (path, ready) in pages.items():
            pg.goto(web_app.base_url + path)
            ready(pg)
            label = f"{name}-{scheme}-{width}"
            violations = axe_violations(pg)
            record_scan(label, violations)
            shoot(pg, label)
            if violations:
                failures[label] = violations
            overflow = pg.evaluate("document.documentElement.scrollWidth - window.innerWidth")
            if overflow > 1:
                failures[f"{label}-overflow"] = overflow
        context.close()
    assert not failures, failures


# The browser's own push service (FCM for Chromium) is outside this machine: the page's PushManager
# hands out a subscription a real browser would, everything after it (our script, service worker,
# API, database) is real.
FAKE_PUSH_SERVICE = """
PushManager.prototype.subscribe = async function () {
  return { toJSON: () => ({ endpoint: "https://push.example.test/send/%s",
                            keys: { p256dh: "%s", auth: "%s" } }) };
};
"""


def test_push_opt_in_stores_the_browsers_subscription(web_app, page):
    import base64
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    from booking_app.models import PushSubscription

    appointment_id, token = booked_via_service(web_app, "easy", on_the_half_hour(60), "push.me@example.com")
    browser_key = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    b64 = lambda raw: base64.urlsafe_b64encode(raw).decode().rstrip("=")  # noqa: E731
    endpoint_id = uuid.uuid4().hex
    page.context.grant_permissions(["notifications"], origin=web_app.base_url)
    page.add_init_script(FAKE_PUSH_SERVICE % (endpoint_id, b64(browser_key), b64(os.urandom(16))))
    page.goto(f"{web_app.base_url}/manage/{token}")
    page.get_by_role("button", name="Push reminders").click()
    expect(page.get_by_text("Reminders will pop up on this device.")).to_be_visible()
    with session_scope() as session:
        stored = session.execute(sa.select(PushSubscription).where(
            PushSubscription.endpoint == f"https://push.example.test/send/{endpoint_id}")).scalar_one()
        appointment = session.get(Appointment, uuid.UUID(appointment_id))
    assert stored.lineage_id == appointment.lineage_id


def test_push_opt_in_explains_a_refusal(web_app, browser):
    context = browser.new_context()  # notifications not granted: the browser says no
    page = context.new_page()
    _, token = booked_via_service(web_app, "easy", on_the_half_hour(62), "no.push@example.com")
    page.goto(f"{web_app.base_url}/manage/{token}")
    page.get_by_role("button", name="Push reminders").click()
    expect(page.get_by_text("Push reminders could not be turned on: notifications are blocked.")).to_be_visible()
    context.close()
