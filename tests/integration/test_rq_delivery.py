"""Delivery through real RQ workers (subprocesses) on a private Redis: retries with backoff,
a worker killed mid-send, and a flushed Redis rebuilt from the database by the sweep."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from datetime import timedelta
from pathlib import Path

import psycopg
import pytest
import sqlalchemy as sa

from booking_app import queue
from booking_app.db import session_scope, utcnow
from booking_app.models import AppointmentReminder, Notification
from booking_app.services.messaging.outbox import SEND_JOB
from booking_app.services.operations.periodic import run_tick
from tests.integration.conftest import book, future_day, notifications, wait_status
from tests.support.servers import ROOT, tool_env


class Worker:
    """`booking-app worker` in a process group of its own; kill() takes its work horse too (RQ's horse
    calls setsid, so it has a group of its own)."""

    def __init__(self, tmp_path, *, burst: bool = False) -> None:
        self.log = open(tmp_path / f"worker-{uuid.uuid4().hex[:6]}.log", "wb")
        args = ["booking-app", "worker"] + (["--burst"] if burst else [])
        self.process = subprocess.Popen(args, cwd=ROOT, env=tool_env({}), stdout=self.log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def kill(self) -> None:
        if self.process.poll() is None:
            children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
            os.killpg(self.process.pid, signal.SIGKILL)
            for child in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(child), signal.SIGKILL)
        self.process.wait(timeout=10)
        self.log.close()

    def finish(self, timeout: float = 60) -> None:
        self.process.wait(timeout=timeout)
        self.log.close()


def test_worker_sends_with_rq_retry_backoff(private_redis, client, make_calendar, smtp, tmp_path):
    email = f"retry-{uuid.uuid4().hex[:8]}@example.com"
    smtp.fail_with, smtp.failures_left, smtp.fail_only_to = "451 4.3.0 Greylisted, try again", 2, email
    calendar = make_calendar(owner_email=None)  # the confirmation is the only message
    appointment = book(client, calendar, future_day(9).replace(hour=10), email=email)
    worker = Worker(tmp_path)
    try:
        smtp.wait_for(1, address=appointment["customer_email"], timeout=40)
        sent = wait_status(appointment["id"], "confirmation", "sent")
    finally:
        worker.kill()
    assert sent.attempts == 3  # two refusals, then accepted via RQ's Retry
    assert len(smtp.to(appointment["customer_email"])) == 1


@pytest.mark.usefixtures("private_redis")
def test_worker_killed_after_the_server_accepted_never_sends_twice(client, make_calendar, smtp, database,
                                                                     tmp_path):
    if not database.startswith("postgresql"):
        pytest.skip("holds a PostgreSQL row lock to freeze the worker between send and bookkeeping")
    smtp.delay_seconds = 1.5
    calendar = make_calendar()
    appointment = book(client, calendar, future_day(9).replace(hour=11), email=f"kill-{uuid.uuid4().hex[:8]}@example.com")
    confirmation = next(n for n in notifications(appointment["id"]) if n.kind == "confirmation")
    worker = Worker(tmp_path)
    dsn = database.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(dsn) as lock:
        # Claimed and mid-conversation (the SMTP server answers DATA slowly).
        wait_status(appointment["id"], "confirmation", "sending", timeout=30)
        lock.execute("SELECT 1 FROM notifications WHERE id = %s FOR UPDATE", (confirmation.id,))
        smtp.wait_for(1, address=appointment["customer_email"])  # accepted by the server...
        time.sleep(0.5)
        worker.kill()  # ...and the worker dies before it can record that
        lock.rollback()
    # Everything that could resend it: the job enqueued again, a new worker, the sweep after the claim went stale.
    queue.enqueue(SEND_JOB, str(confirmation.id), job_id=f"notify-{confirmation.id}")
    with session_scope() as session:
        session.execute(sa.update(Notification).where(Notification.id == confirmation.id)
                        .values(claimed_at=utcnow() - timedelta(hours=1)))
    run_tick()
    Worker(tmp_path, burst=True).finish()
    assert len(smtp.to(appointment["customer_email"])) == 1
    final = wait_status(appointment["id"], "confirmation", "failed")
    assert "delivery unknown" in final.last_error  # honest: staff see it and can resend deliberately


def test_flushed_redis_loses_nothing_and_sends_nothing_twice(private_redis, client, make_calendar, smtp,
                                                              tmp_path):
    calendar = make_calendar(reminders={"email": [60], "sms": [], "push": []})
    appointments = [book(client, calendar, future_day(9).replace(hour=h), email=f"c{h}@example.com")
                    for h in (12, 13, 14)]
    ids = [uuid.UUID(a["id"]) for a in appointments]
    with session_scope() as session:  # their reminders are due now
        session.execute(sa.update(AppointmentReminder).where(AppointmentReminder.appointment_id.in_(ids))
                        .values(scheduled_for=utcnow() - timedelta(minutes=1)))
    private_redis.restart()  # every queued job is gone
    # 3 confirmations, 3 owner notices, 3 reminders rebuilt from the database (plus older tests' leftovers)
    assert run_tick()["dispatch_due"] >= 9
    run_tick()  # a second sweep before any worker ran: enqueues again, harmlessly
    Worker(tmp_path, burst=True).finish()
    run_tick()
    Worker(tmp_path, burst=True).finish()
    for appointment in appointments:
        received = smtp.to(appointment["customer_email"])
        assert sorted(m["Subject"].split(":")[0] for m in received) == sorted(
            {m["Subject"].split(":")[0] for m in received}) and len(received) == 2, [m["Subject"] for m in received]
    with session_scope() as session:
        statuses = session.execute(sa.select(AppointmentReminder.status).where(
            AppointmentReminder.appointment_id.in_(ids))).scalars().all()
    assert statuses == ["sent"] * 3
