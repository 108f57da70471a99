"""Idempotency keys after a crash (services/operations/idempotency.py), on SQLite and PostgreSQL: a key
whose holder is gone is free again once its short lease lapses; a live holder keeps renewing it; a
response recorded with the work survives the loss of the final bookkeeping."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa

from booking_app.db import session_scope
from booking_app.errors import RequestInProgress
from booking_app.models import AuditEvent, IdempotencyKey
from booking_app.services.access.tokens import hash_token
from booking_app.services.operations import idempotency
from tests.support.waiting import wait_for

TOKEN = "tok-" + "x" * 40


def secret(body: dict) -> str | None:
    return TOKEN if "manage_token" in body else None


@pytest.fixture
def short_lease(monkeypatch):
    monkeypatch.setattr(idempotency, "LEASE", timedelta(seconds=2))
    monkeypatch.setattr(idempotency, "RENEW_EVERY", 0.3)


def call(key: str, handler, scope: str = "test scope"):
    return idempotency.run(scope=scope, key=key, payload={"p": 1}, handler=handler, secret=secret)


def refused(key: str) -> bool:
    try:
        call(key, lambda: (200, {"ran": True}))
    except RequestInProgress:
        return False
    return True


def marks(note: str) -> int:
    with session_scope() as session:
        return session.execute(sa.select(sa.func.count()).select_from(AuditEvent)
                               .where(AuditEvent.action == note)).scalar_one()


def test_a_key_whose_holder_is_gone_runs_afresh_once_its_lease_lapses(short_lease):
    key = f"dead-{uuid.uuid4()}"
    # A holder that claimed the key and died: nobody renews its row.
    assert idempotency._claim("test scope", hash_token(key), idempotency.body_hash({"p": 1}), uuid.uuid4()) is None
    with pytest.raises(RequestInProgress):
        call(key, lambda: (200, {"ran": True}))
    # ran afresh (and is now answered) once the lease lapsed
    wait_for(lambda: refused(key), "the retry to run afresh", poll=0.1)
    assert call(key, lambda: (500, {"ran": "again"})) == (200, {"ran": True})


def test_a_live_holder_keeps_its_key_past_the_lease(short_lease):
    key, release, answers = f"live-{uuid.uuid4()}", threading.Event(), []

    def slow():
        release.wait(60)
        return 200, {"slow": True}

    runner = threading.Thread(target=lambda: answers.append(call(key, slow)))
    runner.start()
    try:
        wait_for(lambda: stored(key), "the response to be stored", poll=0.1)
        started = time.monotonic()
        while time.monotonic() - started < 3 * idempotency.LEASE.total_seconds():  # several leases long
            with pytest.raises(RequestInProgress):
                call(key, lambda: (500, {"ran": "twice"}))
            time.sleep(0.2)
    finally:
        release.set()
        runner.join(60)
    assert answers == [(200, {"slow": True})]
    assert call(key, lambda: (500, {"ran": "twice"})) == (200, {"slow": True})


def stored(key: str) -> list[IdempotencyKey]:
    with session_scope() as session:
        return list(session.execute(sa.select(IdempotencyKey)
                                    .where(IdempotencyKey.key == hash_token(key))).scalars())


def test_a_response_recorded_with_the_work_is_replayed_when_the_bookkeeping_never_ran(monkeypatch):
    key, note = f"committed-{uuid.uuid4()}", f"test.idempotent.{uuid.uuid4().hex[:8]}"

    def book_then_die():
        with session_scope() as session:
            session.add(AuditEvent(entity_type="test", entity_id="t", action=note, actor_type="system", data={}))
            idempotency.record(session, 201, {"id": "a1", "manage_token": TOKEN}, token=TOKEN)
        raise SystemExit("the process dies before answering")

    monkeypatch.setattr(idempotency, "_finish", lambda *a: pytest.fail("no bookkeeping after a recorded response"))
    with pytest.raises(SystemExit):
        call(key, book_then_die)
    [row] = stored(key)
    assert row.status == "completed" and TOKEN not in str(row.response_body)
    assert row.response_body["manage_token"] == hash_token(TOKEN)
    # The retry gets that attempt's 201 with the token put back; the work ran once.
    assert call(key, lambda: (409, {"ran": "twice"})) == (201, {"id": "a1", "manage_token": TOKEN})
    assert marks(note) == 1


def test_work_whose_lease_was_taken_over_is_rolled_back(short_lease):
    key, note = f"stalled-{uuid.uuid4()}", f"test.idempotent.{uuid.uuid4().hex[:8]}"

    def stalled():
        with session_scope() as session:
            session.add(AuditEvent(entity_type="test", entity_id="t", action=note, actor_type="system", data={}))
            with session_scope() as other:  # meanwhile a retry found the lease lapsed and took the key over
                other.execute(sa.update(IdempotencyKey).where(IdempotencyKey.key == hash_token(key))
                              .values(id=uuid.uuid4()))
            idempotency.record(session, 201, {"id": "a1"})
        return 201, {"id": "a1"}

    assert call(key, stalled)[0] == 409
    assert marks(note) == 0
