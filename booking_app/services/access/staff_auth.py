"""Console logins: argon2-checked passwords, opaque session tokens (only their hash is stored),
and sign-in limits from the shared limiter (`limits.login`, in Redis when configured): the client
address is blocked after repeated failures, the account is only slowed down (exponential backoff,
reset by a success), so nobody can lock an admin out by typing wrong passwords for their email.
Failures are still recorded in the audit trail. An unknown email costs the same argon2 verification
as a known one (against a dummy hash), so the response time does not tell which accounts exist."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from functools import lru_cache

from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, col, select

from booking_app.errors import Unauthorized
from booking_app.models import StaffSession, StaffUser
from booking_app.principal import Principal
from booking_app.services import audit
from booking_app.services.access import limits
from booking_app.services.access.users import hasher

SESSION_LIFETIME = timedelta(days=7)
WRONG = "That email and password do not match a staff account."


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_for(user: StaffUser) -> Principal:
    return Principal(kind="staff", role=user.role, id=user.id, label=user.email, actor_type="staff")


def _anonymous(email: str) -> Principal:
    return Principal(kind="anonymous", label=email[:255], actor_type="anonymous")


def login(session: Session, *, email: str, password: str, now: datetime,
          client_ip: str = limits.UNKNOWN) -> tuple[str, StaffUser]:
    """A new session token for a right email and password; Unauthorized otherwise, RateLimited (with
    `retry_after`) while the client address or the account has to wait. `now` also drives the limits."""
    email = limits.normalise_email(email)
    attempt = limits.login(client_ip, email, now=now.timestamp())
    stand_in = dummy_hash()  # made before the lookup: a process's first login is slower whoever it is for
    user = session.exec(select(StaffUser).where(StaffUser.email == email, col(StaffUser.active).is_(True))).first()
    # Unknown (or inactive) emails are verified too, against a hash of the same cost: no timing oracle.
    matches = _verify(user.password_hash if user is not None else stand_in, password)
    if user is None or not matches:
        attempt.failed(now=now.timestamp())
        audit.record(session, action="user.login_failed", actor=_anonymous(email), entity_type="user",
                     entity_id=email)
        session.commit()  # kept in the audit trail: it must outlive the rollback Unauthorized causes
        raise Unauthorized(WRONG)
    attempt.succeeded(now=now.timestamp())
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(user_id=user.id, token_hash=_hash(token), created_at=now,
                             expires_at=now + SESSION_LIFETIME))
    user.last_login_at = now
    audit.record(session, action="user.logged_in", actor=principal_for(user), entity_type="user",
                 entity_id=str(user.id))
    return token, user


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash of a random password made by the same hasher (same argon2 parameters) as real ones."""
    return hasher.hash(secrets.token_urlsafe(32))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def user_for_token(session: Session, token: str, now: datetime) -> StaffUser | None:
    if not token:
        return None
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == _hash(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= now:
        return None
    user = session.get(StaffUser, row.user_id)
    return user if user is not None and user.active else None


def logout(session: Session, token: str, now: datetime) -> None:
    row = session.exec(select(StaffSession).where(StaffSession.token_hash == _hash(token))).first()
    if row is not None and row.revoked_at is None:
        row.revoked_at = now
