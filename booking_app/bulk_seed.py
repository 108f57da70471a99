"""Bulk history for scale tests and big demos: N appointments loaded with PostgreSQL COPY.

Calendars get about PER_CALENDAR appointments each, laid end to end inside opening hours in the
calendar's own timezone, from FUTURE_DAYS ahead back as far as the count needs. Past ones are
settled (completed, no-show, cancelled, late-cancel; some were rescheduled, leaving a cancelled
row pointing at the new one), future ones are confirmed, cancelled or awaiting payment. A
calendar's appointments never overlap, so the exclusion constraint on pending/confirmed rows
always holds. Paid types get the charges, refunds and fees the lifecycle would have recorded.
History only: no reminders, messages or audit events.
"""
from __future__ import annotations

import math
import random
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from booking_app.db import get_engine, is_postgres, session_scope, utcnow
from booking_app.domain.availability import slot_id_for
from booking_app.domain.money import cents
from booking_app.domain.status import CANCELLED_STATUSES, Status
from booking_app.principal import Principal
from booking_app.services.calendars import catalog as calendar_service

SEEDER = Principal(kind="staff", role="admin", label="bulk seed", actor_type="system")
PER_CALENDAR = 10_000
FUTURE_DAYS = 28
OPEN, CLOSE = time(8, 0), time(20, 0)
HOURS = {d: [["08:00", "20:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat")}

TEMPLATES = [  # timezone, currency, cancellation policy, buffer after (minutes)
    ("America/New_York", "USD", {"lead_time_hours": 24, "late_cancellation": "fee", "late_cancel_fee": 25,
                                 "refund_percent": 100}, 10),
    ("Europe/Berlin", "EUR", {"lead_time_hours": 12, "late_cancellation": "block"}, 0),
    ("Europe/London", "GBP", {"lead_time_hours": 48, "late_cancellation": "fee", "late_cancel_fee": 15,
                              "refund_percent": 50}, 5),
    ("Australia/Sydney", "AUD", {"lead_time_hours": 24, "late_cancellation": "block"}, 0),
]
TYPES = [  # slug, name, minutes, price, payment required, location, weight
    ("consult", "Consultation", 30, Decimal("0"), False, "virtual", 45),
    ("treatment", "Treatment", 60, Decimal("90.00"), True, "in_person", 35),
    ("followup", "Follow-up", 45, Decimal("50.00"), False, "in_person", 20),
]
PAST = ((Status.COMPLETED, 78), (Status.NO_SHOW, 6), (Status.CANCELLED, 11), (Status.LATE_CANCEL, 5))
FUTURE = ((Status.CONFIRMED, 86), (Status.CANCELLED, 9), (Status.PENDING, 5))
RESCHEDULED_SHARE = 0.03
FIRST = ["Ava", "Liam", "Sofia", "Noah", "Emma", "Lucas", "Mia", "Ethan", "Lea", "Oliver", "Hannah", "Mateo"]
LAST = ["Thompson", "Patel", "García", "Kim", "Müller", "Rossi", "Johnson", "Nguyen", "Schmidt", "Brown"]

APPOINTMENT_COLUMNS = (
    "id", "calendar_id", "slot_id", "customer_id", "customer_email", "customer_name", "start_time", "end_time",
    "duration_minutes", "timezone", "busy_start", "busy_end", "status", "cancellation_reason", "cancelled_by",
    "cancelled_at", "rescheduled_from_id", "rescheduled_to_id", "lineage_id", "appointment_type",
    "appointment_type_id", "location_type", "payment_required", "payment_amount", "payment_currency",
    "payment_status", "payment_id", "language", "confirmation_status", "version", "manage_token_hash",
    "hold_expires_at", "hold_kind", "created_at", "updated_at", "confirmed_at", "completed_at",
)
PAYMENT_COLUMNS = ("id", "appointment_id", "kind", "amount", "currency", "status", "provider", "provider_ref",
                   "created_at")
CONTACT_COLUMNS = ("id", "email", "name", "timezone", "language", "created_at", "updated_at")


class BulkSeedError(Exception):
    pass


def copy_rows(cur, table: str, columns: tuple[str, ...], rows: Iterable[tuple]) -> int:
    """Binary COPY: several times faster than text for uuids and timestamps."""
    oids = dict(cur.execute("SELECT attname, atttypid FROM pg_attribute WHERE attrelid = %s::regclass "
                            "AND attnum > 0", (table,)).fetchall())
    count = 0
    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN (FORMAT BINARY)") as copy:
        copy.set_types([oids[c] for c in columns])
        for row in rows:
            copy.write_row(row)
            count += 1
    return count


def _weighted(rng: random.Random, choices) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


@dataclass(frozen=True, slots=True)
class Kind:
    """An appointment type as plain values (ORM attribute access is too slow for a million rows)."""

    id: uuid.UUID
    slug: str
    duration_minutes: int
    price: Decimal
    currency: str
    payment_required: bool
    location_type: str


@dataclass(frozen=True, slots=True)
class Cal:
    id: uuid.UUID
    timezone: str
    language: str
    buffer_after_minutes: int
    cancellation_policy: dict


class CalendarLoad:
    """Generates one calendar's rows; `rows()` yields (appointments, payments) per day."""

    def __init__(self, rng: random.Random, calendar, types: list, contacts: list, now: datetime, count: int):
        self.rng, self.contacts, self.now, self.count = rng, contacts, now, count
        self.calendar = Cal(calendar.id, calendar.timezone, calendar.language, calendar.buffer_after_minutes,
                            dict(calendar.cancellation_policy))
        self.types = [Kind(t.id, t.slug, t.duration_minutes, t.price, t.currency, t.payment_required,
                           t.location_type) for t in types]
        self.zone = ZoneInfo(calendar.timezone)
        self.policy = self.calendar.cancellation_policy
        self.weights = [t[6] for t in TYPES]

    def _id(self) -> uuid.UUID:
        return uuid.UUID(int=self.rng.getrandbits(128), version=4)

    def days(self) -> Iterator[date]:
        """Opening days backwards from FUTURE_DAYS ahead, as far back as the count needs."""
        day = (self.now + timedelta(days=FUTURE_DAYS)).date()
        while True:
            if day.weekday() < 6:
                yield day
            day -= timedelta(days=1)

    def rows(self) -> Iterator[tuple[list[tuple], list[tuple]]]:
        made = 0
        for day in self.days():
            appointments: list[tuple] = []
            payments: list[tuple] = []
            cursor = datetime.combine(day, OPEN, tzinfo=self.zone)
            close = datetime.combine(day, CLOSE, tzinfo=self.zone)
            for _ in range(self.rng.randint(6, 12)):
                kind = self.rng.choices(self.types, weights=self.weights)[0]
                start = cursor + timedelta(minutes=self.rng.choice((0, 0, 0, 15, 30, 45, 60)))
                end = start + timedelta(minutes=kind.duration_minutes)
                if end > close or made >= self.count:
                    break
                cursor = end + timedelta(minutes=self.calendar.buffer_after_minutes)
                made += self._booking(kind, start.astimezone(UTC), end.astimezone(UTC),
                                      appointments, payments, room=self.count - made)
            yield appointments, payments
            if made >= self.count:
                return

    def _booking(self, kind, start: datetime, end: datetime, appointments: list, payments: list, room: int) -> int:
        rng, now = self.rng, self.now
        contact = rng.choice(self.contacts)
        past = end <= now
        status = _weighted(rng, PAST) if past else _weighted(rng, FUTURE)
        if status == Status.PENDING and (not kind.payment_required or start < now + timedelta(hours=1)):
            status = Status.CONFIRMED
        created = min(now - timedelta(minutes=5), start - timedelta(hours=rng.choice((2, 6, 24, 48, 96, 168, 336))))
        if status == Status.PENDING:
            created = now - timedelta(minutes=rng.randint(1, 10))
        row = self._row(kind, contact, start, end, status, created)
        money = []
        old = None
        if room >= 2 and status != Status.PENDING and rng.random() < RESCHEDULED_SHARE:
            old_start = start - timedelta(days=rng.randint(1, 14))
            old_created = created - timedelta(days=14)
            old = self._row(kind, contact, old_start, old_start + (end - start), Status.CANCELLED, old_created)
            moved_at = min(now, old_start - timedelta(hours=1), start - timedelta(hours=1))
            old.update(cancellation_reason="Rescheduled", cancelled_at=moved_at, rescheduled_to_id=row["id"],
                       updated_at=moved_at)
            row.update(rescheduled_from_id=old["id"], lineage_id=old["id"], created_at=moved_at,
                       confirmed_at=moved_at, version=3, manage_token_hash=old["manage_token_hash"])
            if row["cancelled_at"] is not None and row["cancelled_at"] < moved_at:
                row["cancelled_at"] = row["updated_at"] = moved_at
        if kind.payment_required:
            money = self._money(kind, row, payer=old or row)
        for item in (old, row):
            if item:
                appointments.append(tuple(item[c] for c in APPOINTMENT_COLUMNS))
        payments.extend(money)
        return 2 if old else 1

    def _row(self, kind, contact, start, end, status, created) -> dict:
        rng, cal = self.rng, self.calendar
        appointment_id = self._id()
        settled = min(self.now, end + timedelta(minutes=20))
        cancelled = status in CANCELLED_STATUSES
        cancelled_at = min(self.now, start - timedelta(hours=rng.choice((1, 3, 30, 72)))) if cancelled else None
        if cancelled_at is not None and cancelled_at < created:
            cancelled_at = created
        return {
            "id": appointment_id, "calendar_id": cal.id, "slot_id": slot_id_for(cal.id, kind.slug, start, end),
            "customer_id": contact[0], "customer_email": contact[1], "customer_name": contact[2],
            "start_time": start, "end_time": end, "duration_minutes": kind.duration_minutes,
            "timezone": cal.timezone, "busy_start": start,
            "busy_end": end + timedelta(minutes=cal.buffer_after_minutes), "status": status,
            "cancellation_reason": "Schedule conflict" if cancelled else None,
            "cancelled_by": "customer" if cancelled else None, "cancelled_at": cancelled_at,
            "rescheduled_from_id": None, "rescheduled_to_id": None, "lineage_id": appointment_id,
            "appointment_type": kind.slug, "appointment_type_id": kind.id, "location_type": kind.location_type,
            "payment_required": kind.payment_required, "payment_amount": kind.price if kind.price else None,
            "payment_currency": kind.currency if kind.price else None,
            "payment_status": "pending" if kind.payment_required else None, "payment_id": None,
            "language": cal.language, "confirmation_status": "sent", "version": 1 if status == Status.PENDING else 2,
            "manage_token_hash": f"{rng.getrandbits(256):064x}",
            "hold_expires_at": self.now + timedelta(minutes=30) if status == Status.PENDING else None,
            "hold_kind": "payment" if status == Status.PENDING else None,
            "created_at": created, "updated_at": cancelled_at or (settled if status != Status.PENDING else created),
            "confirmed_at": None if status == Status.PENDING else created,
            "completed_at": settled if status == Status.COMPLETED else None,
        }

    def _money(self, kind, row: dict, payer: dict) -> list[tuple]:
        """Charge when booked (on the first row of a reschedule chain); refund and fee on cancelling."""
        if row["status"] == Status.PENDING:
            return []
        price, currency = kind.price, kind.currency
        paid_at = payer["created_at"] + timedelta(minutes=5)
        ref = f"bulk_{payer['id'].hex[:16]}"
        out: list[tuple] = [(self._id(), payer["id"], "charge", price, currency, "processed", "manual", ref, paid_at)]
        row["payment_status"], row["payment_id"] = "paid", ref
        payer["payment_status"], payer["payment_id"] = "paid", ref
        refund, fee = Decimal("0"), Decimal("0")
        if row["status"] == Status.CANCELLED:
            refund = cents(price * Decimal(self.policy.get("refund_percent", 100)) / 100)
        elif row["status"] == Status.LATE_CANCEL:
            fee = cents(str(self.policy.get("late_cancel_fee", 0)))
            share = price * Decimal(self.policy.get("refund_percent", 100)) / 100
            refund = cents(max(share - fee, Decimal(0)))
        when = row["cancelled_at"]
        if refund > 0:
            out.append((self._id(), row["id"], "refund", refund, currency, "processed", "manual", None, when))
            row["payment_status"] = "refunded" if refund >= price else "partially_refunded"
        if fee > 0:
            out.append((self._id(), row["id"], "fee", fee, currency, "processed", "manual", None, when))
        return out


@contextmanager
def indexes_rebuilt_after(cur, tables: tuple[str, ...], total: int) -> Iterator[None]:
    """Loading into a table much smaller than the load is faster without its secondary indexes,
    exclusion and foreign-key constraints: drop them, load, rebuild (same transaction, so a failure
    leaves everything as it was; the tables stay locked meanwhile)."""
    existing = cur.execute("SELECT count(*) FROM (SELECT 1 FROM appointments LIMIT %s) t", (total,)).fetchone()[0]
    if existing >= total:
        yield
        return
    rebuild = []
    for table in tables:
        # Foreign keys too: re-adding one checks every row in one join instead of one probe per row.
        for name, definition in cur.execute(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass "
                "AND contype IN ('x', 'f')", (table,)).fetchall():
            cur.execute(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
        for name, definition in cur.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename = %s "
                "AND indexname NOT IN (SELECT conname FROM pg_constraint WHERE conrelid = %s::regclass)",
                (table, table)).fetchall():
            cur.execute(f'DROP INDEX "{name}"')
            rebuild.append(definition)
    yield
    cur.execute("SET LOCAL maintenance_work_mem = '512MB'")
    for statement in rebuild:
        cur.execute(statement)


def _plan(total: int) -> list[int]:
    calendars = max(1, math.ceil(total / PER_CALENDAR))
    base, extra = divmod(total, calendars)
    return [base + (1 if i < extra else 0) for i in range(calendars)]


def _create_calendars(session, sizes: list[int], tag: str) -> list[tuple]:
    made = []
    for i, _ in enumerate(sizes):
        zone, currency, policy, buffer_after = TEMPLATES[i % len(TEMPLATES)]
        calendar = calendar_service.create_calendar(session, actor=SEEDER, data=dict(
            slug=f"bulk-{tag}-{i + 1}", name=f"Practice {i + 1}", business_name=f"Bulk Practice {i + 1}",
            timezone=zone, owner_email=f"owner{i + 1}@bulk.example", weekly_hours=HOURS,
            slot_interval_minutes=15, buffer_after_minutes=buffer_after, cancellation_policy=policy,
            min_notice_minutes=60, max_advance_days=60))
        types = [calendar_service.create_type(session, calendar_id=calendar.id, actor=SEEDER, data=dict(
            slug=slug, name=name, duration_minutes=minutes, price=price, currency=currency,
            payment_required=required, location_type=location)) for slug, name, minutes, price, required, location, _
            in TYPES]
        made.append((calendar, types))
    return made


def _contacts(rng: random.Random, count: int, tag: str, now: datetime) -> list[tuple]:
    rows = []
    for i in range(count):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}"
        rows.append((uuid.UUID(int=rng.getrandbits(128), version=4), f"customer{i}.{tag}@bulk.example", name,
                     rng.choice(("America/New_York", "Europe/Berlin", "Europe/London")), "en",
                     now - timedelta(days=1200), now - timedelta(days=1200)))
    return rows


def _load(cur, rng, created, sizes, people, now, stats: dict, advance) -> None:
    for (calendar, types), size in zip(created, sizes, strict=True):
        payments: list[tuple] = []

        # Defaults bind this calendar's load and payments list (copy_rows consumes the generator before the loop
        # moves on, so it is what the closure meant anyway).
        def appointments(load=CalendarLoad(rng, calendar, types, people, now, size),
                         payments=payments) -> Iterator[tuple]:
            for rows, money in load.rows():
                payments.extend(money)
                advance(len(rows))
                yield from rows

        stats["appointments"] += copy_rows(cur, "appointments", APPOINTMENT_COLUMNS, appointments())
        stats["payments"] += copy_rows(cur, "payments", PAYMENT_COLUMNS, payments)


def bulk_seed(total: int, *, seed: int = 7, show_progress: bool = True, url: str | None = None) -> dict:
    """Load `total` appointments (plus calendars, types, contacts and payments) in one transaction."""
    if total < 1:
        raise BulkSeedError("Give a positive number of appointments.")
    engine = get_engine(url)
    if not is_postgres(engine):
        raise BulkSeedError("Bulk loading uses PostgreSQL COPY; set DATABASE_URL to a PostgreSQL database.")
    rng, now, tag = random.Random(seed), utcnow(), uuid.uuid4().hex[:6]
    sizes = _plan(total)
    stats = {"calendars": len(sizes), "appointments": 0, "payments": 0, "contacts": max(200, total // 40)}
    columns = [TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn()]
    progress = Progress(*columns, console=Console(stderr=True), disable=not show_progress)
    with session_scope(url) as session, progress:
        created = _create_calendars(session, sizes, tag)
        session.flush()
        raw = session.connection().connection.driver_connection  # psycopg 3, same transaction
        assert raw is not None  # None only once the connection has been detached from its pool
        contacts = _contacts(rng, stats["contacts"], tag, now)
        with raw.cursor() as cur:
            copy_rows(cur, "contacts", CONTACT_COLUMNS, contacts)
            people = [(c[0], c[1], c[2]) for c in contacts]
            task = progress.add_task("appointments", total=total)
            with indexes_rebuilt_after(cur, ("appointments", "payments"), total):
                _load(cur, rng, created, sizes, people, now, stats, lambda n: progress.advance(task, n))
                progress.update(task, description="appointments loaded; indexing")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        for table in ("appointments", "payments", "contacts"):
            connection.execute(sa.text(f"VACUUM ANALYZE {table}"))  # fresh statistics and visibility map
    return stats
