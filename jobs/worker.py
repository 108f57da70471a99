"""The RQ worker behind `booking-app worker`: it outlives Redis outages of any length, whatever state
RQ is in, and stops only when asked (SIGTERM / SIGINT)."""
from __future__ import annotations

import contextlib
import logging
import signal
import time

import redis
from rq import Queue, Worker
from rq.exceptions import StopRequested

log = logging.getLogger("slotwise.worker")
MAX_RESTART_DELAY = 5.0


class StoppableWorker(Worker):
    """Remembers a stop signal, and retries a lost Redis every few seconds (RQ backs off up to 60 s)."""
    max_connection_wait_time = 5.0
    stop_requested = False

    def request_stop(self, signum, frame):
        self.stop_requested = True
        super().request_stop(signum, frame)


def run(redis_url: str, queue_name: str, *, burst: bool = False) -> None:
    """Run RQ workers one after another until a stop signal (or, with `burst`, an empty queue).

    RQ retries a lost connection only while it waits for a job. Elsewhere (its constructor, setup,
    heartbeat, maintenance, teardown) a Redis outage makes work() log "unhandled exception, quitting"
    and return, or raises: either way a fresh worker starts after a short pause, for as long as it
    takes. Between workers (and before RQ installs its own) our handlers turn a signal into a stop."""
    stopping = False

    def stop(signum, frame):
        nonlocal stopping
        stopping = True
        raise StopRequested()

    delay = 1.0
    while True:
        worker: StoppableWorker | None = None
        started = time.monotonic()
        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        try:
            connection = redis.Redis.from_url(redis_url)
            worker = StoppableWorker([Queue(queue_name, connection=connection)], connection=connection)
            worker.work(burst=burst, with_scheduler=True)
            if burst or worker.stop_requested or stopping:
                return
            log.warning("the RQ worker stopped on an error; starting a fresh one in %.0f s", delay)
        except StopRequested:
            return
        except Exception as exc:  # noqa: BLE001 - whatever RQ met (mostly a lost Redis): start again
            if stopping or (worker is not None and worker.stop_requested):
                return
            log.warning("the RQ worker failed (%s: %s); starting a fresh one in %.0f s",
                        type(exc).__name__, exc, delay)
        finally:
            if worker is not None:
                _stop_scheduler(worker)
        try:
            signal.signal(signal.SIGTERM, stop)
            signal.signal(signal.SIGINT, stop)
            time.sleep(delay)
        except StopRequested:
            return
        # A worker that ran a while met a new outage: start again quickly; repeated failures back off.
        delay = 1.0 if time.monotonic() - started > 60 else min(delay * 2, MAX_RESTART_DELAY)


def _stop_scheduler(worker: Worker) -> None:
    """The worker's scheduler process, if RQ left it running (teardown does not run when setup fails)."""
    process = getattr(worker.scheduler, "_process", None) if worker.scheduler else None
    if process is not None and process.is_alive():
        with contextlib.suppress(Exception):
            worker.stop_scheduler()
