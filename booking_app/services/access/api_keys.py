"""API keys for staff callers: created by the CLI or the settings page, stored hashed."""
from __future__ import annotations

import uuid

from sqlmodel import Session, col, select

from booking_app.db import utcnow
from booking_app.errors import NotFound, Unauthorized, ValidationFailed
from booking_app.models import ROLES, ApiKey
from booking_app.principal import SYSTEM, Principal
from booking_app.services import audit, free_text
from booking_app.services.access.tokens import hash_token, new_token


def create_api_key(session: Session, *, name: str, role: str, actor: Principal = SYSTEM) -> tuple[ApiKey, str]:
    if role not in ROLES:
        raise ValidationFailed(f"Role must be one of {', '.join(ROLES)}.", details=[{"field": "role"}])
    if not name or len(name) > 200:
        raise ValidationFailed("Give the key a name of 1 to 200 characters.", details=[{"field": "name"}])
    free_text.check({"name": name})
    secret = new_token("sk_")
    key = ApiKey(name=name, role=role, key_prefix=secret[:8], key_hash=hash_token(secret))
    session.add(key)
    session.flush()
    audit.record(session, action="api_key.created", actor=actor, entity_type="api_key",
                 entity_id=str(key.id), data={"name": name, "role": role})
    return key, secret


def list_api_keys(session: Session) -> list[ApiKey]:
    return list(session.exec(select(ApiKey).order_by(col(ApiKey.created_at))))


def revoke_api_key(session: Session, *, key_id: uuid.UUID, actor: Principal) -> ApiKey:
    key = session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("No API key with that id.")
    if key.revoked_at is None:
        key.revoked_at = utcnow()
        audit.record(session, action="api_key.revoked", actor=actor, entity_type="api_key", entity_id=str(key.id))
    return key


def authenticate(session: Session, secret: str) -> Principal:
    key = session.exec(select(ApiKey).where(ApiKey.key_hash == hash_token(secret))).first()
    if key is None or key.revoked_at is not None:
        raise Unauthorized("The API key is missing, unknown or revoked.")
    return Principal(kind="staff", role=key.role, id=key.id, label=f"api key {key.name}", actor_type="api_key")
