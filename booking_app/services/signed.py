"""Short-lived signed tokens (reschedule holds, proposal answers): HMAC-SHA256 with SECRET_KEY,
so they need no table and cannot be forged or moved to another appointment."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime, timezone

from booking_app.settings import get_settings


class BadToken(Exception):
    pass


class ExpiredToken(Exception):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(body: str) -> str:
    key = get_settings().secret_key.get_secret_value().encode()
    return _b64(hmac.new(key, body.encode(), hashlib.sha256).digest())


def sign(purpose: str, appointment_id: uuid.UUID, expires_at: datetime, **extra) -> str:
    body = _b64(json.dumps({"p": purpose, "a": str(appointment_id), "e": int(expires_at.timestamp()), **extra},
                           separators=(",", ":")).encode())
    return f"{body}.{_mac(body)}"


def verify(token: str, purpose: str, appointment_id: uuid.UUID, now: datetime) -> dict:
    """The token's claims, or BadToken (forged, other appointment/purpose) / ExpiredToken."""
    try:
        body, mac = token.split(".", 1)
        claims = json.loads(_unb64(body))
    except (ValueError, TypeError):
        raise BadToken() from None
    if not hmac.compare_digest(mac, _mac(body)) or claims.get("p") != purpose or claims.get("a") != str(appointment_id):
        raise BadToken()
    if now >= datetime.fromtimestamp(claims["e"], tz=timezone.utc):
        raise ExpiredToken()
    return claims
