"""Staff users with argon2 password hashes (the console login builds on this)."""
from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from booking_app.errors import Conflict, ValidationFailed
from booking_app.models import StaffUser
from booking_app.principal import SYSTEM, Principal
from booking_app.services import audit, free_text

hasher = PasswordHasher()
MIN_PASSWORD = 10


def create_user(session: Session, *, email: str, name: str, password: str, role: str,
                actor: Principal = SYSTEM) -> StaffUser:
    free_text.check({"email": email, "name": name})
    if role not in ("admin", "staff"):
        raise ValidationFailed("Role must be admin or staff.", details=[{"field": "role"}])
    if len(password) < MIN_PASSWORD:
        raise ValidationFailed(f"Use a password of at least {MIN_PASSWORD} characters.",
                               details=[{"field": "password"}])
    user = StaffUser(email=email.strip().lower(), name=name, password_hash=hasher.hash(password), role=role)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(f"A user with the email {user.email} already exists.") from exc
    audit.record(session, action="user.created", actor=actor, entity_type="user", entity_id=str(user.id),
                 data={"email": user.email, "role": role})
    return user
