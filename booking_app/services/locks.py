"""Serialising writers per calendar and recognising the database's overlap guard."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from booking_app.db import is_postgres

OVERLAP_SQLSTATES = {"23P01", "40P01"}  # exclusion violation; deadlock between racing inserts


def lock_calendar(session: Session, calendar_id: uuid.UUID) -> None:
    """PostgreSQL: a transaction-scoped advisory lock per calendar, so racing bookings queue up
    instead of deadlocking; other calendars proceed in parallel. SQLite: BEGIN IMMEDIATE already
    holds the single writer lock."""
    if is_postgres(session):
        key = (calendar_id.int >> 64) - (1 << 63)  # fits a signed bigint
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def is_overlap_error(exc: DBAPIError) -> bool:
    return getattr(exc.orig, "sqlstate", None) in OVERLAP_SQLSTATES
