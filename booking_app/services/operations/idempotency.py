"""Idempotency-Key: the first response to (scope, key) is stored and replayed for 24 h.

A scope names the operation and the caller (`principal_scope`), so a key is only ever answered for
whoever sent it first; another caller with the same key simply gets their own execution. What is
stored holds no usable secret: the key as its hash, and a manage token in the body as its hash,
put back from the appointment (tokens are derived, links.manage_token_for) when the same caller
replays. A leaked table thus gives neither a token nor what it takes to replay one."""
from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import col, select

from booking_app.db import is_postgres, session_scope, utcnow
from booking_app.errors import IdempotencyKeyReused, RequestInProgress, ServiceError, ValidationFailed
from booking_app.models import IdempotencyKey, table
from booking_app.principal import Principal
from booking_app.services.access.tokens import hash_token

TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 255


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


def _claim(scope: str, key: str, request_hash: str) -> IdempotencyKey | None:
    """Insert an in-progress row; return the existing row instead when someone was first."""
    now = utcnow()
    with session_scope() as session:
        session.execute(sa.delete(IdempotencyKey).where(col(IdempotencyKey.scope) == scope,
                                                        col(IdempotencyKey.key) == key,
                                                        col(IdempotencyKey.expires_at) < now))
        insert = pg_insert if is_postgres(session) else sqlite_insert
        keys = table(IdempotencyKey)
        inserted = session.execute(
            insert(keys).values(id=uuid.uuid4(), scope=scope, key=key, request_hash=request_hash,
                                status="in_progress", created_at=now, expires_at=now + TTL)
            .on_conflict_do_nothing(index_elements=["scope", "key"]).returning(keys.c.id)
        ).first()
        if inserted:
            return None
        return session.exec(select(IdempotencyKey).where(IdempotencyKey.scope == scope,
                                                         IdempotencyKey.key == key)).one()


def _finish(scope: str, key: str, status: int | None, body: dict | None) -> None:
    with session_scope() as session:
        statement = sa.delete(IdempotencyKey) if status is None else sa.update(IdempotencyKey).values(
            status="completed", response_status=status, response_body=body)
        session.execute(statement.where(col(IdempotencyKey.scope) == scope, col(IdempotencyKey.key) == key))


def run(*, scope: str, key: str | None, payload: object, handler: Callable[[], tuple[int, dict]],
        secret: Secret | None = None) -> tuple[int, dict]:
    """Run `handler` once per key; replay its (status, body), including error responses. `secret(body)`
    gives the manage token a body may carry (derived from the appointment, so the same on replay)."""
    if key is None:
        return handler()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise ValidationFailed("Idempotency-Key must be 1 to 255 characters.",
                               details=[{"field": "Idempotency-Key"}])
    key = hash_token(key)
    request_hash = body_hash(payload)
    existing = _claim(scope, key, request_hash)
    if existing is not None:
        if existing.request_hash != request_hash:
            raise IdempotencyKeyReused("This Idempotency-Key was already used with a different request body.")
        if existing.status != "completed":
            raise RequestInProgress("A request with this Idempotency-Key is still being processed; retry shortly.")
        # _finish stores both with "completed"
        assert existing.response_status is not None and existing.response_body is not None
        return existing.response_status, _reveal(existing.response_body, secret)
    try:
        status, body = handler()
    except ServiceError as exc:
        status, body = exc.status_code, exc.body()
    except BaseException:
        _finish(scope, key, None, None)  # unexpected failure: let the client retry for real
        raise
    _finish(scope, key, status, _conceal(body, secret))
    return status, body
