"""Short-lived signed tokens (reschedule holds, proposal answers): HMAC-SHA256 with SECRET_KEY,
so they need no table and cannot be forged or moved to another appointment."""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from datetime import datetime

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
    """The token's claims, or BadToken (forged, malformed, other appointment/purpose) / ExpiredToken."""
    claims = _claims(token)
    if claims["p"] != purpose or claims["a"] != str(appointment_id):
        raise BadToken()
    if now.timestamp() >= claims["e"]:  # compared as numbers: no date conversion to overflow
        raise ExpiredToken()
    return claims


def _claims(token: str) -> dict:
    """The claims of a token this app signed. The MAC is checked before anything is parsed; whatever
    does not have the shape `sign` gives is BadToken, never an error of its own (a 500)."""
    if not isinstance(token, str) or not token.isascii():
        raise BadToken()
    body, dot, mac = token.partition(".")
    if not dot or not hmac.compare_digest(mac, _mac(body)):
        raise BadToken()
    try:
        claims = json.loads(_unb64(body))
    except (ValueError, RecursionError):
        raise BadToken() from None
    if not (isinstance(claims, dict) and isinstance(claims.get("p"), str) and isinstance(claims.get("a"), str)
            and type(claims.get("e")) is int):
        raise BadToken()
    return claims
