"""Reliability: the production topology (web, RQ workers, rq-scheduler) on PostgreSQL + a private Redis
+ a real SMTP server, with and without chaos. Helpers shared by these tests live here."""
from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import uuid
from pathlib import Path

import psycopg

from tests.support.servers import ROOT, RunningServer, tool_env

# Active appointments whose busy ranges overlap on the same calendar (each pair counted twice).
OVERLAPS_SQL = """
SELECT count(*) FROM appointments a JOIN appointments b
  ON b.calendar_id = a.calendar_id AND b.id <> a.id
 AND tstzrange(b.busy_start, b.busy_end, '[)') && tstzrange(a.busy_start, a.busy_end, '[)')
 AND b.status IN ('pending', 'confirmed')
WHERE a.status IN ('pending', 'confirmed')
"""


def plain_dsn(database_url: str) -> str:
    return database_url.replace("postgresql+psycopg://", "postgresql://")


def overlapping_active(database_url: str) -> int:
    with psycopg.connect(plain_dsn(database_url), autocommit=True) as conn:
        conn.execute("ANALYZE appointments")  # so the self-join probes the exclusion constraint's GiST index
        return conn.execute(OVERLAPS_SQL).fetchone()[0]


def start_local_backend(env: dict[str, str], port: int, log_path: Path) -> RunningServer:
    """tests.support.servers.start_backend, bound to 127.0.0.1 only."""
    args = ["reflex", "run", "--env", "prod", "--backend-only", "--backend-host", "127.0.0.1",
            "--backend-port", str(port)]
    return RunningServer(args, env, port, log_path, ["/api/v1/health"])


class Proc:
    """A `booking-app ...` subprocess in a process group of its own. kill() takes RQ's work horse too
    (the horse calls setsid, so it has a group of its own)."""

    def __init__(self, args: list[str], log_dir: Path, name: str, env: dict[str, str] | None = None) -> None:
        self.name = name
        self.log_path = log_dir / f"{name}-{uuid.uuid4().hex[:6]}.log"
        self._log = open(self.log_path, "wb")
        self.process = subprocess.Popen(args, cwd=ROOT, env=tool_env(env or {}), stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def children(self) -> list[int]:
        """Direct children (an RQ worker's work horse exists only while it runs a job)."""
        try:
            return [int(c) for c in Path(f"/proc/{self.pid}/task/{self.pid}/children").read_text().split()]
        except OSError:
            return []

    def kill(self) -> None:
        if self.alive():
            children = self.children()
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGKILL)
            for child in children:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(child, signal.SIGKILL)
        self.process.wait(timeout=10)
        self._log.close()

    def stop(self, timeout: float = 20) -> None:
        """SIGTERM (an RQ worker finishes its current job first), SIGKILL after `timeout`."""
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                pass
        self.kill()

    def finish(self, timeout: float = 60) -> int:
        try:
            return self.process.wait(timeout=timeout)
        finally:
            self._log.close()

    def log_tail(self, lines: int = 30) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])


def worker(log_dir: Path, *, burst: bool = False) -> Proc:
    args = ["booking-app", "worker"] + (["--burst"] if burst else [])
    return Proc(args, log_dir, "worker-burst" if burst else "worker")
