"""Booking load benchmark against the production server (prints JSON; not a test).

Everything runs on 127.0.0.1 and is bounded in time: its own PostgreSQL database, its own
redis-server (no RQ workers: queued messages just wait), and the real server
(`reflex run --env prod --backend-only --backend-host 127.0.0.1`, RATE_LIMIT_ENABLED=false).
For each concurrency level (8, 32, 128 clients, asyncio + httpx):

- distinct: every client books distinct free slots for --seconds, in two layouts: all clients on
  ONE calendar (they queue on its advisory lock) and SPREAD over --calendars calendars;
  bookings/s, p50/p99 latency and the ratio to the raw insert rate;
- fight: --fight-rounds rounds in which all clients post at once for the same --fight-slots slots;
  exactly one 201 per slot, 409 for the rest;
- raw: the rate of plain INSERTs into appointments (exclusion constraint in force) from psycopg,
  no HTTP, no ORM, one row per transaction, cloned from a real booked row, with as many
  connections as the clients (capped by --raw-connections, PostgreSQL has max_connections).

Afterwards: the number of overlapping active appointments (must be 0), and one py-spy profile of
the server processes under the distinct-slot load (--profile-seconds, 0 to skip).

    python bench/booking_load.py [--levels 8,32,128] [--seconds 8] [--web-workers N]
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import itertools
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
import psycopg  # noqa: E402
import psycopg.types.json  # noqa: E402

from tests.conftest import configure, create_pg_database, drop_pg_database, free_port  # noqa: E402
from tests.reliability import OVERLAPS_SQL  # noqa: E402
from tests.support.redis_server import PrivateRedis  # noqa: E402
from tests.support.servers import RunningServer  # noqa: E402

ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SLOT = timedelta(minutes=15)
RESULTS = ROOT / "bench" / "results" / "booking_load.json"



def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def start_server(env: dict[str, str], port: int, log_path: Path) -> RunningServer:
    """tests.support.servers.start_backend, bound to 127.0.0.1 only."""
    args = ["reflex", "run", "--env", "prod", "--backend-only", "--backend-host", "127.0.0.1",
            "--backend-port", str(port)]
    return RunningServer(args, env, port, log_path, ["/api/v1/health"])


class Calendar:
    """A calendar open around the clock, 15-minute slots; hands out never-used slots in order."""

    def __init__(self, admin: httpx.Client, label: str) -> None:
        created = admin.post("/api/v1/calendars", json={
            "name": label, "business_name": f"Bench {label}", "slug": f"bench-{label}-{uuid.uuid4().hex[:6]}",
            "timezone": "UTC", "weekly_hours": ALL_DAY, "slot_interval_minutes": 15, "min_notice_minutes": 0,
            "max_advance_days": 365, "owner_email": "owner@bench.example",
            "reminders": {"email": [60], "sms": [], "push": []}})
        assert created.status_code == 201, created.text
        self.id = created.json()["id"]
        typed = admin.post(f"/api/v1/calendars/{self.id}/appointment-types",
                           json={"slug": "visit", "name": "Visit", "duration_minutes": 15})
        assert typed.status_code == 201, typed.text
        self.first = datetime.now(timezone.utc).replace(minute=0, second=0, microsecond=0) + timedelta(days=1)
        self._next = itertools.count()

    def next_slot(self) -> datetime:
        return self.first + next(self._next) * SLOT

    def body(self, start: datetime, email: str) -> dict:
        zulu = lambda t: t.isoformat().replace("+00:00", "Z")  # noqa: E731
        return {"calendar_id": self.id, "appointment_type": "visit", "start_time": zulu(start),
                "end_time": zulu(start + SLOT), "customer_email": email, "customer_name": "Bench Customer",
                "timezone": "Europe/Berlin"}


async def _post(client: httpx.AsyncClient, body: dict) -> tuple[int, float]:
    started = time.perf_counter()
    try:
        response = await client.post("/api/v1/appointments", json=body)
        status = response.status_code
    except httpx.HTTPError:
        status = 0
    return status, time.perf_counter() - started


def group_cpu_seconds(pgid: int) -> float:
    """CPU (user + system) used so far by the live processes of a process group (the server)."""
    total = 0
    for pid in subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split():
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def distinct_load(base_url: str, calendars: list[Calendar], clients: int, seconds: float,
                  server_pgid: int | None = None) -> dict:
    """`clients` tasks book never-used slots (client i on calendar i mod len) until the deadline."""
    serial = itertools.count()

    async def run() -> tuple[list[float], collections.Counter, float]:
        latencies: list[float] = []
        statuses: collections.Counter = collections.Counter()
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
            deadline = time.perf_counter() + seconds

            async def one(i: int) -> None:
                calendar = calendars[i % len(calendars)]
                while time.perf_counter() < deadline:
                    status, took = await _post(client, calendar.body(calendar.next_slot(),
                                                                     f"load{next(serial)}@bench.example"))
                    statuses[status] += 1
                    if status == 201:
                        latencies.append(took)

            started = time.perf_counter()
            await asyncio.gather(*(one(i) for i in range(clients)))
            return latencies, statuses, time.perf_counter() - started

    cpu_before = group_cpu_seconds(server_pgid) if server_pgid else 0.0
    client_cpu_before = time.process_time()
    latencies, statuses, elapsed = asyncio.run(run())
    client_cpu = time.process_time() - client_cpu_before
    ok = statuses.get(201, 0)
    result = {"bookings": ok, "seconds": round(elapsed, 2), "bookings_per_s": round(ok / elapsed, 1),
              "p50_ms": round(statistics.median(latencies) * 1000, 1) if latencies else None,
              "p99_ms": round(percentile(latencies, 0.99) * 1000, 1) if latencies else None,
              "statuses": {str(k): v for k, v in sorted(statuses.items())}}
    if server_pgid and ok:  # independent of what else the machine runs: the server's own CPU per booking
        result["server_cpu_ms_per_booking"] = round(1000 * (group_cpu_seconds(server_pgid) - cpu_before) / ok, 1)
    if ok:  # the load generator shares the 2 cores: what it burns is not available to the server
        result["client_cpu_ms_per_booking"] = round(1000 * client_cpu / ok, 1)
    return result


def fight(base_url: str, calendar: Calendar, clients: int, rounds: int, slots: int) -> dict:
    """Each round all clients post at the same moment; client i wants slot i mod `slots`."""
    serial = itertools.count()

    async def run() -> tuple[collections.Counter, list[float], list[int]]:
        statuses: collections.Counter = collections.Counter()
        latencies: list[float] = []
        winners_per_round = []
        limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
        async with httpx.AsyncClient(base_url=base_url, timeout=120, limits=limits) as client:
            for _ in range(rounds):
                wanted = [calendar.next_slot() for _ in range(slots)]
                gate = asyncio.Event()

                async def one(i: int) -> tuple[int, float]:
                    body = calendar.body(wanted[i % slots], f"fight{next(serial)}@bench.example")
                    await gate.wait()
                    return await _post(client, body)

                tasks = [asyncio.create_task(one(i)) for i in range(clients)]
                await asyncio.sleep(0.05)
                gate.set()
                results = await asyncio.gather(*tasks)
                for status, took in results:
                    statuses[status] += 1
                    latencies.append(took)
                winners_per_round.append(sum(1 for s, _ in results if s == 201))
        return statuses, latencies, winners_per_round

    statuses, latencies, winners = asyncio.run(run())
    return {"rounds": rounds, "slots_per_round": slots, "requests": sum(statuses.values()),
            "created_201": statuses.get(201, 0), "conflicts_409": statuses.get(409, 0),
            "other_statuses": {str(k): v for k, v in statuses.items() if k not in (201, 409)},
            "exactly_one_winner_per_slot": all(w == slots for w in winners),
            "p50_ms": round(statistics.median(latencies) * 1000, 1),
            "p99_ms": round(percentile(latencies, 0.99) * 1000, 1)}


def raw_inserts(dsn: str, template_id: str, connections: int, seconds: float, day_offset: int) -> dict:
    """Plain INSERTs of cloned rows (new id, slot, lineage, times) into distinct ranges of the same calendar."""
    with psycopg.connect(dsn) as conn:
        columns = [r[0] for r in conn.execute(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'appointments' "
            "ORDER BY ordinal_position")]
        row = dict(zip(columns, conn.execute(f"SELECT {', '.join(columns)} FROM appointments WHERE id = %s",
                                             (template_id,)).fetchone()))
    fresh = ("id", "slot_id", "lineage_id", "start_time", "end_time", "busy_start", "busy_end")
    fixed = [c for c in columns if c not in fresh]
    sql = (f"INSERT INTO appointments ({', '.join(fresh + tuple(fixed))}) "
           f"VALUES ({', '.join(['%s'] * (len(fresh) + len(fixed)))})")
    fixed_values = [psycopg.types.json.Jsonb(row[c]) if isinstance(row[c], (dict, list)) else row[c] for c in fixed]
    first = row["start_time"].replace(hour=0, minute=0) + timedelta(days=day_offset)
    serial = itertools.count()
    counts = [0] * connections
    errors = collections.Counter()
    barrier = threading.Barrier(connections + 1)
    deadline = [0.0]

    def worker(index: int) -> None:
        with psycopg.connect(dsn, autocommit=True) as conn:
            barrier.wait()
            while time.perf_counter() < deadline[0]:
                start = first + next(serial) * SLOT
                values = [uuid.uuid4(), uuid.uuid4(), uuid.uuid4(), start, start + SLOT, start, start + SLOT]
                try:
                    conn.execute(sql, values + fixed_values, prepare=True)
                    counts[index] += 1
                except psycopg.Error as exc:
                    errors[type(exc).__name__] += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(connections)]
    for thread in threads:
        thread.start()
    deadline[0] = time.perf_counter() + seconds
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    return {"connections": connections, "inserts": sum(counts), "inserts_per_s": round(sum(counts) / elapsed, 1),
            "errors": dict(errors)}


def profile(base_url: str, server: RunningServer, calendars: list[Calendar], clients: int, seconds: float,
            out_dir: Path) -> dict:
    """py-spy on every server process while `clients` book distinct slots; a summary of where the CPU goes
    (--gil: only samples holding the GIL, so waits on PostgreSQL, Redis and sockets do not count)."""
    py_spy = shutil.which("py-spy") or str(ROOT / ".venv" / "bin" / "py-spy")
    raw = out_dir / "profile.txt"
    spy = subprocess.Popen([py_spy, "record", "--pid", str(server.process.pid), "--subprocesses", "--rate", "200",
                            "--format", "raw", "--gil", "--nonblocking", "--duration", str(int(seconds) + 1),
                            "--output", str(raw)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    time.sleep(1.0)
    load = distinct_load(base_url, calendars, clients, seconds, server.process.pid)
    _, err = spy.communicate(timeout=120)
    if not raw.exists():
        return {"error": f"py-spy produced nothing: {err.decode(errors='replace')[-500:]}"}
    return {"clients": clients, "load": load, **summarize_profile(raw.read_text())}


FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^()]*?)(?::\d+)?\)$")


def _frame(text: str) -> tuple[str, str]:
    match = FRAME.match(text.strip())
    if not match:
        return text.strip(), ""
    path = match["file"]
    for marker in ("site-packages/", "/lib/python3.11/", "/work/main/"):
        if marker in path:
            path = path.split(marker, 1)[1]
    return match["func"], path


def _bucket(path: str) -> str:
    if path.startswith(("booking_app/", "jobs/")):
        return "booking_app"
    if not path or path.startswith("<"):
        return "other"
    top = path.split("/", 1)[0].removesuffix(".py")
    return top


def summarize_profile(text: str) -> dict:
    """From py-spy's collapsed stacks: self time per package, inclusive time of booking_app functions and
    of the request phases that matter."""
    total = 0
    self_by_package: collections.Counter = collections.Counter()
    self_by_function: collections.Counter = collections.Counter()
    inclusive_app: collections.Counter = collections.Counter()
    phases: collections.Counter = collections.Counter()
    phase_markers = {
        "book() service": ("book", "booking_app/services/booking.py"),
        "appointment_detail (response body, inside the transaction)": ("appointment_detail",
                                                                       "booking_app/services/views.py"),
        "alternatives (nearest free slots)": ("alternatives", "booking_app/services/slots.py"),
        "session commit": ("commit", "sqlalchemy/orm/session.py"),
        "JSON response rendering": ("render", "starlette/responses.py"),
        "request body validation": ("request_body_to_args", "fastapi/dependencies/utils.py"),
    }
    for line in text.splitlines():
        stack, _, count = line.rpartition(" ")
        if not stack or not count.isdigit():
            continue
        n = int(count)
        total += n
        frames = [_frame(f) for f in stack.split(";")]
        frames = [f for f in frames if not f[0].startswith(("process ", "thread "))] or frames
        leaf_func, leaf_path = frames[-1]
        self_by_package[_bucket(leaf_path)] += n
        self_by_function[f"{leaf_func} ({leaf_path})"] += n
        seen = set()
        for func, path in frames:
            if _bucket(path) == "booking_app":
                key = f"{func} ({path})"
                if key not in seen:
                    inclusive_app[key] += n
                    seen.add(key)
        for phase, (func, path) in phase_markers.items():
            if any(f == func and p.endswith(path) for f, p in frames):
                phases[phase] += n

    def share(counter: collections.Counter, k: int) -> list[list]:
        return [[name, round(100 * n / total, 1)] for name, n in counter.most_common(k)]

    return {"samples": total, "self_percent_by_package": share(self_by_package, 12),
            "self_percent_top_functions": share(self_by_function, 15),
            "inclusive_percent_booking_app": share(inclusive_app, 20),
            "inclusive_percent_phases": {k: round(100 * v / total, 1) for k, v in phases.most_common()}}


def overlapping_active(dsn: str) -> int:
    """The self-join probes the exclusion constraint's GiST index per row once the planner has statistics
    (without them, after the bulk inserts, it may pick a join over all pairs of a calendar)."""
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute("ANALYZE appointments")
        return conn.execute(OVERLAPS_SQL).fetchone()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--levels", default="8,32,128")
    parser.add_argument("--seconds", type=float, default=8.0, help="per distinct-slot and raw phase")
    parser.add_argument("--calendars", type=int, default=16, help="calendars of the spread layout")
    parser.add_argument("--fight-rounds", type=int, default=3)
    parser.add_argument("--fight-slots", type=int, default=3)
    parser.add_argument("--raw-connections", type=int, default=40,
                        help="cap on raw psycopg connections (PostgreSQL's max_connections is shared)")
    parser.add_argument("--web-workers", type=int, default=0,
                        help="GRANIAN_WORKERS for the server; 0 = Reflex's default (2 x cores + 1 with Redis)")
    parser.add_argument("--profile-seconds", type=float, default=10.0)
    parser.add_argument("--profile-clients", type=int, default=32)
    parser.add_argument("--output", default=str(RESULTS))
    args = parser.parse_args()
    levels = [int(x) for x in args.levels.split(",")]
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # still clean up: server, Redis, database

    work = Path(tempfile.mkdtemp(prefix="slotwise-load-"))
    redis_server = PrivateRedis(free_port())
    name, url = create_pg_database(ADMIN_DSN)
    dsn = url.replace("postgresql+psycopg://", "postgresql://")
    server = None
    try:
        configure(database_url=url, redis_url=redis_server.url)
        from booking_app.db import session_scope
        from booking_app.migrate import upgrade
        from booking_app.services.access.api_keys import create_api_key

        upgrade()
        with session_scope() as session:
            admin_key = create_api_key(session, name="load bench", role="admin")[1]
        env = {"RATE_LIMIT_ENABLED": "false"}
        if args.web_workers:
            env["GRANIAN_WORKERS"] = str(args.web_workers)
        server = start_server(env, free_port(), work / "server.log")
        workers = len(subprocess.run(["pgrep", "-g", str(server.process.pid)], capture_output=True,
                                     text=True).stdout.split()) - 1
        with httpx.Client(base_url=server.base_url, timeout=60,
                          headers={"Authorization": f"Bearer {admin_key}"}) as admin:
            one = Calendar(admin, "one")
            spread = [Calendar(admin, f"spread{i}") for i in range(args.calendars)]
            fights = Calendar(admin, "fight")
        with psycopg.connect(dsn) as conn:
            pg = {"version": conn.execute("SHOW server_version").fetchone()[0],
                  "max_connections": int(conn.execute("SHOW max_connections").fetchone()[0]),
                  "synchronous_commit": conn.execute("SHOW synchronous_commit").fetchone()[0]}
        distinct_load(server.base_url, spread, 8, 2.0)  # warm-up: every worker has connections and caches

        result = {"machine": {"cpus": os.cpu_count(), "load_average_at_start": os.getloadavg(),
                              "server_processes": workers, "postgresql": pg},
                  "settings": {"seconds": args.seconds, "spread_calendars": args.calendars,
                               "fight_rounds": args.fight_rounds, "fight_slots": args.fight_slots,
                               "raw_connections_cap": args.raw_connections},
                  "target_ratio_to_raw": 0.2, "levels": {}}
        template = None
        for index, clients in enumerate(levels):
            pgid = server.process.pid
            level = {"one_calendar": distinct_load(server.base_url, [one], clients, args.seconds, pgid),
                     "spread_calendars": distinct_load(server.base_url, spread, clients, args.seconds, pgid),
                     "fight": fight(server.base_url, fights, clients, args.fight_rounds, args.fight_slots)}
            if template is None:
                with psycopg.connect(dsn) as conn:
                    template = str(conn.execute("SELECT id FROM appointments WHERE calendar_id = %s LIMIT 1",
                                                (one.id,)).fetchone()[0])
            level["raw_insert"] = raw_inserts(dsn, template, min(clients, args.raw_connections), args.seconds,
                                              day_offset=1000 + 5000 * index)
            raw_rate = level["raw_insert"]["inserts_per_s"]
            for layout in ("one_calendar", "spread_calendars"):
                level[layout]["ratio_to_raw"] = round(level[layout]["bookings_per_s"] / raw_rate, 3)
            result["levels"][str(clients)] = level
            print(json.dumps({clients: level}), file=sys.stderr, flush=True)
        if args.profile_seconds > 0:
            result["profile"] = profile(server.base_url, server, spread, args.profile_clients,
                                        args.profile_seconds, work)
        result["machine"]["load_average_at_end"] = os.getloadavg()
        checked = time.perf_counter()
        result["overlapping_active_appointments"] = overlapping_active(dsn)
        result["overlap_check_seconds"] = round(time.perf_counter() - checked, 2)
        with psycopg.connect(dsn) as conn:
            result["appointments_in_db"] = conn.execute("SELECT count(*) FROM appointments").fetchone()[0]
        server.stop()
        server = None
        Path(args.output).parent.mkdir(parents=True, exist_ok=True)
        Path(args.output).write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
    finally:
        if server is not None:
            server.stop()
        redis_server.stop()
        drop_pg_database(ADMIN_DSN, name)


if __name__ == "__main__":
    main()
