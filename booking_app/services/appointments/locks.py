"""Serialising writers per calendar and recognising the database's overlap guard."""
from __future__ import annotations

import hashlib
import uuid
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from booking_app.db import is_postgres

OVERLAP_SQLSTATES = {"23P01", "40P01"}  # exclusion violation; deadlock between racing inserts


def lock_calendar(session: Session, calendar_id: uuid.UUID) -> None:
    """PostgreSQL: a transaction-scoped advisory lock per calendar, so racing reschedules and
    proposals queue up instead of deadlocking; other calendars proceed in parallel. SQLite: BEGIN IMMEDIATE already
    holds the single writer lock."""
    if is_postgres(session):
        _advisory_xact_lock(session, (calendar_id.int >> 64) - (1 << 63))  # fits a signed bigint


def lock_slot(session: Session, calendar_id: uuid.UUID, start: datetime) -> None:
    """PostgreSQL: a transaction-scoped advisory lock per (calendar, start time). Customers racing for
    the same slot queue up (the loser sees the winner's row and gets a clean 409), while bookings of
    different times on one calendar run in parallel: the exclusion constraint alone decides between
    overlapping different starts (a deadlock between two of those is an overlap too)."""
    if is_postgres(session):
        digest = hashlib.blake2b(f"{calendar_id}:{start.timestamp()}".encode(), digest_size=8).digest()
        _advisory_xact_lock(session, int.from_bytes(digest, "big", signed=True))


def _advisory_xact_lock(session: Session, key: int) -> None:
    session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def is_overlap_error(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in OVERLAP_SQLSTATES
