"""Console logins: argon2-checked passwords, opaque session tokens (only their hash is stored),
and a login limit counted in the audit trail, so it holds across processes and restarts."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

import sqlalchemy as sa
from argon2.exceptions import InvalidHashError, VerificationError
from sqlmodel import Session, select

from booking_app.models import AuditEvent, StaffSession, StaffUser
from booking_app.services import audit
from booking_app.services.errors import RateLimited, Unauthorized
from booking_app.services.principal import Principal
from booking_app.services.users import hasher

SESSION_LIFETIME = timedelta(days=7)
FAILURE_WINDOW = timedelta(minutes=15)
MAX_FAILURES = 5
WRONG = "That email and password do not match a staff account."


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def principal_for(user: StaffUser) -> Principal:
    return Principal(kind="staff", role=user.role, id=user.id, label=user.email, actor_type="staff")


def _anonymous(email: str) -> Principal:
    return Principal(kind="anonymous", label=email[:255], actor_type="anonymous")


def login(session: Session, *, email: str, password: str, now: datetime) -> tuple[str, StaffUser]:
    email = email.strip().lower()
    failures = session.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
        AuditEvent.action == "user.login_failed", AuditEvent.entity_id == email,
        AuditEvent.created_at > now - FAILURE_WINDOW)).scalar_one()
    if failures >= MAX_FAILURES:
        raise RateLimited("Too many failed attempts. Try again in 15 minutes.",
                          retry_after=int(FAILURE_WINDOW.total_seconds()))
    user = session.exec(select(StaffUser).where(StaffUser.email == email, StaffUser.active.is_(True))).first()
    if user is None or not _verify(user.password_hash, password):
        audit.record(session, action="user.login_failed", actor=_anonymous(email), entity_type="user",
                     entity_id=email)
        session.commit()  # the failure counts towards the limit: it must outlive the rollback Unauthorized causes
        raise Unauthorized(WRONG)
    token = secrets.token_urlsafe(32)
    session.add(StaffSession(user_id=user.id, token_hash=_hash(token), created_at=now,
                             expires_at=now + SESSION_LIFETIME))
    user.last_login_at = now
    audit.record(session, action="user.logged_in", actor=principal_for(user), entity_type="user",
                 entity_id=str(user.id))
    return token, user


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
