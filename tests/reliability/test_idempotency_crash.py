"""An Idempotency-Key outlives a crash of the web process (issue 20): the production server is SIGKILLed
while a keyed booking is mid-flight (frozen on its slot's advisory lock, which the test holds), and the
client's retry with the same key, to a new server, is answered within the key's short lease (a few
409 request_in_progress at most, never a day of them) with a fresh 201 and a working manage token."""
from __future__ import annotations

import os
import signal
import threading
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
import pytest
import sqlalchemy as sa

from booking_app.db import session_scope
from booking_app.models import Appointment, IdempotencyKey
from booking_app.services.access.tokens import hash_token
from booking_app.services.appointments.locks import lock_slot
from tests.conftest import MAIL_CATCHER, create_pg_database, drop_pg_database, free_port, use_env
from tests.reliability import plain_dsn, start_local_backend
from tests.support.waiting import wait_for

pytestmark = [pytest.mark.postgres]

ALL_WEEK = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def zulu(value: datetime) -> str:
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@pytest.fixture
def database_url(pg_server, monkeypatch):
    from booking_app.db import dispose_engines
    from booking_app.migrate import upgrade
    from booking_app.settings import get_settings

    name, url = create_pg_database(pg_server)
    use_env(monkeypatch, {"DATABASE_URL": url, "SQLITE_PATH": "", "REDIS_URL": "", "RATE_LIMIT_ENABLED": "false",
                          "SMTP_HOST": "", "MAIL_CATCHER_DIR": MAIL_CATCHER})
    dispose_engines()
    try:
        upgrade()
        yield url
    finally:
        dispose_engines()
        drop_pg_database(pg_server, name)
        monkeypatch.undo()
        get_settings.cache_clear()
        dispose_engines()


def waiting_on_a_lock(url: str) -> bool:
    with psycopg.connect(plain_dsn(url), autocommit=True) as conn:
        return conn.execute("SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted"
                            ).fetchone()[0] > 0


def key_rows(key: str) -> list[IdempotencyKey]:
    with session_scope() as session:
        return list(session.execute(sa.select(IdempotencyKey)
                                    .where(IdempotencyKey.key == hash_token(key))).scalars())


def test_a_retry_after_the_web_process_was_killed_mid_request_is_answered(database_url, tmp_path):
    from booking_app.services.access.api_keys import create_api_key

    with session_scope() as session:
        admin_key = create_api_key(session, name="crash", role="admin")[1]
    auth = {"Authorization": f"Bearer {admin_key}"}
    first_server = start_local_backend({}, free_port(), tmp_path / "backend-1.log")
    try:
        with httpx.Client(base_url=first_server.base_url, timeout=60, headers=auth) as admin:
            calendar = admin.post("/api/v1/calendars", json={
                "name": "Crash clinic", "business_name": "Crash Clinic", "timezone": "UTC",
                "slug": f"crash-{uuid.uuid4().hex[:8]}", "weekly_hours": ALL_WEEK, "slot_interval_minutes": 15,
                "owner_email": "owner@clinic.example"}).json()
            created = admin.post(f"/api/v1/calendars/{calendar['id']}/appointment-types",
                                 json={"slug": "consult", "name": "Consultation", "duration_minutes": 30})
            assert created.status_code == 201, created.text
        now = datetime.now(UTC)
        start = datetime(now.year, now.month, now.day, 11, tzinfo=UTC) + timedelta(days=6)
        body = {"calendar_id": calendar["id"], "appointment_type": "consult", "start_time": zulu(start),
                "end_time": zulu(start + timedelta(minutes=30)), "customer_email": "ann@example.com",
                "customer_name": "Ann Example", "timezone": "UTC"}
        key = {"Idempotency-Key": f"crash-{uuid.uuid4()}"}
        first: list[object] = []

        def send() -> None:
            try:
                with httpx.Client(base_url=first_server.base_url, timeout=120) as client:
                    first.append(client.post("/api/v1/appointments", json=body, headers=key))
            except httpx.HTTPError as exc:
                first.append(exc)

        with session_scope() as holder:  # freezes the booking on its slot's lock, as a slow transaction would
            lock_slot(holder, uuid.UUID(calendar["id"]), start)
            sender = threading.Thread(target=send)
            sender.start()
            wait_for(lambda: waiting_on_a_lock(database_url), "the booking waiting on its slot", timeout=120)
            [claimed] = key_rows(key["Idempotency-Key"])
            assert claimed.status == "in_progress"
            assert claimed.expires_at - claimed.created_at < timedelta(minutes=5)  # a lease, not the 24 h TTL
            os.killpg(first_server.process.pid, signal.SIGKILL)
            first_server.process.wait(timeout=30)
            sender.join(150)
        assert len(first) == 1 and isinstance(first[0], httpx.HTTPError), first  # the client never got an answer
    finally:
        first_server.stop()

    with start_local_backend({}, free_port(), tmp_path / "backend-2.log") as second_server, \
            httpx.Client(base_url=second_server.base_url, timeout=60) as client:
        answers: list[httpx.Response] = []

        def retried() -> bool:
            answers.append(client.post("/api/v1/appointments", json=body, headers=key))
            return answers[-1].status_code != 409

        retrying = time.monotonic()
        wait_for(retried, "an answer to the retry", timeout=180)
        *waiting, answer = answers
        print(f"retry answered {answer.status_code} after {len(waiting)} request_in_progress, "
              f"{time.monotonic() - retrying:.1f}s")
        assert all(r.json()["error"] == "request_in_progress" for r in waiting), [r.text for r in waiting]
        assert answer.status_code == 201, answer.text
        booked = answer.json()
        token = booked["manage_token"]
        read = client.get(f"/api/v1/appointments/{booked['id']}", headers={"X-Manage-Token": token})
        assert read.status_code == 200 and read.json()["id"] == booked["id"]
        again = client.post("/api/v1/appointments", json=body, headers=key)
        assert again.status_code == 201 and again.json() == booked
    with session_scope() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(Appointment)
                               .where(Appointment.calendar_id == uuid.UUID(calendar["id"]))).scalar_one() == 1
