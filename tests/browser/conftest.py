"""The production app (`reflex run --env prod`) on a fresh PostgreSQL database, driven by Chromium.

Calendars are created through the services before the server starts; each test books its own
times so tests never depend on each other."""
from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.conftest import configure, create_pg_database, drop_pg_database, free_port, require, start_private_redis
from tests.support.servers import ROOT, start_full_app
from tests.support.vapid import vapid_env

expect.set_options(timeout=20_000)  # the first render of a page in a fresh server can take a while
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
AXE = ROOT / ".tools" / "node_modules" / "axe-core" / "axe.min.js"
SHOTS = ROOT / "test-artifacts" / "screenshots"
ALL_DAY = {d: [["00:00", "23:45"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def seed_calendars() -> dict[str, str]:
    """An easy calendar, one whose policy blocks late cancels, one each for proposals, check-ins and settings."""
    from booking_app.db import session_scope
    from booking_app.principal import SYSTEM
    from booking_app.services.calendars import catalog as calendars

    slugs = {}
    for key, policy in (("easy", {"lead_time_hours": 1, "late_cancellation": "block"}),
                        ("strict", {"lead_time_hours": 1000, "late_cancellation": "block"}),
                        ("proposals", {"lead_time_hours": 1, "late_cancellation": "block"}),
                        ("checkin", {"lead_time_hours": 1, "late_cancellation": "block"}),
                        ("settings", {"lead_time_hours": 1, "late_cancellation": "block"})):
        slug = f"{key}-{uuid.uuid4().hex[:6]}"
        # The settings test edits the calendar listed first (by name): a sandbox nobody else books.
        name = "A settings sandbox" if key == "settings" else "Dr. Rivera"
        with session_scope() as session:
            calendar = calendars.create_calendar(session, actor=SYSTEM, data={
                "slug": slug, "name": name, "business_name": f"Riverside Clinic ({key})",
                "timezone": "America/New_York", "weekly_hours": ALL_DAY, "slot_interval_minutes": 30,
                "min_notice_minutes": 0, "max_advance_days": 90, "cancellation_policy": policy,
                "reschedule_window_hours": 0, "owner_email": "owner@riverside.example"})
            calendars.create_type(session, calendar_id=calendar.id, actor=SYSTEM, data={
                "slug": "checkup", "name": "Check-up", "duration_minutes": 30, "location_type": "in_person",
                "location_address": "1 River St, Boston"})
        slugs[key] = slug
    return slugs


STAFF_EMAIL, STAFF_PASSWORD = "frontdesk@riverside.example", "correct horse battery"


@pytest.fixture(scope="session")
def web_app(pg_server, tmp_path_factory):
    """The app with its own Redis: changes made in this test process reach its consoles via pub/sub."""
    name, url = create_pg_database(pg_server)
    redis_server = start_private_redis()
    port = free_port()
    configure(database_url=url, redis_url=redis_server.url, PUBLIC_BASE_URL=f"http://127.0.0.1:{port}")
    from booking_app.db import session_scope
    from booking_app.migrate import upgrade
    from booking_app.services.access.users import create_user

    upgrade()
    slugs = seed_calendars()
    with session_scope() as session:
        create_user(session, email=STAFF_EMAIL, name="Front Desk", password=STAFF_PASSWORD, role="admin")
    env = {"DATABASE_URL": url, "REDIS_URL": redis_server.url, "SMTP_HOST": "", "RATE_LIMIT_ENABLED": "false",
           "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", **vapid_env(),  # push reminders enabled
           "OUTBOUND_ALLOW_PRIVATE": "true"}  # the test's push endpoint (push.example.test) does not resolve
    server = start_full_app(env, port, tmp_path_factory.mktemp("app") / "app.log")
    server.slugs = slugs
    yield server
    server.stop()
    redis_server.stop()
    drop_pg_database(pg_server, name)


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        require("Playwright", str(exc))
    if not Path(CHROMIUM).exists():
        require("Chromium", f"{CHROMIUM} is missing (run scripts/bootstrap.sh --browser)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, timezone_id="Europe/London",
                                  locale="en-GB")
    pg = context.new_page()
    pg.set_default_timeout(20_000)
    yield pg
    context.close()


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core findings on the page as it is now."""
    if not AXE.exists():
        require("axe-core", f"{AXE} is missing (run scripts/bootstrap.sh)")
    page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [{"id": v["id"], "impact": v["impact"], "nodes": [n["target"] for n in v["nodes"]][:5]}
            for v in result["violations"] if v["impact"] in ("serious", "critical")]


def shoot(page, name: str) -> Path:
    SHOTS.mkdir(parents=True, exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def record_scan(name: str, violations: list[dict]) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    with open(SHOTS.parent / "axe.jsonl", "a") as out:
        out.write(json.dumps({"page": name, "serious_or_critical": violations}) + "\n")
