"""Engine and session factories: the one place that knows how we talk to the database.

PostgreSQL (psycopg 3) in production; an SQLite file in the embedded mode. On SQLite every
transaction starts with BEGIN IMMEDIATE so that a booking's overlap check and its insert
run under the database's single writer lock (the race guard that PostgreSQL's exclusion
constraint gives us there).
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session

from booking_app.settings import get_settings

_engines: dict[str, Engine] = {}
_lock = threading.Lock()


def utcnow() -> datetime:
    return datetime.now(UTC)


def _make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_connect(dbapi_conn, _record):  # pragma: no cover - driver hook
            dbapi_conn.isolation_level = None  # we emit BEGIN ourselves
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _sqlite_begin(conn):  # pragma: no cover - driver hook
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        return engine
    return sa.create_engine(url, pool_size=10, max_overflow=20, pool_pre_ping=True)


def get_engine(url: str | None = None) -> Engine:
    url = url or get_settings().effective_database_url
    with _lock:
        if url not in _engines:
            _engines[url] = _make_engine(url)
        return _engines[url]


def is_postgres(session_or_engine) -> bool:
    bind = session_or_engine.get_bind() if isinstance(session_or_engine, Session) else session_or_engine
    return bind.dialect.name == "postgresql"


def after_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once the surrounding session_scope commits (never on rollback).

    Used for side effects that must only follow durable state: enqueueing jobs,
    publishing live events.
    """
    session.info.setdefault("after_commit", []).append(callback)


@contextmanager
def session_scope(url: str | None = None) -> Iterator[Session]:
    """A unit of work: commit on success, roll back on error, then run after-commit hooks."""
    session = Session(get_engine(url), expire_on_commit=False)
    try:
        yield session
        session.commit()
        callbacks = session.info.pop("after_commit", [])
    except BaseException:
        session.rollback()
        session.info.pop("after_commit", None)
        raise
    finally:
        session.close()
    for callback in callbacks:
        callback()


def dispose_engines() -> None:
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()


def is_unique_violation(exc: Exception) -> bool:
    """A duplicate key (PostgreSQL 23505, SQLite "UNIQUE constraint failed"), not some other integrity error."""
    orig = getattr(exc, "orig", exc)
    return getattr(orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(orig)
