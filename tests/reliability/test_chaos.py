"""Chaos on the production topology (PostgreSQL only): book / cancel / reschedule / check-in traffic over
HTTP against the real server (`reflex run --env prod --backend-only`) and two RQ workers, while the
app's PostgreSQL backends are terminated every few seconds, a worker is SIGKILLed mid-job (twice) and
the private Redis is restarted empty. Afterwards the sweep and a burst worker run until quiet, and:

- no two active appointments overlap; every booking answered 201 (or moved with 200) exists;
- every message the SMTP server received was received once (by its X-Slotwise-Notification header),
  and every notification / reminder row marked 'sent' was received exactly once;
- no reminder reached the SMTP server after its appointment's cancellation had been answered;
- nothing is stuck: no due row left 'pending', no row left 'sending' once its claim is stale;
- errors seen by clients during the chaos are JSON error bodies, never tracebacks (counted).

The sweep is driven by this test (as rq-scheduler would); test_periodic_sweep_survives_a_redis_restart
checks the real `booking-app scheduler` across a Redis restart (it re-registers the sweep).
"""
from __future__ import annotations

import collections
import json
import random
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path

import httpx
import psycopg
import pytest
import sqlalchemy as sa

from tests.conftest import MAIL_CATCHER, create_pg_database, drop_pg_database, free_port, start_private_redis, use_env
from tests.reliability import Proc, overlapping_active, plain_dsn, start_local_backend, worker
from tests.support.redis_server import PrivateRedis
from tests.support.smtp import SmtpServer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

ALL_WEEK = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
TRAFFIC_SECONDS = 40
CLIENTS = 3
THINK_SECONDS = (0.3, 1.0)  # between a client's requests: busy, not a CPU-saturating flood
SWEEP_SECONDS = 10
BOOKING_DAYS = (2, 3, 4)


def zulu(value: datetime) -> str:
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


@dataclass
class Stack:
    database_url: str
    redis: PrivateRedis
    smtp: SmtpServer
    log_dir: Path
    base_url: str = ""
    admin_key: str = ""
    workers: list[Proc] = field(default_factory=list)


@pytest.fixture
def services(pg_server, monkeypatch, tmp_path):
    """A fresh, migrated PostgreSQL database, a private Redis and a real SMTP server; the app's settings (in
    this process and in every subprocess started from it) point at them."""
    from booking_app.db import dispose_engines
    from booking_app.migrate import upgrade
    from booking_app.settings import get_settings

    redis_server = start_private_redis()
    smtp = SmtpServer(free_port())
    name, url = create_pg_database(pg_server)
    env = {"DATABASE_URL": url, "SQLITE_PATH": "", "REDIS_URL": redis_server.url, "RATE_LIMIT_ENABLED": "false",
           "SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(smtp.port), "NOTIFICATION_RETRY_DELAYS": "1,2,3",
           "MAIL_CATCHER_DIR": MAIL_CATCHER, "GRANIAN_WORKERS": "2"}
    use_env(monkeypatch, env)
    dispose_engines()
    built = Stack(database_url=url, redis=redis_server, smtp=smtp, log_dir=tmp_path)
    try:
        upgrade()
        yield built
    finally:
        for proc in built.workers:
            proc.kill()
        smtp.stop()
        redis_server.stop()
        drop_pg_database(pg_server, name)
        monkeypatch.undo()
        get_settings.cache_clear()
        dispose_engines()


@pytest.fixture
def stack(services):
    """`services` plus the production server (`reflex run --env prod --backend-only`) and an admin key."""
    from booking_app.db import session_scope
    from booking_app.services.access.api_keys import create_api_key

    with session_scope() as session:
        services.admin_key = create_api_key(session, name="chaos", role="admin")[1]
    server = start_local_backend({}, free_port(), services.log_dir / "backend.log")
    services.base_url = server.base_url
    try:
        yield services
    finally:
        server.stop()


class Traffic:
    """Client threads doing a mix of operations; every answer is checked for shape and counted."""

    def __init__(self, stack: Stack, calendars: list[dict], seed: int = 7) -> None:
        self.stack = stack
        self.calendars = calendars
        self.seed = seed
        self.lock = threading.Lock()
        self.stop = threading.Event()
        self.stats: collections.Counter = collections.Counter()
        self.bad_bodies: list[tuple[str, int, str]] = []
        self.created: dict[str, str] = {}  # id -> manage token: every 201 booking and 200 reschedule
        self.live: list[str] = []  # ids believed confirmed, for cancel / reschedule / check-in
        self.cancel_answered: dict[str, datetime] = {}  # id -> when its cancellation (or move) was answered

    def record(self, op: str, response: httpx.Response) -> None:
        text = response.text
        ok_shape = True
        if response.status_code >= 400:
            try:
                body = response.json()
                ok_shape = isinstance(body, dict) and isinstance(body.get("error"), str) and "message" in body
            except ValueError:
                ok_shape = False
        with self.lock:
            self.stats[f"{op} {response.status_code}"] += 1
            if response.status_code >= 500:
                self.stats["5xx"] += 1
            if "Traceback (most recent call last)" in text:
                self.stats["traceback"] += 1
                ok_shape = False
            if not ok_shape:
                self.stats["non_json_error"] += 1
                self.bad_bodies.append((op, response.status_code, text[:300]))

    def transport_error(self, op: str) -> None:
        with self.lock:
            self.stats[f"{op} transport_error"] += 1
            self.stats["transport_error"] += 1

    def pick_live(self, rng: random.Random, remove: bool) -> str | None:
        with self.lock:
            if not self.live:
                return None
            index = rng.randrange(len(self.live))
            return self.live.pop(index) if remove else self.live[index]

    def book(self, client: httpx.Client, rng: random.Random, serial: int) -> None:
        calendar = rng.choice(self.calendars)
        day = datetime.now(timezone.utc).replace(hour=8, minute=0, second=0, microsecond=0) + timedelta(
            days=rng.choice(BOOKING_DAYS))
        start = day + timedelta(minutes=15 * rng.randrange(46))
        body = {"calendar_id": calendar["id"], "appointment_type": "consult", "start_time": zulu(start),
                "end_time": zulu(start + timedelta(minutes=30)), "customer_email": f"c{serial}@chaos.example",
                "customer_name": "Chaos Customer", "timezone": "America/New_York"}
        headers = {"Idempotency-Key": uuid.uuid4().hex}
        for attempt in range(2):  # one retry with the same key after a 5xx or a dropped connection
            try:
                response = client.post("/api/v1/appointments", json=body, headers=headers)
            except httpx.TransportError:
                self.transport_error("book")
                time.sleep(0.2)
                continue
            self.record("book" if attempt == 0 else "book-retry", response)
            if response.status_code == 201:
                created = response.json()
                with self.lock:
                    self.created[created["id"]] = created["manage_token"]
                    self.live.append(created["id"])
            if response.status_code < 500:
                return
            time.sleep(0.2)

    def cancel(self, client: httpx.Client, rng: random.Random) -> None:
        target = self.pick_live(rng, remove=True)
        if target is None:
            return
        try:
            response = client.post(f"/api/v1/appointments/{target}/cancel", json={"reason": "chaos"},
                                   headers={"X-Manage-Token": self.created[target]})
        except httpx.TransportError:
            self.transport_error("cancel")
            return
        self.record("cancel", response)
        if response.status_code == 200:
            with self.lock:
                self.cancel_answered[target] = datetime.now(timezone.utc)

    def reschedule(self, client: httpx.Client, rng: random.Random) -> None:
        target = self.pick_live(rng, remove=True)
        if target is None:
            return
        token = self.created[target]
        try:
            started = client.post(f"/api/v1/appointments/{target}/reschedule", json={"reason": "chaos"},
                                  headers={"X-Manage-Token": token})
            self.record("reschedule", started)
            if started.status_code != 200 or not started.json()["available_slots"]:
                with self.lock:
                    self.live.append(target)
                return
            slot = rng.choice(started.json()["available_slots"])
            moved = client.put(f"/api/v1/appointments/{target}/reschedule/confirm", json={
                "new_slot_id": slot["slot_id"], "new_start_time": slot["start_time"], "new_end_time": slot["end_time"],
                "reschedule_token": started.json()["reschedule_token"]})
        except httpx.TransportError:
            self.transport_error("reschedule")
            return
        self.record("reschedule-confirm", moved)
        with self.lock:
            if moved.status_code == 200:
                new_id = moved.json()["id"]
                self.created[new_id] = token  # same lineage, same manage token
                self.live.append(new_id)
                self.cancel_answered[target] = datetime.now(timezone.utc)
            elif moved.status_code < 500:
                self.live.append(target)

    def check_in(self, client: httpx.Client, rng: random.Random) -> None:
        target = self.pick_live(rng, remove=False)
        if target is None:
            return
        try:
            response = client.post(f"/api/v1/appointments/{target}/check-in", json={"method": "manual"},
                                   headers={"Authorization": f"Bearer {self.stack.admin_key}"})
        except httpx.TransportError:
            self.transport_error("check-in")
            return
        self.record("check-in", response)

    def read(self, client: httpx.Client, rng: random.Random) -> None:
        try:
            response = client.get("/api/v1/appointments", params={"calendar_id": rng.choice(self.calendars)["id"],
                                                                  "limit": 20},
                                  headers={"Authorization": f"Bearer {self.stack.admin_key}"})
        except httpx.TransportError:
            self.transport_error("list")
            return
        self.record("list", response)

    def client_loop(self, index: int) -> None:
        rng = random.Random(self.seed * 1000 + index)
        serial = index * 100_000
        operations = [self.book] * 9 + [self.cancel] * 3 + [self.reschedule] * 3 + [self.check_in] * 3 + [self.read] * 2
        with httpx.Client(base_url=self.stack.base_url, timeout=30) as client:
            while not self.stop.wait(rng.uniform(*THINK_SECONDS)):
                operation = rng.choice(operations)
                try:
                    if operation == self.book:
                        serial += 1
                        operation(client, rng, serial)
                    else:
                        operation(client, rng)
                except Exception as exc:  # noqa: BLE001 - count it; the assertions name it
                    with self.lock:
                        self.stats[f"client_exception {type(exc).__name__}"] += 1


class Chaos:
    """The faults, on a timeline, plus the every-few-seconds sweep and a clock that makes reminders due."""

    def __init__(self, stack: Stack, db_name: str) -> None:
        self.stack = stack
        self.db_name = db_name
        self.stop = threading.Event()
        self.events: collections.Counter = collections.Counter()
        self.errors: list[str] = []

    def terminate_backends(self, admin_dsn: str) -> None:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            killed = conn.execute("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                                  "WHERE datname = %s AND pid <> pg_backend_pid()", (self.db_name,)).fetchone()[0]
        self.events["pg_terminate_rounds"] += 1
        self.events["pg_backends_terminated"] += killed

    def kill_busy_worker(self, timeout: float = 15) -> None:
        """SIGKILL a worker while it runs a job: while its work horse (a child process) exists. The SMTP
        server answers slowly meanwhile, so the job is caught claimed, composing or talking to it."""
        self.stack.smtp.recorder.delay_seconds = 0.4
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline and not self.stop.is_set():
                busy = [w for w in self.stack.workers if w.alive() and w.children()]
                if busy:
                    time.sleep(0.2)
                    if busy[0].children():
                        busy[0].kill()
                        self.events["workers_killed_mid_job"] += 1
                        self.stack.workers.append(worker(self.stack.log_dir))
                        return
                time.sleep(0.02)
            self.errors.append("no busy worker to kill")
        finally:
            self.stack.smtp.recorder.delay_seconds = 0.0

    def timeline(self, admin_dsn: str, seconds: float) -> None:
        started = time.monotonic()
        plan = [(8, "kill_worker"), (18, "restart_redis"), (28, "kill_worker")]
        next_pg_kill = started + 3
        while not self.stop.is_set() and time.monotonic() - started < seconds:
            now = time.monotonic()
            try:
                if plan and now - started >= plan[0][0]:
                    _, what = plan.pop(0)
                    if what == "kill_worker":
                        self.kill_busy_worker()
                    else:
                        self.stack.redis.restart()
                        self.events["redis_restarts"] += 1
                if now >= next_pg_kill:
                    self.terminate_backends(admin_dsn)
                    next_pg_kill = now + 3
            except Exception as exc:  # noqa: BLE001
                self.errors.append(f"{type(exc).__name__}: {exc}")
            time.sleep(0.05)

    def sweeper(self) -> None:
        """What rq-scheduler does in production (every minute there); plus time passing for a few reminders."""
        from booking_app.db import session_scope
        from booking_app.models import AppointmentReminder
        from booking_app.services.operations.periodic import run_tick

        while not self.stop.wait(SWEEP_SECONDS):
            try:
                with session_scope() as session:
                    due = session.execute(sa.select(AppointmentReminder.id).where(
                        AppointmentReminder.status == "pending").order_by(sa.func.random()).limit(4)).scalars().all()
                    session.execute(sa.update(AppointmentReminder).where(AppointmentReminder.id.in_(due))
                                    .values(scheduled_for=datetime.now(timezone.utc) - timedelta(seconds=1)))
                self.events["reminders_made_due"] += len(due)
                run_tick()
                self.events["sweeps"] += 1
            except Exception as exc:  # noqa: BLE001 - the database was just killed under us: next round
                self.events[f"sweep_error {type(exc).__name__}"] += 1


def pending_work() -> tuple[int, int]:
    """(notifications waiting to be sent or retried, reminders due and not yet sent)."""
    from booking_app.db import session_scope, utcnow
    from booking_app.models import AppointmentReminder, Notification

    with session_scope() as session:
        waiting = session.execute(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.status == "pending")).scalar_one()
        due = session.execute(sa.select(sa.func.count()).select_from(AppointmentReminder).where(
            AppointmentReminder.status == "pending", AppointmentReminder.scheduled_for <= utcnow())).scalar_one()
    return waiting, due


def drain(stack: Stack, timeout: float = 150) -> dict:
    """The surviving workers work off the queue; whenever it is empty and the database still has work, a
    sweep re-drives it. Then the workers stop and one more sweep + burst worker must find nothing to do.
    (Sweeping while the queue is long would only add duplicate jobs: each sweep enqueues every pending row.)"""
    import redis
    from rq import Queue

    from booking_app.services.operations.periodic import run_tick
    from booking_app.settings import get_settings

    queue = Queue(get_settings().rq_queue, connection=redis.Redis.from_url(stack.redis.url))
    deadline = time.monotonic() + timeout
    sweeps, last_sweep = 0, 0.0
    while (work := pending_work()) != (0, 0):
        assert time.monotonic() < deadline, f"still {work[0]} notifications and {work[1]} due reminders pending"
        if queue.count == 0 and time.monotonic() - last_sweep > 3:
            run_tick()
            sweeps, last_sweep = sweeps + 1, time.monotonic()
        time.sleep(0.5)
    for proc in stack.workers:  # a warm shutdown: the current job finishes
        proc.stop()
    run_tick()
    assert worker(stack.log_dir, burst=True).finish(timeout=120) == 0
    assert pending_work() == (0, 0)
    return {"drain_sweeps": sweeps}


def test_chaos_keeps_bookings_and_messages_right(stack, pg_server):
    from booking_app.db import session_scope, utcnow
    from booking_app.models import Appointment, AppointmentReminder, Notification
    from booking_app.services.operations.periodic import run_tick

    run_started = time.monotonic()
    with httpx.Client(base_url=stack.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {stack.admin_key}"}) as admin:
        calendars = []
        for i in range(3):
            created = admin.post("/api/v1/calendars", json={
                "name": f"Chaos {i}", "business_name": "Chaos Clinic", "timezone": "UTC",
                "slug": f"chaos-{i}-{uuid.uuid4().hex[:8]}", "weekly_hours": ALL_WEEK, "slot_interval_minutes": 15,
                "reminders": {"email": [60], "sms": [], "push": []}})  # no owner_email: customer mail only
            assert created.status_code == 201, created.text
            calendars.append(created.json())
            typed = admin.post(f"/api/v1/calendars/{created.json()['id']}/appointment-types",
                               json={"slug": "consult", "name": "Consultation", "duration_minutes": 30})
            assert typed.status_code == 201, typed.text
    stack.smtp.recorder.fail_with, stack.smtp.recorder.failures_left = "451 4.3.0 Try again later", 4
    stack.workers.extend([worker(stack.log_dir), worker(stack.log_dir)])

    db_name = stack.database_url.rsplit("/", 1)[1]
    traffic = Traffic(stack, calendars)
    chaos = Chaos(stack, db_name)
    threads = [threading.Thread(target=traffic.client_loop, args=(i,), daemon=True) for i in range(CLIENTS)]
    threads += [threading.Thread(target=chaos.timeline, args=(pg_server, TRAFFIC_SECONDS), daemon=True),
                threading.Thread(target=chaos.sweeper, daemon=True)]
    for thread in threads:
        thread.start()
    time.sleep(TRAFFIC_SECONDS)
    traffic.stop.set()
    chaos.stop.set()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(t.is_alive() for t in threads), "a traffic or chaos thread hung"
    chaos_done = time.monotonic()

    # The server outlived it all and still reaches both stores.
    health = httpx.get(stack.base_url + "/api/v1/health", timeout=10)
    assert health.status_code == 200 and health.json()["queue"] == "ok", health.text

    drained = drain(stack)
    stale = 0
    with session_scope() as session:  # a dead worker's claim only goes stale with time: let it pass
        for model in (Notification, AppointmentReminder):
            stale += session.execute(sa.update(model).where(model.status == "sending")
                                     .values(claimed_at=utcnow() - timedelta(hours=1))).rowcount
    run_tick()
    drained["claims_left_by_killed_workers"] = stale

    summary = {"traffic": dict(sorted(traffic.stats.items())), "chaos": dict(chaos.events),
               "chaos_errors": chaos.errors, **drained, "created": len(traffic.created),
               "messages_received": len(stack.smtp.recorder.messages),
               "seconds": {"chaos": round(chaos_done - run_started, 1),
                           "drain": round(time.monotonic() - chaos_done, 1)}}
    print(json.dumps(summary, indent=1, default=str))

    # The faults really happened, and real work got through them.
    assert chaos.events["pg_backends_terminated"] > 0 and chaos.events["redis_restarts"] == 1, summary
    assert chaos.events["workers_killed_mid_job"] == 2, summary
    assert traffic.stats["book 201"] >= 20 and traffic.stats["cancel 200"] > 0, summary
    assert traffic.stats["reschedule-confirm 200"] > 0 and traffic.stats["check-in 201"] > 0, summary

    # Client errors were JSON error bodies, never tracebacks or HTML.
    assert traffic.stats["non_json_error"] == 0 and traffic.stats["traceback"] == 0, (traffic.bad_bodies[:5], summary)
    assert not any(k.startswith("client_exception") for k in traffic.stats), summary

    # No double booking; nothing acknowledged was lost.
    assert overlapping_active(stack.database_url) == 0, summary
    with psycopg.connect(plain_dsn(stack.database_url)) as conn:
        found = {str(r[0]) for r in conn.execute("SELECT id FROM appointments WHERE id = ANY(%s)",
                                                 ([uuid.UUID(i) for i in traffic.created],))}
    assert found == set(traffic.created), (set(traffic.created) - found, summary)

    # Messages: none twice, every 'sent' row exactly once.
    received = collections.Counter(m["X-Slotwise-Notification"] for m in stack.smtp.recorder.messages)
    assert None not in received, summary
    duplicates = {ref: n for ref, n in received.items() if n > 1}
    assert not duplicates, (duplicates, summary)
    with session_scope() as session:
        notifications = session.execute(sa.select(Notification.id, Notification.status)).all()
        reminders = session.execute(
            sa.select(AppointmentReminder.id, AppointmentReminder.status, AppointmentReminder.claimed_at,
                      Appointment.id, Appointment.status)
            .join(Appointment, Appointment.id == AppointmentReminder.appointment_id)).all()
        stuck = session.execute(sa.select(sa.func.count()).select_from(Notification).where(
            Notification.status == "sending")).scalar_one() + session.execute(
            sa.select(sa.func.count()).select_from(AppointmentReminder).where(
                AppointmentReminder.status == "sending")).scalar_one()
    sent_refs = [str(n.id) for n in notifications if n.status == "sent"]
    sent_refs += [f"reminder-{r[0]}" for r in reminders if r[1] == "sent"]
    assert all(received[ref] == 1 for ref in sent_refs), (
        [ref for ref in sent_refs if received[ref] != 1], summary)
    summary["statuses"] = {"notifications": dict(collections.Counter(n.status for n in notifications)),
                           "reminders": dict(collections.Counter(r[1] for r in reminders))}
    assert stuck == 0, summary

    # No reminder for a cancelled appointment: every reminder the SMTP server received for an appointment
    # now cancelled arrived before that cancellation was answered (the send holds the appointment row).
    by_ref = {f"reminder-{r[0]}": r for r in reminders}
    arrived = {m["X-Slotwise-Notification"]: at for m, at in zip(stack.smtp.recorder.messages,
                                                                  stack.smtp.recorder.arrived)}
    late, outcomes = [], collections.Counter()
    for ref, at in arrived.items():
        if ref in by_ref and by_ref[ref][4] in ("cancelled", "late_cancel"):
            answered = traffic.cancel_answered.get(str(by_ref[ref][3]))
            if answered is None:
                outcomes["cancellation_answer_lost"] += 1  # a 5xx or a dropped connection: commit time unknown
            elif at > answered:
                late.append((ref, at.isoformat(), answered.isoformat()))
            else:
                outcomes["received_before_the_cancellation_was_answered"] += 1
    summary["reminders_received_for_now_cancelled"] = dict(outcomes)
    assert not late, (late, summary)
    print(json.dumps({k: summary[k] for k in ("statuses", "reminders_received_for_now_cancelled")}))


def test_periodic_sweep_survives_a_redis_restart(services):
    def sweeps() -> int:
        return sum(p.log_path.read_text(errors="replace").count("jobs.sweep.tick(") for p in services.workers)

    def wait_for_sweeps(count: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if sweeps() >= count:
                return True
            time.sleep(0.2)
        return False

    services.workers.append(worker(services.log_dir))
    scheduler = Proc(["booking-app", "scheduler", "--interval", "2"], services.log_dir, "scheduler")
    services.workers.append(scheduler)
    assert wait_for_sweeps(2, timeout=60), scheduler.log_tail()
    services.redis.restart()
    before = sweeps()
    # RQ waits out a lost connection with backoff (1, 2, 4, 8 s ...), so allow a minute.
    recovered = wait_for_sweeps(before + 2, timeout=60)
    logs = "\n\n".join(f"{p.log_path.name}:\n{p.log_tail()}" for p in services.workers)
    assert scheduler.alive(), logs
    assert all(p.alive() for p in services.workers), logs
    assert recovered, f"no sweep ran in the minute after the Redis restart\n{logs}"
