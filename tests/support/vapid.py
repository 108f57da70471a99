"""A fresh VAPID key pair, as the app's settings take it (base64url, no padding)."""
from __future__ import annotations

import base64

from cryptography.hazmat.primitives import serialization
from py_vapid import Vapid02


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def vapid_env() -> dict[str, str]:
    vapid = Vapid02()
    vapid.generate_keys()
    private = vapid.private_key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                              serialization.NoEncryption())
    public = vapid.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return {"VAPID_PRIVATE_KEY": _b64(private), "VAPID_PUBLIC_KEY": _b64(public)}
