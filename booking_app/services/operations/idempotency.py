"""Idempotency-Key: the first response to (scope, key) is stored and replayed for 24 h.

A scope names the operation and the caller (`principal_scope`), so a key is only ever answered for
whoever sent it first; another caller with the same key simply gets their own execution. What is
stored holds no usable secret: the key as its hash, and a manage token in the body as its hash,
put back from the appointment (tokens are derived, links.manage_token_for) when the same caller
replays. A leaked table thus gives neither a token nor what it takes to replay one.

A crash never holds a key for the day. While a request runs, its key row is `in_progress` and its
`expires_at` is a short lease (LEASE) that a thread of the holding process renews every RENEW_EVERY;
only a completed response gets the 24 h TTL. A holder that is gone (process killed, connection lost)
stops renewing, so within LEASE a retry finds the row expired, deletes it and runs afresh. A lease,
not a row lock held by the request's own transaction: it works the same on SQLite (no row locks) and
needs no connection pinned for the request's whole life. Whether the first attempt's work committed
is not guessed from the lease: a handler writes its response with `record()` inside the transaction
that does its work, so the work and the completed key commit together or not at all (a retry then
gets that response, with the manage token put back, or runs afresh). That write also checks the row
is still this attempt's claim, so an attempt whose lease lapsed (a stalled database) rolls its work
back instead of doing it twice."""
from __future__ import annotations

import contextvars
import hashlib
import json
import logging
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, col, select

from booking_app.db import after_commit, is_postgres, session_scope, utcnow
from booking_app.errors import IdempotencyKeyReused, RequestInProgress, ServiceError, ValidationFailed
from booking_app.models import IdempotencyKey, table
from booking_app.principal import Principal
from booking_app.services.access.tokens import hash_token

TTL = timedelta(hours=24)
LEASE = timedelta(seconds=15)  # how long an in_progress key outlives its holder's last renewal
RENEW_EVERY = 4.0  # seconds between renewals: a few renewals may be late before the lease lapses
MAX_KEY_LENGTH = 255

log = logging.getLogger(__name__)


Secret = Callable[[dict], str | None]  # the raw token a response body may hold, derived again on replay


def body_hash(payload: object) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


def principal_scope(actor: Principal, credential: str | None) -> str:
    """Whose keys these are: a staff API key or login by its id; a customer by the hash of the token
    they call with (manage or reschedule token); everyone else is 'anonymous', whose replays also need
    the identical body (for a booking: the customer's email, name and time)."""
    if actor.is_staff:
        return f"{actor.actor_type}:{actor.id}"
    return f"token:{hash_token(credential)}" if credential else "anonymous"


def _swap(body: dict, old: str, new: str) -> dict:
    """Tokens and their hashes are URL-safe: they read the same inside JSON strings and URLs."""
    text = json.dumps(body)
    return json.loads(text.replace(old, new)) if old in text else body


def _conceal(body: dict, secret: Secret | None) -> dict:
    token = secret(body) if secret else None
    return _swap(body, token, hash_token(token)) if token else body


def _reveal(body: dict, secret: Secret | None) -> dict:
    token = secret(body) if secret else None
    return _swap(body, hash_token(token), token) if token else body


@dataclass
class _Claim:
    id: uuid.UUID
    recorded: bool = False

    def mark_recorded(self) -> None:
        self.recorded = True


_current: contextvars.ContextVar[_Claim | None] = contextvars.ContextVar("idempotency_claim", default=None)


class _Leases:
    """The in_progress keys this process holds, renewed by one daemon thread while they run."""

    def __init__(self) -> None:
        self._held: set[uuid.UUID] = set()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def hold(self, claim_id: uuid.UUID) -> None:
        with self._lock:
            self._held.add(claim_id)
            if self._thread is None or not self._thread.is_alive():  # also after a fork
                self._thread = threading.Thread(target=self._renew_forever, name="idempotency-leases", daemon=True)
                self._thread.start()

    def release(self, claim_id: uuid.UUID) -> None:
        with self._lock:
            self._held.discard(claim_id)

    def _renew_forever(self) -> None:
        while True:
            time.sleep(RENEW_EVERY)
            with self._lock:
                held = list(self._held)
            if not held:
                continue
            try:
                with session_scope() as session:
                    session.execute(sa.update(IdempotencyKey).where(
                        col(IdempotencyKey.id).in_(held), col(IdempotencyKey.status) == "in_progress")
                        .values(expires_at=utcnow() + LEASE))
            except Exception:  # the database is away: try again next round; the lease covers a few misses
                log.warning("could not renew %d idempotency lease(s)", len(held), exc_info=True)


_leases = _Leases()


def record(session: Session, status: int, body: dict, *, token: str | None = None) -> None:
    """Store the response of the running keyed request in `session`'s transaction, the one doing its
    work, so both commit together. `token` is the raw manage token the body carries (stored as its
    hash). No-op without an Idempotency-Key. Raises RequestInProgress (rolling the work back) when the
    key is no longer this attempt's: its lease lapsed and a retry took it over."""
    claim = _current.get()
    if claim is None:
        return
    stored = _swap(body, token, hash_token(token)) if token else body
    updated = session.execute(
        sa.update(IdempotencyKey).where(col(IdempotencyKey.id) == claim.id,
                                        col(IdempotencyKey.status) == "in_progress")
        .values(status="completed", response_status=status, response_body=stored, expires_at=utcnow() + TTL))
    if updated.rowcount != 1:  # type: ignore[attr-defined]
        raise RequestInProgress("A retry with this Idempotency-Key took over this request; retry shortly.")
    after_commit(session, claim.mark_recorded)  # until then a failure still releases (or stores) the claim


def _claim(scope: str, key: str, request_hash: str, claim_id: uuid.UUID) -> IdempotencyKey | None:
    """Insert an in-progress row under a short lease; return the existing row instead when someone was
    first. An expired row (a completed answer past its TTL, or a lease its holder stopped renewing) is
    deleted first."""
    now = utcnow()
    with session_scope() as session:
        session.execute(sa.delete(IdempotencyKey).where(col(IdempotencyKey.scope) == scope,
                                                        col(IdempotencyKey.key) == key,
                                                        col(IdempotencyKey.expires_at) < now))
        insert = pg_insert if is_postgres(session) else sqlite_insert
        keys = table(IdempotencyKey)
        inserted = session.execute(
            insert(keys).values(id=claim_id, scope=scope, key=key, request_hash=request_hash,
                                status="in_progress", created_at=now, expires_at=now + LEASE)
            .on_conflict_do_nothing(index_elements=["scope", "key"]).returning(keys.c.id)
        ).first()
        if inserted:
            return None
        return session.exec(select(IdempotencyKey).where(IdempotencyKey.scope == scope,
                                                         IdempotencyKey.key == key)).one()


def _finish(claim_id: uuid.UUID, status: int | None, body: dict | None) -> None:
    """Complete (or, status None, release) this attempt's claim, if it is still in progress."""
    with session_scope() as session:
        statement = sa.delete(IdempotencyKey) if status is None else sa.update(IdempotencyKey).values(
            status="completed", response_status=status, response_body=body, expires_at=utcnow() + TTL)
        session.execute(statement.where(col(IdempotencyKey.id) == claim_id,
                                        col(IdempotencyKey.status) == "in_progress"))


def run(*, scope: str, key: str | None, payload: object, handler: Callable[[], tuple[int, dict]],
        secret: Secret | None = None) -> tuple[int, dict]:
    """Run `handler` once per key; replay its (status, body), including error responses. `secret(body)`
    gives the manage token a body may carry (derived from the appointment, so the same on replay).
    A handler whose work commits should call `record()` inside that transaction; a response it did not
    record (an error, or a handler that commits nothing) is stored afterwards."""
    if key is None:
        return handler()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed("Idempotency-Key must be 1 to 255 characters.",
                               details=[{"field": "Idempotency-Key"}])
    key = hash_token(key)
    request_hash = body_hash(payload)
    claim = _Claim(id=uuid.uuid4())
    existing = _claim(scope, key, request_hash, claim.id)
    if existing is not None:
        if existing.request_hash != request_hash:
            raise IdempotencyKeyReused("This Idempotency-Key was already used with a different request body.")
        if existing.status != "completed":
            raise RequestInProgress("A request with this Idempotency-Key is still being processed; retry shortly.")
        # record() and _finish store both with "completed"
        assert existing.response_status is not None and existing.response_body is not None
        return existing.response_status, _reveal(existing.response_body, secret)
    _leases.hold(claim.id)
    reset = _current.set(claim)
    try:
        try:
            status, body = handler()
        except ServiceError as exc:
            status, body = exc.status_code, exc.body()
        except BaseException:
            if not claim.recorded:
                _finish(claim.id, None, None)  # unexpected failure: let the client retry for real
            raise
        if not claim.recorded:
            _finish(claim.id, status, _conceal(body, secret))
        return status, body
    finally:
        _current.reset(reset)
        _leases.release(claim.id)
