"""Scale benchmark (prints one JSON document; not a test).

Creates its own PostgreSQL database, migrates it, bulk-loads --appointments (default 1,000,000)
with COPY, then times the app's own service calls, each in a fresh session as an API handler runs
them (no HTTP, no JSON encoding):
- analytics for one calendar over a year (target p50 <= 150 ms), plus all calendars for reference;
- a filtered list page (limit 50) for several filter combinations and cursor depths (<= 20 ms);
- 7 days of slots on a calendar holding 10,000 appointments (<= 20 ms).
`SELECT 1` through the same session path is the baseline, so figures are also given as ratios.
Every statement a measured call runs is EXPLAIN ANALYZEd once. The database is dropped at the end.
    python bench/scale_bench.py [--appointments 1000000] [--runs 40] [--out bench/results/scale.json]
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import psycopg  # noqa: E402
import sqlalchemy as sa  # noqa: E402
from sqlalchemy import event  # noqa: E402

from tests.conftest import SECRET_KEY  # noqa: E402 - the run's random key (DATABASE_URL mode requires one)

ADMIN_DSN = os.environ.get("BENCH_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def point_app_at(url: str) -> None:
    from booking_app.db import dispose_engines
    from booking_app.settings import get_settings

    os.environ.update(DATABASE_URL=url, REDIS_URL="", RATE_LIMIT_ENABLED="false", SECRET_KEY=SECRET_KEY)
    get_settings.cache_clear()
    dispose_engines()


class Recorder:
    """Captures the SQL a call runs, to EXPLAIN ANALYZE it afterwards."""

    def __init__(self, engine) -> None:
        self.statements: list[tuple[str, object]] = []
        self.on = False
        event.listen(engine, "before_cursor_execute", self._record)

    def _record(self, conn, cursor, statement, parameters, context, executemany) -> None:
        if self.on and statement.lstrip().upper().startswith("SELECT") and "appointments" in statement:
            self.statements.append((statement, parameters))


def timed(call, runs: int) -> dict:
    from booking_app.db import session_scope

    for _ in range(3):  # warm the pool, the caches and the plan
        with session_scope() as session:
            call(session)
    samples = []
    for _ in range(runs):
        began = time.perf_counter()
        with session_scope() as session:
            call(session)
        samples.append((time.perf_counter() - began) * 1000)
    return {"p50_ms": round(statistics.median(samples), 3), "p95_ms": round(percentile(samples, 0.95), 3),
            "min_ms": round(min(samples), 3), "runs": runs}


def explain(recorder: Recorder, call) -> list[dict]:
    """EXPLAIN ANALYZE what `call` ran, in its own transaction (so SET LOCAL settings still hold)."""
    from booking_app.db import session_scope

    plans = []
    with session_scope() as session:
        recorder.statements, recorder.on = [], True
        try:
            call(session)
        finally:
            recorder.on = False
        raw = session.connection().connection.driver_connection
        for statement, parameters in recorder.statements:
            rows = raw.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters).fetchall()
            plans.append({"sql": " ".join(statement.split()), "plan": "\n".join(r[0] for r in rows)})
        session.rollback()
    return plans


def measure(name: str, call, *, recorder, runs: int, target_ms: float | None, baseline_ms: float,
            **info) -> dict:
    figures = timed(call, runs)
    result = {"name": name, **info, **figures, "target_ms": target_ms,
              "ratio_to_select_1": round(figures["p50_ms"] / baseline_ms, 1)}
    if target_ms is not None:
        result["meets_target"] = figures["p50_ms"] <= target_ms
    result["plans"] = explain(recorder, call)
    # The database's own share, from the plans: the rest of p50 is Python, the driver and round trips.
    result["explain_execution_ms"] = round(sum(
        float(p["plan"].rsplit("Execution Time: ", 1)[1].split()[0]) for p in result["plans"]), 3)
    return result


def list_cases(calendar, email: str, today) -> list[tuple[str, dict]]:
    from booking_app.services.appointments.queries import ListFilters, date_bound

    month_start = date_bound((today - timedelta(days=90)).isoformat(), field="start_date", end=False)
    month_end = date_bound((today - timedelta(days=60)).isoformat(), field="end_date", end=True)
    return [
        ("no filter", ListFilters()),
        ("calendar", ListFilters(calendar_id=calendar.id)),
        ("calendar + status=completed", ListFilters(calendar_id=calendar.id, statuses=("completed",))),
        ("calendar + status=pending,confirmed", ListFilters(calendar_id=calendar.id,
                                                            statuses=("pending", "confirmed"))),
        ("status=no_show", ListFilters(statuses=("no_show",))),
        ("status=pending,confirmed", ListFilters(statuses=("pending", "confirmed"))),
        ("customer_email", ListFilters(customer_email=email)),
        ("calendar + type + one month", ListFilters(calendar_id=calendar.id, appointment_type="treatment",
                                                    start_from=month_start, start_before=month_end)),
        ("type + one month", ListFilters(appointment_type="followup", start_from=month_start,
                                         start_before=month_end)),
    ]


def cursors_at(filters, depths: tuple[int, ...]) -> dict[int, str | None]:
    """The cursor that opens page `depth` (1 = first page), found by paging like a client."""
    from booking_app.db import session_scope
    from booking_app.services.appointments.queries import list_appointments

    found, cursor = {1: None}, None
    for page in range(2, max(depths) + 1):
        with session_scope() as session:
            _, cursor = list_appointments(session, filters=filters, limit=50, cursor=cursor)
        if cursor is None:
            break
        if page in depths:
            found[page] = cursor
    return found


def run(args) -> dict:
    from booking_app.bulk_seed import bulk_seed
    from booking_app.db import get_engine, session_scope, utcnow
    from booking_app.migrate import upgrade
    from booking_app.models import Appointment, AppointmentType, Calendar
    from booking_app.readmodels.appointments import appointment_dicts
    from booking_app.services.appointments.queries import list_appointments
    from booking_app.services.calendars.slots import free_slots
    from booking_app.services.reports.analytics import AnalyticsQuery, appointment_analytics

    name = f"slotwise_bench_{os.getpid()}"
    with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    host = ADMIN_DSN.split("://", 1)[1].rsplit("/", 1)[0]
    url = f"postgresql+psycopg://{host}/{name}"
    try:
        point_app_at(url)
        upgrade(url)
        began = time.perf_counter()
        stats = bulk_seed(args.appointments, show_progress=not args.quiet)
        seed_seconds = time.perf_counter() - began
        engine = get_engine()
        recorder = Recorder(engine)
        with session_scope() as session:
            version = session.execute(sa.text("SHOW server_version")).scalar()
            calendar_id, _ = session.execute(
                sa.select(Appointment.calendar_id, sa.func.count()).group_by(Appointment.calendar_id)
                .order_by(sa.func.count().desc()).limit(1)).one()
            calendar = session.get(Calendar, calendar_id)
            size = session.execute(sa.select(sa.func.count()).where(Appointment.calendar_id == calendar_id)).scalar()
            treatment = session.execute(sa.select(AppointmentType).where(
                AppointmentType.calendar_id == calendar_id, AppointmentType.slug == "treatment")).scalar_one()
            email = session.execute(sa.select(Appointment.customer_email).where(
                Appointment.calendar_id == calendar_id).limit(1)).scalar()
        today = datetime.now(ZoneInfo(calendar.timezone)).date()
        year = AnalyticsQuery(calendar_id=calendar_id, start_date=today - timedelta(days=364), end_date=today)

        load_before = os.getloadavg()[0]
        baseline = timed(lambda s: s.execute(sa.text("SELECT 1")).scalar(), args.runs * 2)
        base = baseline["p50_ms"]
        common = dict(recorder=recorder, runs=args.runs, baseline_ms=base)
        results = []
        for group in ("day", "week", "month"):
            query = AnalyticsQuery(calendar_id=calendar_id, start_date=year.start_date, end_date=year.end_date,
                                   group_by=group)
            results.append(measure(f"analytics: one calendar, one year, by {group}",
                                   lambda s, q=query: appointment_analytics(s, q), target_ms=150,
                                   calendar_appointments=size, **common))
        everyone = AnalyticsQuery(start_date=year.start_date, end_date=year.end_date, group_by="month")
        results.append(measure("analytics: all calendars, one year, by month (reference)",
                               lambda s: appointment_analytics(s, everyone), target_ms=None,
                               **{**common, "runs": 5}))
        for label, filters in list_cases(calendar, email, today):
            for depth, cursor in cursors_at(filters, (1, 10, 100)).items():
                def page(s, f=filters, c=cursor):
                    return list_appointments(s, filters=f, limit=50, cursor=c)

                def page_json(s, f=filters, c=cursor):
                    return appointment_dicts(s, list_appointments(s, filters=f, limit=50, cursor=c)[0])

                results.append(measure(f"list: {label}, page {depth}", page, target_ms=20, **common))
                if depth == 1:
                    results.append(measure(f"list + item JSON: {label}, page {depth} (reference)", page_json,
                                           target_ms=None, **common))
        now = utcnow()
        week_start = datetime.combine(now.date() + timedelta(days=1), datetime.min.time(), tzinfo=now.tzinfo)

        def slots(s):
            return free_slots(s, calendar=calendar, appointment_type=treatment, start=week_start,
                              end=week_start + timedelta(days=7), now=now)

        with session_scope() as session:
            slot_count = len(slots(session))
        results.append(measure("slots: 7 days, one type", slots, target_ms=20, calendar_appointments=size,
                               slots_returned=slot_count, **common))
        return {
            "benchmark": "scale", "postgres": version, "cpus": os.cpu_count(),
            "load_average_before_after": [round(load_before, 2), round(os.getloadavg()[0], 2)],
            "appointments": stats["appointments"],
            "payments": stats["payments"], "calendars": stats["calendars"],
            "seed": {"seconds": round(seed_seconds, 1),
                     "appointments_per_second": round(stats["appointments"] / seed_seconds)},
            "baseline_select_1": baseline,
            "summary": {r["name"]: {k: r[k] for k in ("p50_ms", "target_ms", "ratio_to_select_1",
                                                      "explain_execution_ms")} for r in results},
            "all_targets_met": all(r.get("meets_target", True) for r in results),
            "queries": results,
        }
    finally:
        from booking_app.db import dispose_engines

        dispose_engines()
        with psycopg.connect(ADMIN_DSN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--appointments", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=40, help="timed runs per query (after 3 warm-ups)")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args()
    result = json.dumps(run(args), indent=2)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(result + "\n")
    print(result)


if __name__ == "__main__":
    main()
