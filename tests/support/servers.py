"""The app as a real subprocess (`reflex run --env prod`), for tests that need the real server."""
from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[2]


def tool_env(extra: dict[str, str]) -> dict[str, str]:
    env = dict(os.environ)
    env["PATH"] = f"{ROOT / '.venv' / 'bin'}:{ROOT / '.tools' / 'node_modules' / '.bin'}:{env.get('PATH', '')}"
    env.update(REFLEX_USE_SYSTEM_BUN="1", REFLEX_TELEMETRY_ENABLED="false", PYTHONUNBUFFERED="1")
    env.update(extra)
    return env


class RunningServer:
    def __init__(self, args: list[str], env: dict[str, str], port: int, log_path: Path, wait_for: list[str],
                 timeout: float = 300) -> None:
        self.base_url = f"http://127.0.0.1:{port}"
        self.log_path = log_path
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(args, cwd=ROOT, env=tool_env(env), stdout=self._log,
                                        stderr=subprocess.STDOUT, start_new_session=True)
        try:
            self._wait(wait_for, timeout)
        except BaseException:
            self.stop()
            raise

    def _wait(self, paths: list[str], timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pending = list(paths)
        while pending:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"server not ready after {timeout:.0f}s:\n{self.log_tail()}")
            try:
                if httpx.get(self.base_url + pending[0], timeout=2).status_code == 200:
                    pending.pop(0)
                    continue
            except httpx.HTTPError:
                pass
            time.sleep(0.5)

    def log_tail(self, lines: int = 40) -> str:
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        self._log.close()

    def __enter__(self) -> RunningServer:
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def start_backend(env: dict[str, str], port: int, log_path: Path) -> RunningServer:
    """Backend only: the API and the websocket, no frontend build."""
    args = ["reflex", "run", "--env", "prod", "--backend-only", "--backend-port", str(port)]
    return RunningServer(args, env, port, log_path, ["/api/v1/health"])


def start_full_app(env: dict[str, str], port: int, log_path: Path) -> RunningServer:
    """Pages, websocket and API on one port, as `make run` serves them."""
    args = ["reflex", "run", "--env", "prod", "--frontend-port", str(port), "--backend-port", str(port)]
    env = {"PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", **env}  # the only origin allowed to open the websocket
    return RunningServer(args, env, port, log_path, ["/ping", "/api/v1/health", "/"], timeout=600)
