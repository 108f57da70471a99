"""Live console latency: a booking committed in this process → the row in a second console's DOM
(production build, PostgreSQL, Redis pub/sub). p50/p95 over --events events; prints JSON.

Baseline in the same run: a plain Redis PUBLISH → SUBSCRIBE round trip in this process, so the
ratio shows what the app adds (commit hook, background task, database resync, websocket, render).
    python bench/console_latency_bench.py [--events 50]
"""
from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results_file import publish  # noqa: E402
from tests.conftest import configure, create_pg_database, drop_pg_database, free_port  # noqa: E402
from tests.support.redis_server import PrivateRedis  # noqa: E402
from tests.support.servers import start_full_app  # noqa: E402

ADMIN_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
EMAIL, PASSWORD = "bench@slotwise.example", "benchmark password"
WATCH = """() => { window.__seen = {}; const mark = () => document.querySelectorAll('li[data-appointment]')
  .forEach(li => { window.__seen[li.dataset.appointment] ??= Date.now(); });
  new MutationObserver(mark).observe(document.body, {subtree: true, childList: true}); mark(); }"""


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def redis_round_trip(url: str, count: int) -> list[float]:
    import redis

    client = redis.Redis.from_url(url)
    pubsub = client.pubsub()
    pubsub.subscribe("bench")
    pubsub.get_message(timeout=1)
    times = []
    for _ in range(count):
        started = time.perf_counter()
        client.publish("bench", "x")
        while pubsub.get_message(ignore_subscribe_messages=True, timeout=1) is None:
            pass
        times.append((time.perf_counter() - started) * 1000)
    return times


def setup_calendar():
    from booking_app.db import session_scope
    from booking_app.principal import SYSTEM
    from booking_app.services.access.users import create_user
    from booking_app.services.calendars import catalog as calendars

    with session_scope() as session:
        calendar = calendars.create_calendar(session, actor=SYSTEM, data={
            "slug": "bench", "name": "Bench", "timezone": "UTC", "min_notice_minutes": 0,
            "weekly_hours": {d: [["00:00", "23:59"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
            "slot_interval_minutes": 5})
        calendars.create_type(session, calendar_id=calendar.id, actor=SYSTEM,
                              data={"slug": "quick", "name": "Quick", "duration_minutes": 5})
        create_user(session, email=EMAIL, name="Bench", password=PASSWORD, role="admin")
        return calendar.id


def book_one(calendar_id, start: datetime) -> str:
    from booking_app.db import session_scope
    from booking_app.principal import ANONYMOUS
    from booking_app.services.appointments.booking import BookingRequest, book

    with session_scope() as session:
        result = book(session, actor=ANONYMOUS, now=datetime.now(timezone.utc), request=BookingRequest(
            calendar_id=calendar_id, appointment_type="quick", start_time=start, end_time=start + timedelta(minutes=5),
            customer_email=f"{uuid.uuid4().hex[:8]}@example.com", customer_name="Bench", timezone="UTC"))
        return str(result.appointment.id)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--events", type=int, default=50)
    args = parser.parse_args()
    from playwright.sync_api import sync_playwright

    name, url = create_pg_database(ADMIN_DSN)
    redis_server = PrivateRedis(free_port())
    try:
        configure(database_url=url, redis_url=redis_server.url)
        from booking_app.migrate import upgrade

        upgrade()
        calendar_id = setup_calendar()
        port = free_port()
        log = Path(tempfile.mkdtemp()) / "app.log"
        env = {"DATABASE_URL": url, "REDIS_URL": redis_server.url}
        with start_full_app(env, port, log) as app, sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
            consoles = [browser.new_page() for _ in range(2)]
            for page in consoles:
                page.goto(f"{app.base_url}/login?next=/console")
                page.get_by_label("Email").fill(EMAIL)
                page.get_by_label("Password").fill(PASSWORD)
                page.get_by_role("button", name="Sign in").click()
                page.get_by_text("Live", exact=True).wait_for()
            watcher = consoles[1]
            watcher.evaluate(WATCH)
            base = datetime.now(timezone.utc).replace(second=0, microsecond=0) + timedelta(minutes=10)
            base -= timedelta(minutes=base.minute % 5)  # on the calendar's 5-minute grid
            if base.date() != (base + timedelta(minutes=5 * args.events)).date():
                base = base.replace(hour=0, minute=0) + timedelta(days=1)  # keep every event on the shown day
                for page in consoles:
                    page.get_by_label("Day").fill(base.date().isoformat())
                watcher.evaluate(WATCH)
            latencies = []
            for i in range(args.events):
                appointment_id = book_one(calendar_id, base + timedelta(minutes=5 * i))
                committed = time.time() * 1000
                watcher.wait_for_function(f"() => window.__seen['{appointment_id}']", timeout=10_000)
                latencies.append(watcher.evaluate(f"window.__seen['{appointment_id}']") - committed)
                time.sleep(0.1)
            browser.close()
        baseline = redis_round_trip(redis_server.url, args.events)
        publish("console_latency", {
            "events": args.events,
            "commit_to_second_console_ms": {"p50": round(statistics.median(latencies), 1),
                                             "p95": round(percentile(latencies, 0.95), 1),
                                             "max": round(max(latencies), 1)},
            "redis_publish_subscribe_ms": {"p50": round(statistics.median(baseline), 2)},
            "target_p95_ms": 1000,
        })
    finally:
        redis_server.stop()
        drop_pg_database(ADMIN_DSN, name)


if __name__ == "__main__":
    main()
