"""Background work: RQ when REDIS_URL is set, an in-process thread pool in the embedded mode.

Jobs are named by import path ("jobs.notifications.send_notification") so that services
need not import jobs/ and RQ workers can load them.
"""
from __future__ import annotations

import importlib
import logging
from concurrent.futures import ThreadPoolExecutor
from functools import lru_cache

from booking_app.settings import get_settings

log = logging.getLogger(__name__)
_executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="slotwise-job")
_running: set = set()  # embedded jobs queued and not yet finished


@lru_cache(maxsize=4)
def rq_queue(redis_url: str, name: str):
    import redis
    from rq import Queue

    return Queue(name, connection=redis.Redis.from_url(redis_url))


def resolve(func_path: str):
    module, _, name = func_path.rpartition(".")
    return getattr(importlib.import_module(module), name)


def _run_embedded(func_path: str, args: tuple) -> None:
    try:
        resolve(func_path)(*args)
    except Exception:  # noqa: BLE001 - the sweep re-drives anything left undone
        log.exception("embedded job %s failed", func_path)


def enqueue(func_path: str, *args, job_id: str | None = None, retries: list[int] | None = None) -> None:
    """Queue a job. Never raises: the database row behind the job is the truth and the sweep retries.
    `retries`: seconds between RQ retries (embedded mode leaves retrying to the sweep)."""
    settings = get_settings()
    try:
        if settings.redis_url:
            from rq import Retry

            retry = Retry(max=len(retries), interval=retries) if retries else None
            rq_queue(settings.redis_url, settings.rq_queue).enqueue(func_path, *args, job_id=job_id, retry=retry)
        else:
            future = _executor.submit(_run_embedded, func_path, args)
            _running.add(future)
            future.add_done_callback(_running.discard)
    except Exception:  # noqa: BLE001
        log.warning("could not enqueue %s; the next sweep will pick it up", func_path, exc_info=True)


def drain_embedded(timeout: float = 60) -> None:
    """Wait until every embedded job queued so far has finished (tests isolate their mail with it)."""
    from concurrent.futures import wait

    wait(list(_running), timeout=timeout)
