"""Appointment analytics (SPEC-CAL-002 §7), aggregated by the database: two GROUP BY queries
whatever the number of appointments (counts and lead times per period and type; revenue per type). Python
only adds up those groups and shapes the result.

Definitions (the OpenAPI description of the endpoint repeats them):
- Range and periods: an appointment falls on the local date of its start_time in its calendar's
  timezone. start_date/end_date are inclusive local dates; weeks start on Monday (ISO).
- Counted appointments: one per booking. A row replaced by a reschedule (rescheduled_to_id set)
  gives way to its replacement and is only reported as `rescheduled`; a staff-proposed time that
  was never accepted (hold_kind 'proposal') is an offer, not a booking, and is left out.
- total_appointments = counted appointments = the sum of the six status counts.
- cancellation_rate = (cancelled + late_cancel) / total_appointments (0 when there are none).
- no_show_rate = no_show / (completed + no_show) (0 when nothing was attended or missed).
- average_lead_time_hours = mean of start_time - created_at over counted appointments (a
  rescheduled booking is measured from the reschedule); null when there are none.
- lead_time_distribution = counted appointments by start_time - created_at: under 1 day,
  1–3 days, 3–7 days, 1–2 weeks, 2 weeks or more (each bucket's upper bound is exclusive).
- by_type revenue = processed payments of the booking's whole reschedule lineage (charges tend to
  sit on the first row, refunds on the last): charges + fees - refunds. Fees still owed are not
  revenue. Several currencies are never added up: see revenue_by_currency.
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from functools import lru_cache
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from sqlmodel import Session

from booking_app.db import is_postgres
from booking_app.domain.money import cents
from booking_app.domain.status import STATUSES, Status
from booking_app.errors import ValidationFailed
from booking_app.models import Appointment, AppointmentType, Calendar, Payment, table
from booking_app.services.calendars.catalog import get_calendar

GROUPS = ("day", "week", "month")
MAX_PERIODS = 3700  # ten years of days
EARLIEST, LATEST = date(1900, 1, 1), date(2999, 12, 31)

A = table(Appointment)
P = table(Payment)
C = table(Calendar)
T = table(AppointmentType)

COUNTED = sa.and_(A.c.rescheduled_to_id.is_(None), sa.func.coalesce(A.c.hold_kind, "") != "proposal")


@dataclass(frozen=True)
class AnalyticsQuery:
    calendar_id: uuid.UUID | None = None
    start_date: date | None = None
    end_date: date | None = None
    group_by: str = "day"


def _parse_date(value: str | None, field: str) -> date | None:
    if not value:
        return None
    try:
        day = date.fromisoformat(value) if len(value) == 10 else None
    except ValueError:
        day = None
    if day is None or not EARLIEST <= day <= LATEST:
        raise ValidationFailed(f"{field} must be a date like 2026-02-15 (between 1900 and 2999).",
                               details=[{"field": field}])
    return day


def parse_query(*, calendar_id: uuid.UUID | None, start_date: str | None, end_date: str | None,
                group_by: str | None) -> AnalyticsQuery:
    group = group_by or "day"
    if group not in GROUPS:
        raise ValidationFailed("group_by must be day, week or month.", details=[{"field": "group_by"}])
    start, end = _parse_date(start_date, "start_date"), _parse_date(end_date, "end_date")
    if start and end and start > end:
        raise ValidationFailed("start_date must not be after end_date.", details=[{"field": "start_date"}])
    return AnalyticsQuery(calendar_id=calendar_id, start_date=start, end_date=end, group_by=group)


# -- periods -----------------------------------------------------------------------------------

def period_start(day: date, unit: str) -> date:
    if unit == "week":
        return day - timedelta(days=day.weekday())
    if unit == "month":
        return day.replace(day=1)
    return day


def next_period(day: date, unit: str) -> date:
    if unit == "month":
        return date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return day + timedelta(days=7 if unit == "week" else 1)


@lru_cache(maxsize=256)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_period(value: str | None, tz: str, unit: str) -> str | None:
    """SQLite stand-in for date_trunc(unit, ts AT TIME ZONE tz): the local period's first day."""
    if value is None:
        return None
    moment = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return period_start(moment.astimezone(_zone(tz)).date(), unit).isoformat()


def utc_start(day: str, tz: str) -> str:
    """SQLite stand-in for (day::timestamp AT TIME ZONE tz), in SQLite's stored UTC format."""
    moment = datetime.combine(date.fromisoformat(day), time(0), tzinfo=_zone(tz)).astimezone(UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.%f")


def _register_sqlite_functions(session: Session) -> None:
    # On the raw connection of this session's transaction, so SQLite itself filters and groups.
    raw = session.connection().connection
    if not raw.info.get("analytics_functions"):
        sqlite = raw.dbapi_connection
        assert sqlite is not None  # None only once the connection has been detached from its pool
        sqlite.create_function("local_period", 3, local_period, deterministic=True)
        sqlite.create_function("utc_start", 2, utc_start, deterministic=True)
        raw.info["analytics_functions"] = True


def _local(session: Session, tz, unit: str):
    """The local period of start_time as an SQL expression (a date on PostgreSQL, text on SQLite)."""
    if is_postgres(session):
        local = sa.func.timezone(tz, A.c.start_time)
        return sa.cast(sa.func.date_trunc(sa.literal_column(f"'{unit}'"), local), sa.Date)
    return sa.func.local_period(A.c.start_time, tz, unit)


def _local_midnight(session: Session, day: date, tz):
    """When `day` starts in zone `tz`, as a UTC timestamp expression."""
    if is_postgres(session):
        return sa.func.timezone(tz, sa.cast(sa.literal(day), sa.DateTime))
    return sa.func.utc_start(day.isoformat(), tz)


def _lead_seconds(session: Session):
    if is_postgres(session):
        return sa.func.extract("epoch", A.c.start_time - A.c.created_at)
    # julianday() carries ~0.1 ms of float error: round to the millisecond so 24 h is exactly 24 h.
    return sa.func.round((sa.func.julianday(A.c.start_time) - sa.func.julianday(A.c.created_at)) * 86400.0, 3)


# -- the queries -------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Scope:
    source: sa.FromClause
    where: tuple
    tz: object  # SQL expression of the timezone used for periods


def _scope(session: Session, q: AnalyticsQuery, calendar: Calendar | None) -> _Scope:
    if calendar is not None:
        # One zone: exact UTC bounds, so the (calendar_id, start_time) index does all the filtering.
        zone = _zone(calendar.timezone)
        where = [A.c.calendar_id == calendar.id]
        if q.start_date:
            where.append(A.c.start_time >= datetime.combine(q.start_date, time(0), tzinfo=zone))
        if q.end_date:
            where.append(A.c.start_time < datetime.combine(q.end_date + timedelta(days=1), time(0), tzinfo=zone))
        return _Scope(A, tuple(where), sa.cast(sa.literal(calendar.timezone), sa.Text))
    # All calendars: each row by its own calendar's zone. The bounds are computed once per calendar
    # (not per appointment), so they still drive the (calendar_id, start_time) index.
    where, tz = [], C.c.timezone
    if q.start_date:
        where.append(A.c.start_time >= _local_midnight(session, q.start_date, tz))
    if q.end_date:
        where.append(A.c.start_time < _local_midnight(session, q.end_date + timedelta(days=1), tz))
    return _Scope(A.join(C, C.c.id == A.c.calendar_id), tuple(where), tz)


LEAD_BUCKETS = ((24, "under 1 day"), (72, "1–3 days"), (168, "3–7 days"), (336, "1–2 weeks"),
                (None, "2 weeks or more"))  # upper bounds in hours, exclusive
LEAD_FIELDS = tuple(f"lead_{i}" for i in range(len(LEAD_BUCKETS)))


def _lead_buckets(lead, counted) -> list:
    """count(*) FILTER per lead-time bucket, so the distribution costs no extra scan."""
    filters, lower = [], None
    for (upper, _), name in zip(LEAD_BUCKETS, LEAD_FIELDS, strict=True):
        bounds = [lead >= lower * 3600] if lower else []
        bounds += [lead < upper * 3600] if upper else []
        filters.append(sa.func.count().filter(sa.and_(counted, *bounds)).label(name))
        lower = upper
    return filters


def _counts(session: Session, scope: _Scope, unit: str) -> list[dict]:
    """One scan for every count: a group per (period, type) with the status counts, the replaced
    rows, the summed lead time and the lead-time buckets. Totals, series and per-type counts are
    sums of these groups."""
    inner = (sa.select(_local(session, scope.tz, unit).label("period"), A.c.appointment_type.label("slug"),
                       A.c.status, A.c.rescheduled_to_id, A.c.hold_kind, _lead_seconds(session).label("lead"))
             .select_from(scope.source).where(*scope.where).subquery())
    # Grouped in an outer query so PostgreSQL sees one period expression (bound parameters differ).
    counted = sa.and_(inner.c.rescheduled_to_id.is_(None), sa.func.coalesce(inner.c.hold_kind, "") != "proposal")
    count = sa.func.count()
    rows = session.execute(
        sa.select(inner.c.period, inner.c.slug, count.filter(counted).label("count"),
                  *[count.filter(sa.and_(counted, inner.c.status == s)).label(s) for s in STATUSES],
                  count.filter(inner.c.rescheduled_to_id.is_not(None)).label("rescheduled"),
                  sa.func.sum(inner.c.lead).filter(counted).label("lead_seconds"),
                  *_lead_buckets(inner.c.lead, counted))
        .group_by(inner.c.period, inner.c.slug))
    return [row._asdict() for row in rows]


def _revenue(session: Session, scope: _Scope) -> dict[str, dict[str, Decimal]]:
    # A lineage's money sits on its first row (the charge) and its last (refund, fee). Two cheap
    # joins instead of one lineage join: payments on the counted row itself, and payments on the
    # rows it replaced (only rescheduled bookings have those).
    signed = sa.case((P.c.kind == "refund", -P.c.amount), else_=P.c.amount)
    settled = sa.and_(P.c.status == "processed", P.c.kind.in_(("charge", "fee", "refund")))
    own = (sa.select(A.c.appointment_type.label("slug"), P.c.currency, signed.label("amount"))
           .select_from(scope.source.join(P, P.c.appointment_id == A.c.id))
           .where(*scope.where, COUNTED, settled))
    earlier = A.alias("earlier")
    replaced = (sa.select(A.c.appointment_type.label("slug"), P.c.currency, signed.label("amount"))
                .select_from(scope.source
                             .join(earlier, sa.and_(earlier.c.lineage_id == A.c.lineage_id, earlier.c.id != A.c.id))
                             .join(P, P.c.appointment_id == earlier.c.id))
                .where(*scope.where, COUNTED, A.c.rescheduled_from_id.is_not(None), settled))
    money = sa.union_all(own, replaced).subquery()
    rows = session.execute(sa.select(money.c.slug, money.c.currency, sa.func.sum(money.c.amount))
                           .group_by(money.c.slug, money.c.currency))
    revenue: dict[str, dict[str, Decimal]] = {}
    for slug, currency, amount in rows:
        revenue.setdefault(slug, {})[currency] = Decimal(str(amount or 0))
    return revenue


def _type_currencies(session: Session, calendar: Calendar | None, slugs: list[str]) -> dict[str, set[str]]:
    query = sa.select(T.c.slug, T.c.currency).where(T.c.slug.in_(slugs))
    if calendar is not None:
        query = query.where(T.c.calendar_id == calendar.id)
    found: dict[str, set[str]] = {}
    for slug, currency in session.execute(query):
        found.setdefault(slug, set()).add(currency)
    return found


# -- shaping -----------------------------------------------------------------------------------

def _rate(part: int, whole: int) -> float:
    return round(part / whole, 4) if whole else 0.0


def _sum(groups: list[dict], fields: tuple[str, ...], key: str | None = None) -> dict:
    """Add up count groups: in all (key None), or per period / per type."""
    sums: dict = {}
    for group in groups:
        into = sums.setdefault(group[key] if key else None, dict.fromkeys(fields, 0))
        for name in fields:
            into[name] += group[name] or 0
    return sums


def _by_type(session: Session, scope: _Scope, calendar: Calendar | None, counts: dict[str, int]) -> dict:
    revenue = _revenue(session, scope)
    slugs = sorted({slug for slug, n in counts.items() if n} | set(revenue))
    configured = _type_currencies(session, calendar, slugs) if slugs else {}
    result = {}
    for slug in slugs:
        amounts = revenue.get(slug, {})
        currency: str | None
        amount: Decimal | None
        if len(amounts) == 1:
            (currency, amount), = amounts.items()
        elif not amounts:
            known = configured.get(slug, set())
            currency, amount = (next(iter(known)) if len(known) == 1 else None), Decimal(0)
        else:
            currency, amount = None, None
        result[slug] = {"count": counts.get(slug, 0), "revenue": cents(amount),
                        "currency": currency,
                        "revenue_by_currency": {c: cents(v) for c, v in sorted(amounts.items())}}
    return result


def _filled(per_period: dict, q: AnalyticsQuery) -> list[dict]:
    """One row per period from the first to the last (empty periods as zeros)."""
    found = {date.fromisoformat(str(period)[:10]): row for period, row in per_period.items() if row["count"]}
    first = period_start(q.start_date, q.group_by) if q.start_date else min(found, default=None)
    last = period_start(q.end_date, q.group_by) if q.end_date else max(found, default=None)
    if first is None or last is None or first > last:
        return []
    series: list[dict] = []
    key = first
    while key <= last:
        if len(series) >= MAX_PERIODS:
            raise ValidationFailed(f"That is more than {MAX_PERIODS} {q.group_by}s; narrow start_date/end_date "
                                   "or group by a longer period.", details=[{"field": "group_by"}])
        row = found.get(key)
        series.append({"date": key.isoformat(), **{f: row[f] if row else 0 for f in ("count", *STATUSES)}})
        key = next_period(key, q.group_by)
    return series


def appointment_analytics(session: Session, q: AnalyticsQuery) -> dict:
    if is_postgres(session) and not session.in_transaction():
        # One snapshot for both queries below, so the counts and the revenue describe the same rows.
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    elif not is_postgres(session):
        _register_sqlite_functions(session)
    calendar = get_calendar(session, q.calendar_id) if q.calendar_id is not None else None
    if calendar is not None and is_postgres(session):
        # One calendar's range is a few thousand rows: parallel workers cost more to start than they save.
        session.execute(sa.text("SET LOCAL max_parallel_workers_per_gather = 0"))
    scope = _scope(session, q, calendar)
    groups = _counts(session, scope, q.group_by)
    fields = ("count", *STATUSES, "rescheduled", "lead_seconds", *LEAD_FIELDS)
    totals = _sum(groups, fields).get(None, dict.fromkeys(fields, 0))
    total, lead = totals["count"], totals["lead_seconds"]
    per_type = {slug: sums["count"] for slug, sums in _sum(groups, ("count",), key="slug").items()}
    return {
        "calendar_id": str(calendar.id) if calendar else None,
        "timezone": calendar.timezone if calendar else None,
        "start_date": q.start_date.isoformat() if q.start_date else None,
        "end_date": q.end_date.isoformat() if q.end_date else None,
        "group_by": q.group_by,
        "total_appointments": total,
        **{s: totals[s] for s in STATUSES},
        "rescheduled": totals["rescheduled"],
        "cancellation_rate": _rate(totals[Status.CANCELLED] + totals[Status.LATE_CANCEL], total),
        "no_show_rate": _rate(totals[Status.NO_SHOW], totals[Status.COMPLETED] + totals[Status.NO_SHOW]),
        "average_lead_time_hours": round(float(lead) / total / 3600, 2) if total else None,
        "by_type": _by_type(session, scope, calendar, per_type),
        "lead_time_distribution": [{"bucket": label, "count": totals[name]}
                                   for (_, label), name in zip(LEAD_BUCKETS, LEAD_FIELDS, strict=True)],
        f"by_{q.group_by}": _filled(_sum(groups, ("count", *STATUSES), key="period"), q),
    }
