"""One pass of all periodic work. `booking-app jobs tick`, the rq-scheduler job and the
embedded loop all call run_tick(); each step is idempotent and safe to run concurrently."""
from __future__ import annotations

import logging

from booking_app.db import utcnow
from booking_app.queue import resolve

log = logging.getLogger(__name__)

# Import paths of step functions `(now) -> number of things done`, run in this order.
STEPS: list[str] = [
    "booking_app.services.operations.sweeps.expire_holds",
    "booking_app.services.operations.sweeps.settle_past",
    "booking_app.services.messaging.dispatch.dispatch_due",
]


def run_tick() -> dict[str, int]:
    now = utcnow()
    results: dict[str, int] = {}
    for path in STEPS:
        name = path.rpartition(".")[2]
        try:
            results[name] = int(resolve(path)(now) or 0)
        except Exception:  # noqa: BLE001 - one failing step must not stop the others
            log.exception("periodic step %s failed", path)
            results[name] = -1
    return results
