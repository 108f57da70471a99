"""rq-scheduler setup: the sweep every minute under a fixed job id (restarts never duplicate it)."""
from __future__ import annotations

from datetime import datetime, timezone

SWEEP_JOB_ID = "slotwise-sweep"
SWEEP_FUNC = "jobs.sweep.tick"


def register_sweep(scheduler, interval_seconds: int = 60) -> None:
    if SWEEP_JOB_ID in scheduler:
        scheduler.cancel(SWEEP_JOB_ID)
    scheduler.schedule(scheduled_time=datetime.now(timezone.utc), func=SWEEP_FUNC, interval=interval_seconds,
                       repeat=None, id=SWEEP_JOB_ID, result_ttl=interval_seconds * 2)


def make_scheduler(redis_url: str, queue_name: str):
    import redis
    from rq_scheduler import Scheduler

    return Scheduler(queue_name=queue_name, connection=redis.Redis.from_url(redis_url), interval=5)
