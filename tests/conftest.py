"""Shared fixtures: real PostgreSQL (a fresh database per run), SQLite, Redis, and the API served
over real HTTP. Under CI=true a missing PostgreSQL, Redis or browser fails the run instead of skipping."""
from __future__ import annotations

import os
import secrets
import socket
import tempfile
import threading
import time
import uuid

import httpx
import psycopg
import pytest

CI = os.environ.get("CI", "").lower() in ("1", "true", "yes")
PG_ADMIN_DSN = os.environ.get("TEST_PG_ADMIN_DSN", "postgresql://postgres@127.0.0.1:5432/postgres")
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/14")
MAIL_CATCHER = tempfile.mkdtemp(prefix="slotwise-mail-")
# One strong random SECRET_KEY per test session (and per benchmark run: bench/*.py import this module). With
# DATABASE_URL set the app, worker and scheduler refuse to start without one; setting it in os.environ here
# hands it to every server and worker the tests start (tests.support.servers.tool_env copies os.environ).
SECRET_KEY = os.environ["SECRET_KEY"] = secrets.token_urlsafe(48)


def require(what: str, reason: str) -> None:
    """A missing service: fatal under CI, a skip on a developer's machine."""
    message = f"{what} is not available ({reason})"
    if CI:
        pytest.fail(f"{message}; CI=true requires it", pytrace=False)
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def configure(database_url: str = "", sqlite_path: str = "", redis_url: str = "", **extra: str) -> None:
    """Point the app's settings (read from env) at this test's services."""
    from booking_app.db import dispose_engines
    from booking_app.settings import get_settings

    values = {"DATABASE_URL": database_url, "SQLITE_PATH": sqlite_path, "REDIS_URL": redis_url,
              "RATE_LIMIT_ENABLED": "false", "MAIL_CATCHER_DIR": MAIL_CATCHER, "SMTP_HOST": "",
              "SECRET_KEY": SECRET_KEY, **extra}
    for key, value in values.items():
        os.environ[key] = value
    get_settings.cache_clear()
    dispose_engines()


def use_env(monkeypatch, values: dict[str, str]) -> None:
    """Point the app's settings at these values for this test (monkeypatch undoes them)."""
    from booking_app.settings import get_settings

    for key, value in values.items():
        monkeypatch.setenv(key, value)
    get_settings.cache_clear()


def start_private_redis():
    """A redis-server of the test's own (for tests that restart or flush it); fatal under CI when missing."""
    from tests.support.redis_server import PrivateRedis

    try:
        return PrivateRedis(free_port())
    except RuntimeError as exc:
        require("redis-server", str(exc))


@pytest.fixture(scope="session")
def pg_server() -> str:
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3) as conn:
            conn.execute("SELECT 1")
    except psycopg.Error as exc:
        require("PostgreSQL", str(exc).strip())
    return PG_ADMIN_DSN


def create_pg_database(admin_dsn: str) -> tuple[str, str]:
    name = f"slotwise_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    host_part = admin_dsn.split("://", 1)[1].rsplit("/", 1)[0]
    return name, f"postgresql+psycopg://{host_part}/{name}"


def drop_pg_database(admin_dsn: str, name: str) -> None:
    from booking_app.db import dispose_engines

    dispose_engines()
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def redis_url() -> str:
    import redis

    try:
        client = redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=3)
        client.ping()
    except redis.RedisError as exc:
        require("Redis", str(exc))
    client.flushdb()
    return TEST_REDIS_URL


@pytest.fixture(scope="session", params=["sqlite", "postgres"])
def database(request, tmp_path_factory) -> str:
    """A migrated, empty database of each kind; the app's settings point at it."""
    from booking_app.migrate import upgrade

    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("sqlite") / "slotwise.db"
        configure(sqlite_path=str(path))
        upgrade()
        yield f"sqlite:///{path}"
        return
    admin = request.getfixturevalue("pg_server")
    name, url = create_pg_database(admin)
    configure(database_url=url)
    upgrade()
    yield url
    drop_pg_database(admin, name)


class ApiServer:
    """The real FastAPI app on a real socket (uvicorn in a thread of the test process)."""

    def __init__(self) -> None:
        import uvicorn

        from booking_app.api.app import create_api_app

        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        # proxy_headers=False: like Reflex's server (granian), uvicorn must not take the client from
        # X-Forwarded-For by itself; only the app does, and only from TRUSTED_PROXIES (limits.client_ip).
        config = uvicorn.Config(create_api_app(), host="127.0.0.1", port=self.port, log_level="warning",
                                limit_concurrency=500, backlog=512, proxy_headers=False)
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("API server did not start")
            time.sleep(0.02)

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="session")
def api_server(database) -> ApiServer:
    server = ApiServer()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def admin_key(database) -> str:
    from booking_app.db import session_scope
    from booking_app.services.access.api_keys import create_api_key

    with session_scope() as session:
        return create_api_key(session, name=f"tests {uuid.uuid4().hex[:6]}", role="admin")[1]


@pytest.fixture
def client(api_server) -> httpx.Client:
    with httpx.Client(base_url=api_server.base_url, timeout=30) as c:
        yield c


@pytest.fixture
def admin(api_server, admin_key) -> httpx.Client:
    with httpx.Client(base_url=api_server.base_url, timeout=30,
                      headers={"Authorization": f"Bearer {admin_key}"}) as c:
        yield c


@pytest.fixture
def smtp(monkeypatch):
    """A real SMTP server; the app's settings point at it for this test."""
    from booking_app.queue import drain_embedded
    from booking_app.settings import get_settings
    from tests.support.smtp import SmtpServer

    drain_embedded()  # earlier tests' in-process mail must not land in this test's server
    server = SmtpServer(free_port())
    use_env(monkeypatch, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(server.port)})
    yield server.recorder
    server.stop()
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def providers(monkeypatch):
    """Twilio's Messages API and a push endpoint on a local HTTP server; SMS and push configured, and
    outbound requests to this private host allowed (OUTBOUND_ALLOW_PRIVATE)."""
    from booking_app.settings import get_settings
    from tests.support.fake_providers import Providers
    from tests.support.vapid import vapid_env

    fake = Providers()
    use_env(monkeypatch, {"TWILIO_ACCOUNT_SID": "AC" + "0" * 32, "TWILIO_AUTH_TOKEN": "secret",
                       "TWILIO_FROM_NUMBER": "+15550000000", "TWILIO_BASE_URL": fake.base_url,
                       "OUTBOUND_ALLOW_PRIVATE": "true", **vapid_env()})
    yield fake
    fake.stop()
    monkeypatch.undo()
    get_settings.cache_clear()
