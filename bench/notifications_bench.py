"""Notification delivery benchmark (prints JSON; not a test).

1. Booking -> confirmation received by a real SMTP server (aiosmtpd), over HTTP with RQ workers:
   p50/p99 over --bookings bookings.
2. --reminders due reminders dispatched by the sweep to the SMTP sink, as reminders/s and as a ratio
   to RQ's own no-op job throughput measured with the same workers in the same run.

Everything runs on 127.0.0.1: its own PostgreSQL database, its own redis-server, its own SMTP sink.
    python bench/notifications_bench.py [--bookings 200] [--reminders 10000] [--workers 2]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from rq import Queue  # noqa: E402
from rq.registry import StartedJobRegistry  # noqa: E402

from bench.results_file import publish  # noqa: E402
from tests.conftest import ApiServer, configure, create_pg_database, drop_pg_database, free_port  # noqa: E402
from tests.support.redis_server import PrivateRedis  # noqa: E402
from tests.support.servers import ROOT as PROJECT  # noqa: E402
from tests.support.servers import tool_env
from tests.support.smtp import SmtpServer  # noqa: E402

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
ALL_WEEK = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def start_workers(count: int, log_dir: Path) -> list:
    import subprocess

    return [subprocess.Popen(["booking-app", "worker"], cwd=PROJECT, env=tool_env({}),
                             stdout=open(log_dir / f"worker-{i}.log", "wb"), stderr=subprocess.STDOUT)
            for i in range(count)]


def wait_until(predicate, timeout: float, what: str, poll: float = 0.01) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(poll)


def booking_latency(base_url: str, admin_key: str, recorder, bookings: int) -> dict:
    headers = {"Authorization": f"Bearer {admin_key}"}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        calendar = client.post("/api/v1/calendars", headers=headers, json={
            "name": "Bench", "slug": f"bench-{uuid.uuid4().hex[:8]}", "timezone": "UTC", "weekly_hours": ALL_WEEK,
            "slot_interval_minutes": 15, "max_advance_days": 365, "min_notice_minutes": 0})
        assert calendar.status_code == 201, calendar.text
        calendar = calendar.json()
        client.post(f"/api/v1/calendars/{calendar['id']}/appointment-types", headers=headers,
                    json={"slug": "consult", "name": "Consultation", "duration_minutes": 15})
        first_day = datetime.now(timezone.utc).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=2)
        slots = client.get(f"/api/v1/calendars/{calendar['id']}/slots", params={
            "appointment_type": "consult", "start": first_day.isoformat(),
            "end": (first_day + timedelta(days=14)).isoformat()}).json()["slots"]
        latencies = []
        for i, slot in enumerate(slots[:bookings]):
            email = f"bench{i}@example.com"
            started = time.perf_counter()
            response = client.post("/api/v1/appointments", json={
                "calendar_id": calendar["id"], "appointment_type": "consult", "start_time": slot["start_time"],
                "end_time": slot["end_time"], "customer_email": email, "customer_name": "Bench Customer",
                "timezone": "UTC"})
            assert response.status_code == 201, response.text
            wait_until(lambda: recorder.to(email), 30, f"confirmation to {email}")
            latencies.append(time.perf_counter() - started)
    return {"bookings": len(latencies), "p50_s": round(statistics.median(latencies), 4),
            "p99_s": round(percentile(latencies, 0.99), 4), "max_s": round(max(latencies), 4),
            "target_p99_s": 2.0}


def make_due_reminders(count: int) -> None:
    """Clone one real appointment `count` times (an hour apart) with one due email reminder each."""
    from booking_app.db import session_scope, utcnow
    from booking_app.models import Appointment, AppointmentReminder

    with session_scope() as session:
        template = session.execute(sa.select(Appointment).limit(1)).scalar_one()
        base = {c.name: getattr(template, c.name) for c in Appointment.__table__.columns}
        far = utcnow().replace(minute=0, second=0, microsecond=0) + timedelta(days=400)
        appointments, reminders = [], []
        for i in range(count):
            shift = far + timedelta(hours=i) - template.start_time
            row = {**base, "id": uuid.uuid4(), "lineage_id": uuid.uuid4(), "slot_id": uuid.uuid4(),
                   "customer_email": f"due{i}@example.com"}
            for column in ("start_time", "end_time", "busy_start", "busy_end"):
                row[column] = base[column] + shift
            appointments.append(row)
            reminders.append({"id": uuid.uuid4(), "appointment_id": row["id"], "reminder_type": "email",
                              "offset_minutes": 60, "scheduled_for": utcnow() - timedelta(minutes=1),
                              "status": "pending", "attempts": 0, "created_at": utcnow()})
        session.execute(sa.insert(Appointment.__table__), appointments)
        session.execute(sa.insert(AppointmentReminder.__table__), reminders)


def drained(queue: Queue) -> bool:
    return queue.count == 0 and StartedJobRegistry(queue=queue).count == 0


def noop_throughput(queue: Queue, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        queue.enqueue("os.getpid", result_ttl=0)
    wait_until(lambda: drained(queue), 3600, "no-op jobs", poll=0.2)
    return count / (time.perf_counter() - started)


def reminder_throughput(count: int) -> float:
    from booking_app.db import session_scope, utcnow
    from booking_app.models import AppointmentReminder
    from booking_app.services.messaging.dispatch import dispatch_due

    def sent() -> int:
        with session_scope() as session:
            return session.execute(sa.select(sa.func.count()).where(
                AppointmentReminder.status.in_(("sent", "failed")))).scalar_one()

    started = time.perf_counter()
    while dispatch_due(utcnow()):  # the sweep enqueues in batches until nothing is due
        pass
    wait_until(lambda: sent() >= count, 3600, "reminders", poll=0.2)
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--bookings", type=int, default=200)
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()

    import tempfile

    log_dir = Path(tempfile.mkdtemp(prefix="slotwise-bench-"))
    redis_server = PrivateRedis(free_port())
    smtp = SmtpServer(free_port())
    name, url = create_pg_database(ADMIN_DSN)
    workers = []
    try:
        configure(database_url=url, redis_url=redis_server.url, SMTP_HOST="127.0.0.1", SMTP_PORT=str(smtp.port))
        from booking_app.db import session_scope
        from booking_app.migrate import upgrade
        from booking_app.services.access.api_keys import create_api_key
        from booking_app.settings import get_settings

        upgrade()
        with session_scope() as session:
            admin_key = create_api_key(session, name="bench", role="admin")[1]
        api = ApiServer()
        workers = start_workers(args.workers, log_dir)
        result = {"workers": args.workers,
                  "confirmation_latency": booking_latency(api.base_url, admin_key, smtp.recorder, args.bookings)}
        queue = Queue(get_settings().rq_queue, connection=__import__("redis").Redis.from_url(redis_server.url))
        wait_until(lambda: drained(queue), 120, "the queue to drain")
        make_due_reminders(args.reminders)
        noop = noop_throughput(queue, args.reminders)
        reminders = reminder_throughput(args.reminders)
        received = sum(1 for m in smtp.recorder.messages if m["To"].startswith("due"))
        result["reminders"] = {"count": args.reminders, "received_by_smtp": received,
                               "reminders_per_s": round(reminders, 1), "rq_noop_jobs_per_s": round(noop, 1),
                               "ratio_to_noop": round(reminders / noop, 3), "target_ratio": 0.5}
        api.stop()
        publish("notifications", result)
    finally:
        for worker in workers:
            worker.terminate()
            worker.wait(timeout=30)
        smtp.stop()
        redis_server.stop()
        drop_pg_database(ADMIN_DSN, name)


if __name__ == "__main__":
    main()
