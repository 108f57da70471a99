"""Outages of the services around the app (issue 20, item 5): a busy `booking-app worker` outlives Redis
being down for 10 s and stops only on a signal; reminders that fall due while SMTP is down are retried
with the messages' backoff and all sent once it is back, and give up only when the appointment starts."""
from __future__ import annotations

import contextlib
import os
import signal
import time
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from booking_app.db import session_scope, utcnow
from booking_app.models import AppointmentReminder, Notification
from booking_app.queue import drain_embedded
from booking_app.services.messaging import dispatch
from booking_app.services.messaging.dispatch import dispatch_due, send_reminder
from booking_app.settings import get_settings
from tests.conftest import free_port, use_env
from tests.integration.conftest import book, future_day
from tests.integration.test_rq_delivery import Worker
from tests.support.smtp import SmtpServer
from tests.support.waiting import wait_for


def rows_of(model, appointment_ids: list[str]) -> list:
    with session_scope() as session:
        return list(session.execute(sa.select(model).where(
            model.appointment_id.in_([uuid.UUID(a) for a in appointment_ids]))).scalars())


def worker_log(worker: Worker) -> str:
    worker.log.flush()
    return "\n".join(open(worker.log.name, errors="replace").read().splitlines()[-40:])


# -- Redis down under a busy worker -----------------------------------------------------------------

@pytest.mark.redis
def test_a_busy_worker_outlives_redis_down_for_ten_seconds(private_redis, client, make_calendar, smtp, tmp_path):
    """Redis goes away while the worker runs a job (the SMTP server answers slowly) and stays away for
    10 s: RQ fails in its monitor, heartbeat, teardown and, for every fresh worker, in its constructor.
    The process stays up, works again once Redis is back (empty: the sweep rebuilds the queue from the
    database) and exits 0 on SIGTERM."""
    smtp.delay_seconds = 0.5
    calendar = make_calendar()
    tag = uuid.uuid4().hex[:8]
    before = [book(client, calendar, future_day(12).replace(hour=8 + i), email=f"busy-{i}-{tag}@example.com")["id"]
              for i in range(6)]
    worker = Worker(tmp_path)
    try:
        pid = worker.process.pid
        wait_for(lambda: any(n.status == "sending" for n in rows_of(Notification, before)),
                 "the worker to be mid-send", timeout=90, poll=0.05)
        private_redis.stop()
        down_until = time.monotonic() + 10
        while time.monotonic() < down_until:
            assert worker.process.poll() is None, f"the worker exited while Redis was down\n{worker_log(worker)}"
            time.sleep(0.2)
        private_redis.start()
        smtp.delay_seconds = 0.0
        after = book(client, calendar, future_day(12).replace(hour=16), email=f"after-{tag}@example.com")["id"]

        def all_sent() -> bool:
            assert worker.process.poll() is None, f"the worker exited after Redis came back\n{worker_log(worker)}"
            dispatch_due(utcnow())  # as the sweep would: re-enqueue what the empty Redis lost
            return all(n.status == "sent" for n in rows_of(Notification, [*before, after]))

        wait_for(all_sent, "every message of the bookings sent", timeout=120, poll=1.0)
        statuses = sorted(n.status for n in rows_of(Notification, [*before, after]))
        assert statuses and set(statuses) == {"sent"}, statuses

        os.killpg(pid, signal.SIGTERM)  # stops only on a signal: and then cleanly
        assert worker.process.wait(timeout=60) == 0, worker_log(worker)
    finally:
        worker.kill()
    received = [m["X-Slotwise-Notification"] for m in smtp.messages]
    mine = [str(n.id) for n in rows_of(Notification, [*before, after])]
    assert all(received.count(ref) == 1 for ref in mine), "a message was lost or sent twice"


@pytest.mark.redis
def test_a_worker_started_while_redis_is_down_waits_for_it(private_redis, tmp_path):
    """The restart case of issue 20: RQ's constructor talks to Redis; `booking-app worker` used to exit 1."""
    private_redis.stop()
    worker = Worker(tmp_path)
    try:
        wait_for(lambda: "starting a fresh one" in open(worker.log.name, errors="replace").read(),
                 "the worker to notice that Redis is down", timeout=60)
        assert worker.process.poll() is None, worker_log(worker)
        private_redis.start()
        wait_for(lambda: "listening on" in open(worker.log.name, errors="replace").read().lower(),
                 "the worker to reach Redis", timeout=60)
        assert worker.process.poll() is None, worker_log(worker)
        os.killpg(worker.process.pid, signal.SIGTERM)
        assert worker.process.wait(timeout=60) == 0, worker_log(worker)
    finally:
        worker.kill()


# -- SMTP down while reminders fall due -------------------------------------------------------------

@pytest.fixture
def stoppable_smtp(monkeypatch, database):
    """A real SMTP server the test can stop and start again on the same port (embedded jobs, fast retries)."""
    port = free_port()
    drain_embedded()
    servers = [SmtpServer(port)]
    use_env(monkeypatch, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "NOTIFICATION_RETRY_DELAYS": "1,2,3",
                          "REDIS_URL": ""})

    class Control:
        def stop(self) -> None:
            servers[-1].stop()

        def start(self) -> None:
            servers.append(SmtpServer(port))

        @property
        def messages(self) -> list:  # everything received, before and after the outage
            return [m for server in servers for m in server.recorder.messages]

    yield Control()
    drain_embedded()
    with contextlib.suppress(Exception):  # already stopped when the test failed mid-outage
        servers[-1].stop()
    monkeypatch.undo()
    get_settings.cache_clear()


def reminder_rows(ids: list[str]) -> dict[str, AppointmentReminder]:
    return {str(r.appointment_id): r for r in rows_of(AppointmentReminder, ids)}


def sweep() -> None:
    dispatch_due(utcnow() + timedelta(seconds=1))
    drain_embedded()


def test_reminders_due_while_smtp_is_down_are_all_sent_once_it_is_back(stoppable_smtp, client, make_calendar):
    calendar = make_calendar(reminders={"email": [60], "sms": [], "push": []}, owner_email=None)
    tag = uuid.uuid4().hex[:8]
    booked = [book(client, calendar, future_day(13).replace(hour=8 + i), email=f"rem-{i}-{tag}@example.com")
              for i in range(6)]
    ids = [a["id"] for a in booked]
    kept, cancelled = ids[:5], booked[5]
    drain_embedded()
    wait_for(lambda: len(rows_of(AppointmentReminder, ids)) == 6, "the reminders to be planned", timeout=30)

    stoppable_smtp.stop()
    with session_scope() as session:  # they fall due now, while the mail server is down
        session.execute(sa.update(AppointmentReminder).where(
            AppointmentReminder.appointment_id.in_([uuid.UUID(i) for i in ids])).values(scheduled_for=utcnow()))

    def retried_while_down() -> bool:
        sweep()
        rows = reminder_rows(ids).values()
        return all(r.status == "pending" and r.attempts >= 2 and r.last_error for r in rows)

    wait_for(retried_while_down, "every reminder to fail twice and wait for its next attempt", timeout=90, poll=0.5)
    for row in reminder_rows(ids).values():
        assert row.next_attempt_at is not None and "SMTP" in row.last_error, row
    cancel = client.post(f"/api/v1/appointments/{cancelled['id']}/cancel",
                         headers={"X-Manage-Token": cancelled["manage_token"]}, json={"reason": "outage"})
    assert cancel.status_code == 200, cancel.text

    stoppable_smtp.start()

    def all_sent() -> bool:
        sweep()
        rows = reminder_rows(ids)
        return all(rows[i].status == "sent" for i in kept) and rows[cancelled["id"]].status == "cancelled"

    wait_for(all_sent, "every reminder sent once SMTP is back", timeout=90, poll=0.5)
    rows = reminder_rows(ids)
    received = [m["X-Slotwise-Notification"] for m in stoppable_smtp.messages]
    for appointment_id in kept:
        assert received.count(f"reminder-{rows[appointment_id].id}") == 1, received
    assert f"reminder-{rows[cancelled['id']].id}" not in received  # never after a cancellation


def test_a_reminder_gives_up_only_when_the_appointment_has_started(stoppable_smtp, client, make_calendar,
                                                                   monkeypatch):
    calendar = make_calendar(reminders={"email": [60], "sms": [], "push": []}, owner_email=None)
    appointment = book(client, calendar, future_day(14).replace(hour=9), email=f"late-{uuid.uuid4().hex[:8]}@x.example")
    drain_embedded()
    use_env(monkeypatch, {"NOTIFICATION_RETRY_DELAYS": "30,60,90"})  # longer than the claim's clock slack
    stoppable_smtp.stop()
    reminder = reminder_rows([appointment["id"]])[appointment["id"]]

    assert send_reminder(str(reminder.id)) == "retry"
    row = reminder_rows([appointment["id"]])[appointment["id"]]
    assert (row.status, row.attempts) == ("pending", 1) and row.next_attempt_at > utcnow()
    assert send_reminder(str(reminder.id)) == "skipped"  # claimable again only when its next attempt is due

    # Many failures later (after the last delay, which repeats) it is still retried, up to the start.
    late = datetime.fromisoformat(appointment["start_time"].replace("Z", "+00:00")) - timedelta(minutes=13)
    for attempt in range(2, 7):
        monkeypatch.setattr(dispatch, "utcnow", lambda at=late + timedelta(minutes=2 * attempt): at)
        assert send_reminder(str(reminder.id)) == "retry"
    assert reminder_rows([appointment["id"]])[appointment["id"]].attempts == 6

    # Once the appointment has started it gives up, keeping why.
    started = late + timedelta(minutes=14)
    monkeypatch.setattr(dispatch, "utcnow", lambda: started)
    assert send_reminder(str(reminder.id)) == "failed"
    row = reminder_rows([appointment["id"]])[appointment["id"]]
    assert row.status == "failed" and "appointment started" in row.last_error and "SMTP" in row.last_error
    assert f"reminder-{reminder.id}" not in [m["X-Slotwise-Notification"] for m in stoppable_smtp.messages]
