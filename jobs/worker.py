"""The RQ worker behind `booking-app worker`: it outlives Redis restarts and stops only when asked."""
from __future__ import annotations

import logging
import time

import redis
from rq import Queue, Worker

log = logging.getLogger("slotwise.worker")


class StoppableWorker(Worker):
    """Remembers a stop signal, and retries a lost Redis every few seconds (RQ backs off up to 60 s)."""
    max_connection_wait_time = 5.0
    stop_requested = False

    def request_stop(self, signum, frame):
        self.stop_requested = True
        super().request_stop(signum, frame)


def run(redis_url: str, queue_name: str, *, burst: bool = False) -> None:
    while True:
        # RQ retries a lost connection only while it waits for a job. Elsewhere (heartbeat, maintenance)
        # a Redis restart makes work() log "unhandled exception, quitting" and return, or raise from
        # its setup: either way start a fresh worker, unless we were asked to stop.
        connection = redis.Redis.from_url(redis_url)
        worker = StoppableWorker([Queue(queue_name, connection=connection)], connection=connection)
        try:
            worker.work(burst=burst, with_scheduler=True)
            if burst or worker.stop_requested:
                return
            log.warning("the RQ worker stopped on an error; starting a fresh one in 1 s")
        except redis.exceptions.RedisError as exc:
            log.warning("lost Redis (%s); starting again in 1 s", exc)
        time.sleep(1)
