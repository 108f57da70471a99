"""A fixed-window limit per client address for the public endpoints (per process)."""
from __future__ import annotations

import threading
import time
from collections import defaultdict

from fastapi import Request

from booking_app.services.errors import RateLimited
from booking_app.settings import get_settings

_counts: dict[tuple[str, int], int] = defaultdict(int)
_lock = threading.Lock()


def public_rate_limit(request: Request) -> None:
    settings = get_settings()
    if not settings.rate_limit_enabled:
        return
    window = int(time.time() // 60)
    client = request.client.host if request.client else "unknown"
    with _lock:
        for stale in [k for k in _counts if k[1] < window]:
            del _counts[stale]
        _counts[(client, window)] += 1
        count = _counts[(client, window)]
    if count > settings.rate_limit_per_minute:
        retry_after = 60 - int(time.time() % 60)
        raise RateLimited(f"Too many requests; try again in {retry_after} seconds.", retry_after=retry_after)
