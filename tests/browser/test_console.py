"""The staff console in Chromium: sign-in gate, two live consoles fed by changes made in another
process (this test process, through Redis pub/sub), check-in on one seen on the other, and the
sweep then completing the checked-in appointment."""
from __future__ import annotations

import re
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from playwright.sync_api import expect

from booking_app.db import session_scope
from booking_app.models import Appointment, Calendar
from booking_app.services.operations.periodic import run_tick
from tests.browser.conftest import STAFF_EMAIL, STAFF_PASSWORD, axe_violations, record_scan, shoot
from tests.browser.test_customer_pages import booked_via_service, on_the_half_hour

STAFF_URLS = ("/console", "/appointments", "/analytics", "/settings")


def sign_in(page, app, next_path: str = "/console") -> None:
    page.goto(f"{app.base_url}/login?next={next_path}")
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(re.compile(rf"{next_path}/?$"))


def show_day(page, day: str) -> None:
    page.get_by_label("Day").fill(day)
    expect(page.get_by_text("Live", exact=True)).to_be_visible()


def row(page, appointment_id: str):
    return page.locator(f"li[data-appointment='{appointment_id}']")


def test_visitors_are_sent_to_sign_in_from_every_staff_url(web_app, page):
    for path in STAFF_URLS:
        page.goto(web_app.base_url + path)
        expect(page).to_have_url(re.compile(rf"/login\?next=(%2F|/){path[1:]}$"))
        expect(page.get_by_role("heading", name="Staff sign-in")).to_be_visible()
        assert "@example.com" not in page.content()


def test_wrong_password_is_refused_in_words(web_app, page):
    page.goto(f"{web_app.base_url}/login")
    page.get_by_label("Email").fill(STAFF_EMAIL)
    page.get_by_label("Password").fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_text("That email and password do not match a staff account.")).to_be_visible()


def test_two_live_consoles_follow_changes_from_another_process(web_app, browser):
    start = on_the_half_hour(1)
    day = start.astimezone(ZoneInfo("America/New_York")).date().isoformat()
    consoles = []
    for _ in range(2):
        page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
        sign_in(page, web_app)
        show_day(page, day)
        consoles.append(page)
    page.reload()  # the session survives a reload
    expect(consoles[1].get_by_role("heading", name="Console")).to_be_visible()
    show_day(consoles[1], day)

    appointment_id, _ = booked_via_service(web_app, "checkin", start + timedelta(hours=0, minutes=0),
                                           f"live-{uuid.uuid4().hex[:6]}@example.com")
    for page in consoles:  # no reload: the booking arrives live
        expect(row(page, appointment_id)).to_have_attribute("data-status", "confirmed", timeout=5_000)
    shoot(consoles[0], "console-live")
    violations = axe_violations(consoles[0])
    record_scan("console", violations)
    assert not violations, violations

    row(consoles[0], appointment_id).get_by_role("button", name="Check in").click()
    expect(row(consoles[1], appointment_id)).to_have_attribute("data-status", "checked_in", timeout=5_000)

    with session_scope() as session:  # time passes: the appointment ended long enough ago
        past = datetime.now(timezone.utc) - timedelta(hours=2)
        session.execute(sa.update(Appointment).where(Appointment.id == uuid.UUID(appointment_id)).values(
            start_time=past, end_time=past + timedelta(minutes=30), busy_start=past,
            busy_end=past + timedelta(minutes=30)))
    run_tick()
    with session_scope() as session:
        assert session.get(Appointment, uuid.UUID(appointment_id)).status == "completed"
    past_day = past.astimezone(ZoneInfo("America/New_York")).date().isoformat()
    for page in consoles:
        if past_day != day:
            show_day(page, past_day)
        expect(row(page, appointment_id)).to_have_attribute("data-status", "completed", timeout=5_000)
    for page in consoles:
        page.context.close()


def test_analytics_page_shows_the_apis_numbers(web_app, page):
    import httpx

    from booking_app.services.access.api_keys import create_api_key

    booked_via_service(web_app, "easy", on_the_half_hour(30), f"stats-{uuid.uuid4().hex[:6]}@example.com")
    with session_scope() as session:
        key = create_api_key(session, name="analytics test", role="staff")[1]
    sign_in(page, web_app, "/analytics")
    expect(page.locator("[data-stat='total']")).not_to_have_text("")
    start, end = page.get_by_label("From").input_value(), page.get_by_label("To").input_value()
    api = httpx.get(f"{web_app.base_url}/api/v1/appointments/analytics", headers={"Authorization": f"Bearer {key}"},
                    params={"start_date": start, "end_date": end, "group_by": "week"}).json()
    expect(page.locator("[data-stat='total']")).to_have_text(str(api["total_appointments"]))
    expect(page.locator("[data-stat='cancellation_rate']")).to_have_text(f"{api['cancellation_rate'] * 100:.1f}%")
    expect(page.locator("[data-stat='no_show_rate']")).to_have_text(f"{api['no_show_rate'] * 100:.1f}%")
    status_table = page.locator("[data-table='Appointments by status']")
    page.get_by_text("Appointments by status as a table").click()
    rows = status_table.locator("tbody tr")
    expect(rows).to_have_count(len(api["by_week"]))
    for index, period in enumerate(api["by_week"]):
        cells = rows.nth(index).locator("td").all_inner_texts()
        assert cells[0] == period["date"] and int(cells[-1]) == period["count"]
        assert [int(c) for c in cells[1:-1]] == [period[s] for s in
                                                  ("confirmed", "pending", "completed", "no_show", "cancelled",
                                                   "late_cancel")]
    lead_rows = page.locator("[data-table='Booking lead time'] tbody tr")
    assert [int(lead_rows.nth(i).locator("td").nth(1).text_content()) for i in range(lead_rows.count())] == [
        b["count"] for b in api["lead_time_distribution"]]
    shoot(page, "analytics")
    violations = axe_violations(page)
    record_scan("analytics", violations)
    assert not violations, violations


def test_appointments_page_filters_pages_and_retries_a_failed_message(web_app, page):
    from booking_app.models import Notification

    email = f"history-{uuid.uuid4().hex[:6]}@example.com"
    appointment_id, _ = booked_via_service(web_app, "easy", on_the_half_hour(80), email)
    with session_scope() as session:
        session.execute(sa.update(Notification).where(Notification.appointment_id == uuid.UUID(appointment_id),
                                                      Notification.kind == "confirmation")
                        .values(status="failed", last_error="550 mailbox unavailable"))
    sign_in(page, web_app, "/appointments")
    page.get_by_label("Customer email").fill(email)
    page.get_by_role("button", name="Search").click()
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(1)
    rows.first.get_by_role("button", name="Details").click()
    expect(page.get_by_text("appointment.created", exact=False)).to_be_visible()
    expect(page.get_by_text("550 mailbox unavailable")).to_be_visible()
    page.get_by_role("button", name="Retry").click()
    expect(page.get_by_role("button", name="Retry")).to_have_count(0)
    with session_scope() as session:
        status = session.execute(sa.select(Notification.status).where(
            Notification.appointment_id == uuid.UUID(appointment_id), Notification.kind == "confirmation")).scalar_one()
    assert status in ("pending", "sending", "sent")
    shoot(page, "appointments")
    expect(page.locator("[data-sonner-toast]")).to_have_count(0, timeout=15_000)  # scan the page, not the toast
    violations = axe_violations(page)
    record_scan("appointments", violations)
    assert not violations, violations


def test_settings_save_a_calendar_and_manage_api_keys(web_app, page):
    sign_in(page, web_app, "/settings")
    page.get_by_label("Calendar name").fill("Dr. Rivera (renamed)")
    page.get_by_label("Monday", exact=True).fill("09:00-12:00, lunch")
    page.get_by_role("button", name="Save calendar").click()
    expect(page.get_by_role("alert")).to_contain_text("Monday: write times like 09:00-12:30")
    page.get_by_label("Monday", exact=True).fill("8:30 - 12:00, 13:00-17:00")
    page.get_by_label("Sunday", exact=True).fill("")
    page.get_by_label("Date exceptions").fill("2026-12-24 closed")
    page.get_by_label("Email", exact=True).fill("60, 1440")
    page.get_by_role("button", name="Save calendar").click()
    expect(page.get_by_role("alert")).to_have_count(0)
    expect(page.get_by_text("Calendar saved.")).to_be_visible()
    with session_scope() as session:
        saved = session.execute(sa.select(Calendar).where(Calendar.name == "Dr. Rivera (renamed)")).scalar_one()
    assert saved.weekly_hours["mon"] == [["08:30", "12:00"], ["13:00", "17:00"]] and "sun" not in saved.weekly_hours
    assert saved.date_overrides == {"2026-12-24": []} and saved.reminders["email"] == [1440, 60]
    page.get_by_label("New key name").fill("Front desk tablet")
    page.get_by_role("button", name="Create key").click()
    key = page.locator("[data-new-key]")
    expect(key).to_have_value(re.compile(r"^sk_"), timeout=10_000)
    key.scroll_into_view_if_needed()
    shoot(page, "settings-new-key")
    page.get_by_role("button", name="Revoke key Front desk tablet").click()
    expect(page.get_by_role("button", name="Revoke key Front desk tablet")).to_have_count(0)
    shoot(page, "settings")
    expect(page.locator("[data-sonner-toast]")).to_have_count(0, timeout=15_000)
    violations = axe_violations(page)
    record_scan("settings", violations)
    assert not violations, violations
