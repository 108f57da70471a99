"""Helpers for API tests: a fresh calendar per test so tests never see each other's bookings."""
from __future__ import annotations

import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa

from booking_app.db import session_scope
from booking_app.models import Notification
from booking_app.settings import get_settings
from tests.conftest import start_private_redis, use_env

ALL_WEEK = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def future_day(days: int = 10) -> datetime:
    """Midnight UTC some days ahead: far enough for min notice, inside max advance."""
    now = datetime.now(timezone.utc)
    return datetime(now.year, now.month, now.day, tzinfo=timezone.utc) + timedelta(days=days)


def zulu(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@pytest.fixture
def make_calendar(admin):
    def make(*, types=({"slug": "consult", "name": "Consultation", "duration_minutes": 30},), **settings) -> dict:
        body = {"name": "Test clinic", "business_name": "Test Clinic", "timezone": "UTC",
                "slug": f"test-{uuid.uuid4().hex[:10]}", "weekly_hours": ALL_WEEK, "slot_interval_minutes": 15,
                "owner_email": "owner@clinic.example", **settings}
        response = admin.post("/api/v1/calendars", json=body)
        assert response.status_code == 201, response.text
        calendar = response.json()
        for appointment_type in types:
            created = admin.post(f"/api/v1/calendars/{calendar['id']}/appointment-types", json=appointment_type)
            assert created.status_code == 201, created.text
        return calendar

    return make


def booking_body(calendar: dict, start: datetime, *, minutes: int = 30, type_slug: str = "consult",
                 email: str = "ann@example.com", **extra) -> dict:
    return {"calendar_id": calendar["id"], "appointment_type": type_slug, "start_time": zulu(start),
            "end_time": zulu(start + timedelta(minutes=minutes)), "customer_email": email,
            "customer_name": "Ann Example", "timezone": "America/New_York", **extra}


def book(client, calendar, start, **kw) -> dict:
    response = client.post("/api/v1/appointments", json=booking_body(calendar, start, **kw))
    assert response.status_code == 201, response.text
    return response.json()


def notifications(appointment_id: str) -> list[Notification]:
    with session_scope() as session:
        return list(session.execute(sa.select(Notification).where(
            Notification.appointment_id == uuid.UUID(appointment_id)).order_by(Notification.created_at)).scalars())


def wait_status(appointment_id: str, kind: str, status: str, timeout: float = 15) -> Notification:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [n for n in notifications(appointment_id) if n.kind == kind]
        if found and found[0].status == status:
            return found[0]
        time.sleep(0.05)
    raise AssertionError(f"{kind} never became {status}: {[(n.kind, n.status) for n in notifications(appointment_id)]}")


@pytest.fixture
def private_redis(monkeypatch, database):
    """A redis-server of the test's own (it may be stopped and restarted), the app's queue pointed at it,
    with short notification retry delays."""
    server = start_private_redis()
    use_env(monkeypatch, {"REDIS_URL": server.url, "NOTIFICATION_RETRY_DELAYS": "1,2,3"})
    yield server
    server.stop()
    monkeypatch.undo()
    get_settings.cache_clear()
