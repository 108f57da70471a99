"""rq-scheduler setup: the sweep every minute under a fixed job id (restarts never duplicate it)."""
from __future__ import annotations

from datetime import UTC, datetime

SWEEP_JOB_ID = "slotwise-sweep"
SWEEP_FUNC = "jobs.sweep.tick"


def register_sweep(scheduler, interval_seconds: int = 60) -> None:
    if SWEEP_JOB_ID in scheduler:
        scheduler.cancel(SWEEP_JOB_ID)
    scheduler.schedule(scheduled_time=datetime.now(UTC), func=SWEEP_FUNC, interval=interval_seconds,
                       repeat=None, id=SWEEP_JOB_ID, result_ttl=interval_seconds * 2)


def make_scheduler(redis_url: str, queue_name: str):
    import redis
    from rq_scheduler import Scheduler

    return Scheduler(queue_name=queue_name, connection=redis.Redis.from_url(redis_url), interval=5)


def run_forever(scheduler, interval_seconds: int, *, poll_seconds: float = 1.0) -> None:
    """rq-scheduler's loop, plus what it lacks: the sweep lives only in Redis, so each pass puts it
    back if Redis lost it (restart, flush), and a Redis outage is waited out instead of exiting."""
    import logging
    import time

    from redis.exceptions import RedisError

    log = logging.getLogger("slotwise.scheduler")
    registered = False  # the first pass replaces any old registration (its interval may differ)
    while True:
        try:
            if not registered or SWEEP_JOB_ID not in scheduler:
                log.info("registering the periodic sweep (every %ss)", interval_seconds)
                register_sweep(scheduler, interval_seconds)
                registered = True
            scheduler.enqueue_jobs()
        except RedisError as exc:
            log.warning("Redis unavailable (%s); retrying", exc)
        time.sleep(poll_seconds)
