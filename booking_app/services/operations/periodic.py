"""One pass of all periodic work. `booking-app jobs tick`, the rq-scheduler job and the
embedded loop all call run_tick(); each step is idempotent and safe to run concurrently."""
from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime

from booking_app.db import utcnow
from booking_app.services.messaging.dispatch import dispatch_due
from booking_app.services.operations.sweeps import expire_holds, settle_past

log = logging.getLogger(__name__)

# Steps `(now) -> number of things done`, run in this order.
STEPS: list[Callable[[datetime], int | None]] = [expire_holds, settle_past, dispatch_due]


def run_tick() -> dict[str, int]:
    now = utcnow()
    results: dict[str, int] = {}
    for step in STEPS:
        name = step.__name__
        try:
            results[name] = int(step(now) or 0)
        except Exception:  # noqa: BLE001 - one failing step must not stop the others
            log.exception("periodic step %s failed", name)
            results[name] = -1
    return results
