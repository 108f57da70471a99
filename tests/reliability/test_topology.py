"""The production topology, started from the Procfile with honcho: web (`reflex run --env prod`,
backend-only here), TWO `booking-app worker` processes and `booking-app scheduler --interval 5`, on a fresh
PostgreSQL database, a private Redis and a real SMTP server. A booking made over HTTP gets its confirmation
and, one minute before the start, its reminder, both at the SMTP server; nothing runs the sweep by hand."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from tests.conftest import MAIL_CATCHER, create_pg_database, drop_pg_database, free_port, start_private_redis, use_env
from tests.support.servers import ROOT, tool_env
from tests.support.smtp import SmtpServer

pytestmark = [pytest.mark.postgres, pytest.mark.redis]


def descendants(pid: int) -> list[int]:
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        try:
            children = [int(c) for c in open(f"/proc/{current}/task/{current}/children").read().split()]
        except OSError:
            children = []
        found += children
        todo += children
    return found


class Honcho:
    """`honcho start` on the project's Procfile, in a session of its own; stop() ends every process it started."""

    def __init__(self, env: dict[str, str], port: int, log_path, concurrency: str) -> None:
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.base_url = f"http://127.0.0.1:{port}"
        self.process = subprocess.Popen(
            ["honcho", "start", "--no-colour", "-f", str(ROOT / "Procfile"), "-d", str(ROOT), "-e", os.devnull,
             "-p", str(port), "-c", concurrency],
            cwd=ROOT, env=tool_env(env), stdout=self._log, stderr=subprocess.STDOUT, start_new_session=True)

    def log(self) -> str:
        self._log.flush()
        return self.log_path.read_text(errors="replace")

    def wait_healthy(self, timeout: float = 180) -> dict:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.process.poll() is None, f"honcho exited:\n{self.log()[-4000:]}"
            with contextlib.suppress(httpx.HTTPError):
                response = httpx.get(self.base_url + "/api/v1/health", timeout=3)
                if response.status_code == 200:
                    return response.json()
            time.sleep(0.5)
        raise AssertionError(f"web not healthy after {timeout:.0f}s:\n{self.log()[-4000:]}")

    def stop(self) -> None:
        everything = descendants(self.process.pid)
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGTERM)  # honcho sends SIGTERM on to each process, SIGKILL after 5 s
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for pid in everything:  # anything that outlived honcho (e.g. an RQ work horse)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        self._log.close()


@pytest.fixture
def topology(pg_server, monkeypatch, tmp_path):
    redis_server = start_private_redis()
    smtp = SmtpServer(free_port())
    name, url = create_pg_database(pg_server)
    port = free_port()
    env = {"DATABASE_URL": url, "SQLITE_PATH": "", "REDIS_URL": redis_server.url, "SMTP_HOST": "127.0.0.1",
           "SMTP_PORT": str(smtp.port), "MAIL_CATCHER_DIR": MAIL_CATCHER, "RATE_LIMIT_ENABLED": "false",
           "WEB_HOST": "127.0.0.1", "WEB_ARGS": "--backend-only", "SWEEP_INTERVAL_SECONDS": "5",
           "GRANIAN_WORKERS": "2", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
    use_env(monkeypatch, env)
    honcho = None
    try:
        # The key needs the schema: web migrates on start, so create the key once it is healthy.
        honcho = Honcho({}, port, tmp_path / "honcho.log", concurrency="web=1,worker=2,scheduler=1")
        honcho.wait_healthy()
        key = subprocess.run(["booking-app", "api-key", "create", "--role", "admin", "--name", "topology"],
                             cwd=ROOT, env=tool_env({}), capture_output=True, text=True, check=True)
        yield honcho, smtp.recorder, key.stdout.strip().splitlines()[-1]
    finally:
        if honcho is not None:
            honcho.stop()
        smtp.stop()
        redis_server.stop()
        drop_pg_database(pg_server, name)


def test_procfile_topology_confirms_and_reminds(topology):
    honcho, mail, admin_key = topology
    log = honcho.log()
    for process in ("web.1", "worker.1", "worker.2", "scheduler.1"):
        assert f"{process} started" in log, log[-3000:]

    # A slot ~2 minutes ahead, its reminder 1 minute before it: the grid starts at that minute.
    now = datetime.now(timezone.utc)
    start = now.replace(second=0, microsecond=0) + timedelta(minutes=3 if now.second > 30 else 2)
    if start.hour == 23 and start.minute > 45:  # keep the 15-minute slot inside one day's window
        start = start.replace(hour=0, minute=0) + timedelta(days=1)
    hours = {d: [[start.strftime("%H:%M"), "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
    with httpx.Client(base_url=honcho.base_url, timeout=30) as client:
        calendar = client.post("/api/v1/calendars", headers={"Authorization": f"Bearer {admin_key}"}, json={
            "name": "Topology", "business_name": "Topology Clinic", "timezone": "UTC",
            "slug": f"topology-{uuid.uuid4().hex[:8]}", "weekly_hours": hours, "slot_interval_minutes": 15,
            "min_notice_minutes": 0, "owner_email": None,
            "reminders": {"email": [1], "sms": [], "push": []}})
        assert calendar.status_code == 201, calendar.text
        calendar_id = calendar.json()["id"]
        typed = client.post(f"/api/v1/calendars/{calendar_id}/appointment-types",
                            headers={"Authorization": f"Bearer {admin_key}"},
                            json={"slug": "visit", "name": "Visit", "duration_minutes": 15})
        assert typed.status_code == 201, typed.text
        booked_at = time.monotonic()
        booking = client.post("/api/v1/appointments", json={
            "calendar_id": calendar_id, "appointment_type": "visit",
            "start_time": start.isoformat().replace("+00:00", "Z"),
            "end_time": (start + timedelta(minutes=15)).isoformat().replace("+00:00", "Z"),
            "customer_email": "topology@example.com", "customer_name": "Topo Customer", "timezone": "UTC"})
        assert booking.status_code == 201, booking.text
        appointment = booking.json()
    [reminder] = appointment["reminders"]
    due = datetime.fromisoformat(reminder["scheduled_for"].replace("Z", "+00:00"))
    assert due == start - timedelta(minutes=1) and due > datetime.now(timezone.utc)

    # The confirmation: enqueued after commit, sent by one of the workers.
    [confirmation] = mail.wait_for(1, timeout=60, address="topology@example.com")
    confirmed_after = time.monotonic() - booked_at
    assert "X-Slotwise-Notification" in confirmation and not confirmation["X-Slotwise-Notification"].startswith(
        "reminder-")

    # The reminder: the scheduler's sweep (every 5 s) finds it due and a worker sends it.
    wait = (due - datetime.now(timezone.utc)).total_seconds() + 60
    messages = mail.wait_for(2, timeout=max(wait, 5), address="topology@example.com")
    reminded_late = (datetime.now(timezone.utc) - due).total_seconds()
    references = [m["X-Slotwise-Notification"] for m in messages]
    assert references[1] == f"reminder-{reminder['id']}", references
    assert len(mail.to("topology@example.com")) == 2
    with httpx.Client(base_url=honcho.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {admin_key}"}) as client:
        detail = client.get(f"/api/v1/appointments/{appointment['id']}").json()
    assert detail["confirmation_status"] == "sent" and detail["reminders"][0]["status"] == "sent", detail
    log = honcho.log()
    assert "jobs.sweep.tick" in log and " stopped (rc=" not in log, log[-3000:]
    print(f"confirmation {confirmed_after:.1f}s after booking; reminder {reminded_late:.1f}s after it was due")
