"""Live events (appointment changed, ...) for open consoles.

Published after commit: to Redis pub/sub when REDIS_URL is set, else fanned out in-process.
Subscribers must treat events as hints and re-read the database: it is the truth.
"""
from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from functools import lru_cache

from booking_app.settings import get_settings

CHANNEL = "slotwise:events"
log = logging.getLogger(__name__)
_local_subscribers: list[Callable[[dict], object]] = []  # what a callback returns is ignored
_lock = threading.Lock()


@lru_cache(maxsize=4)
def _redis_client(url: str):
    """One client per URL and process (keyed by URL, so a changed REDIS_URL is followed)."""
    import redis

    return redis.Redis.from_url(url)


def publish(event: dict) -> None:
    """Best effort: a lost event only delays a console until its next resync."""
    try:
        if get_settings().redis_url:
            _redis_client(get_settings().redis_url).publish(CHANNEL, json.dumps(event, default=str))
        else:
            with _lock:
                subscribers = list(_local_subscribers)
            for callback in subscribers:
                callback(event)
    except Exception:  # noqa: BLE001 - events must never break a committed change
        log.warning("could not publish live event %s", event.get("type"), exc_info=True)


def subscribe_local(callback: Callable[[dict], object]) -> Callable[[], None]:
    with _lock:
        _local_subscribers.append(callback)

    def unsubscribe() -> None:
        with _lock:
            if callback in _local_subscribers:
                _local_subscribers.remove(callback)

    return unsubscribe


def appointment_event(kind: str, appointment) -> dict:
    return {
        "type": kind,
        "appointment_id": str(appointment.id),
        "calendar_id": str(appointment.calendar_id),
        "status": appointment.status,
        "start_time": appointment.start_time.isoformat(),
        "version": appointment.version,
    }
