"""The API's side of the shared limiter (booking_app/services/access/limits.py): the client address of a request
(X-Forwarded-For only through TRUSTED_PROXIES) and the per-address limit of the public endpoints."""
from __future__ import annotations

from fastapi import Request

from booking_app.services.access import limits


def client_ip(request: Request) -> str:
    return limits.client_ip_of_request(request)


def public_rate_limit(request: Request) -> None:
    """RATE_LIMIT_PER_MINUTE per client address, in Redis when REDIS_URL is set; RateLimited = 429 + Retry-After."""
    limits.public(client_ip(request))
