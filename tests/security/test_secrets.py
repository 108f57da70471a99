"""Secrets fail fast: with DATABASE_URL set, the real web backend (`reflex run`), `booking-app worker` and
`booking-app scheduler` refuse a missing, default or short SECRET_KEY in one line on stderr; the embedded
mode makes a random key once and keeps it; the demo admin's password is random and printed by seed-demo;
settings never show a secret."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

import pytest

from booking_app.settings import MIN_SECRET_KEY_BYTES, OLD_DEFAULT_SECRET_KEY, Settings, get_settings
from tests.conftest import free_port, use_env
from tests.support.servers import ROOT, tool_env

# Never connected to: every refusal happens before the first query.
SERVER_DATABASE_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
BAD_KEYS = {"missing": None, "old default": OLD_DEFAULT_SECRET_KEY, "31 bytes": "k" * (MIN_SECRET_KEY_BYTES - 1)}
ENTRY_POINTS = {
    "worker": ["booking-app", "worker"],
    "scheduler": ["booking-app", "scheduler"],
    "web backend": ["reflex", "run", "--env", "prod", "--backend-only", "--backend-host", "127.0.0.1",
                    "--backend-port", "{port}"],
}
LOGIN_LINE = re.compile(r"staff console login: admin@slotwise\.demo / (\S+)")


def process_env(secret_key: str | None, **values: str) -> dict[str, str]:
    """The test session's environment with these values; SECRET_KEY removed when None."""
    env = tool_env(values)
    env.pop("SECRET_KEY", None)
    if secret_key is not None:
        env["SECRET_KEY"] = secret_key
    return env


def meaningful_lines(text: str) -> list[str]:
    """Output lines, without the notes coverage adds when `make test` measures subprocesses."""
    return [line for line in text.splitlines() if line.strip() and not line.startswith("Coverage.py")]


@pytest.fixture
def settings_env(monkeypatch):
    """use_env for this test only: the cached settings are dropped again afterwards."""
    yield lambda values: use_env(monkeypatch, values)
    monkeypatch.undo()
    get_settings.cache_clear()


# -- refusing to start ----------------------------------------------------------------------------

@pytest.mark.parametrize("key", BAD_KEYS.keys())
@pytest.mark.parametrize("entry_point", ENTRY_POINTS.keys())
def test_entry_points_refuse_a_bad_secret_key_in_one_line(entry_point, key, redis_url):
    args = [arg.format(port=free_port()) for arg in ENTRY_POINTS[entry_point]]
    env = process_env(BAD_KEYS[key], DATABASE_URL=SERVER_DATABASE_URL, REDIS_URL=redis_url,
                      RQ_QUEUE=f"secrets-{uuid.uuid4().hex[:8]}")
    started = time.monotonic()
    done = subprocess.run(args, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 2, (done.stdout, done.stderr)
    assert time.monotonic() - started < 60
    errors = meaningful_lines(done.stderr)
    assert len(errors) == 1, done.stderr
    assert errors[0].startswith("slotwise: refusing to start: SECRET_KEY")
    assert 'python -c "import secrets; print(secrets.token_urlsafe(48))"' in errors[0]
    assert "Traceback" not in done.stdout + done.stderr and not meaningful_lines(done.stdout)
    if BAD_KEYS[key]:
        assert BAD_KEYS[key] not in done.stderr  # the message names the problem, never the key


def test_the_api_app_refuses_a_bad_key_in_process(settings_env, capsys):
    """The import path of every web worker (booking_app.booking_app -> create_api_app) checks too."""
    from booking_app.api.app import create_api_app

    settings_env({"DATABASE_URL": SERVER_DATABASE_URL, "SECRET_KEY": "too-short"})
    with pytest.raises(SystemExit) as exited:
        create_api_app()
    assert exited.value.code == 2
    assert "SECRET_KEY is too short (9 bytes, at least 32 needed)" in capsys.readouterr().err


def test_worker_starts_with_a_strong_key(redis_url, tmp_path):
    import secrets

    log_path = tmp_path / "worker.log"
    env = process_env(secrets.token_urlsafe(MIN_SECRET_KEY_BYTES), DATABASE_URL=SERVER_DATABASE_URL,
                      REDIS_URL=redis_url, RQ_QUEUE=f"secrets-{uuid.uuid4().hex[:8]}")
    with open(log_path, "wb") as log:
        worker = subprocess.Popen(["booking-app", "worker"], cwd=ROOT, env=env, stdout=log,
                                  stderr=subprocess.STDOUT, start_new_session=True)
    try:
        deadline = time.monotonic() + 60
        while "Listening on" not in log_path.read_text(errors="replace"):
            assert worker.poll() is None, log_path.read_text(errors="replace")
            assert time.monotonic() < deadline, log_path.read_text(errors="replace")
            time.sleep(0.2)
        assert "refusing" not in log_path.read_text(errors="replace")
    finally:
        os.killpg(worker.pid, signal.SIGTERM)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=5)


@pytest.mark.parametrize("key, problem", [
    ("", "not set"), (OLD_DEFAULT_SECRET_KEY, "old published default"), ("x" * 31, "too short (31 bytes"),
    ("é" * 15 + "x", "too short (31 bytes"),  # bytes, not characters
    ("x" * 32, None), ("é" * 16, None),
])
def test_the_rule_counts_bytes_and_applies_only_with_a_database_server(tmp_path, key, problem):
    found = Settings(_env_file=None, database_url=SERVER_DATABASE_URL, secret_key=key).secret_key_problem()
    assert found is None if problem is None else problem in found
    embedded = Settings(_env_file=None, database_url="", sqlite_path=tmp_path / "x.db", secret_key=key)
    assert embedded.secret_key_problem() is None


# -- embedded mode keeps its own key --------------------------------------------------------------

MANAGE_TOKEN = ("from uuid import UUID; from booking_app.links import manage_token_for; "
                "print(manage_token_for(UUID(int=7)))")


def embedded_token(data_dir: Path, secret_key: str | None = None) -> subprocess.Popen:
    env = process_env(secret_key, DATABASE_URL="", REDIS_URL="", SQLITE_PATH=str(data_dir / "slotwise.db"))
    return subprocess.Popen([sys.executable, "-c", MANAGE_TOKEN], cwd=ROOT, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def tokens(processes: list[subprocess.Popen]) -> list[str]:
    results = [p.communicate(timeout=60) for p in processes]
    assert all(p.returncode == 0 for p in processes), [err for _, err in results]
    return [out.strip() for out, _ in results]


def test_embedded_mode_makes_a_random_key_once_and_keeps_it(tmp_path):
    first_dir, second_dir = tmp_path / "one", tmp_path / "two"
    first_dir.mkdir()
    # Processes starting together (web workers, the CLI) agree on one key.
    together = tokens([embedded_token(first_dir) for _ in range(4)])
    assert len(set(together)) == 1
    key_file = first_dir / ".secret_key"
    key = key_file.read_text().strip()
    assert len(key.encode()) >= MIN_SECRET_KEY_BYTES and key != OLD_DEFAULT_SECRET_KEY
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert [p.name for p in first_dir.iterdir()] == [".secret_key"]  # no temporary files left behind

    # A restart keeps the key, so links in sent emails stay valid; the old default counts as no key.
    assert tokens([embedded_token(first_dir), embedded_token(first_dir, OLD_DEFAULT_SECRET_KEY)]) == together[:2]
    assert key_file.read_text().strip() == key
    # Another installation makes its own (second_dir does not exist yet: it is created).
    other = tokens([embedded_token(second_dir)])
    assert other != together[:1] and (second_dir / ".secret_key").read_text().strip() != key
    # An explicit key wins over the file.
    assert tokens([embedded_token(first_dir, "y" * 40)]) != together[:1]


def test_embedded_key_file_that_is_not_a_key_stops_the_start(tmp_path):
    (tmp_path / ".secret_key").write_text("short\n")
    with pytest.raises(RuntimeError, match="holds no usable key"):
        Settings(_env_file=None, database_url="", sqlite_path=tmp_path / "slotwise.db", secret_key="")


# -- the demo admin's password --------------------------------------------------------------------

def cli(db_path: Path, *args: str) -> subprocess.CompletedProcess:
    env = process_env(None, DATABASE_URL="", REDIS_URL="", SQLITE_PATH=str(db_path),
                      MAIL_CATCHER_DIR=str(db_path.parent / "mail"))
    done = subprocess.run(["booking-app", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def logs_in(db_path: Path, password: str) -> bool:
    from booking_app.db import session_scope
    from booking_app.errors import ServiceError
    from booking_app.services.access.staff_auth import login

    try:
        with session_scope(f"sqlite:///{db_path}") as session:
            token, user = login(session, email="admin@slotwise.demo", password=password,
                                now=datetime.now(timezone.utc))
    except ServiceError:
        return False
    return bool(token) and user.role == "admin"


def seed(db_path: Path, *extra: str) -> str | None:
    done = cli(db_path, "seed-demo", "--weeks-back", "0", "--weeks-ahead", "1", *extra)
    found = LOGIN_LINE.search(done.stdout)
    return found.group(1) if found else None


def test_seed_demo_prints_a_random_password_that_logs_in(tmp_path):
    from sqlmodel import select

    from booking_app.db import dispose_engines, session_scope
    from booking_app.demo import PUBLISHED_PASSWORD
    from booking_app.models import StaffUser
    from booking_app.services.access.users import hasher

    first_db, second_db = tmp_path / "a" / "demo.db", tmp_path / "b" / "demo.db"
    passwords = []
    for db_path in (first_db, second_db):
        db_path.parent.mkdir()
        cli(db_path, "db", "upgrade")
        passwords.append(seed(db_path))
    try:
        assert all(passwords) and passwords[0] != passwords[1] and PUBLISHED_PASSWORD not in passwords
        assert logs_in(first_db, passwords[0]) and logs_in(second_db, passwords[1])
        assert not logs_in(first_db, passwords[1])

        # Running it again is safe: the admin keeps its password, and the output says so.
        again = cli(first_db, "seed-demo", "--weeks-back", "0", "--weeks-ahead", "1")
        assert not LOGIN_LINE.search(again.stdout) and "already exists" in again.stdout
        assert logs_in(first_db, passwords[0])

        # Lost it? A reset prints a new one; the old one stops working.
        reset = seed(first_db, "--reset-admin-password")
        assert reset and reset != passwords[0]
        assert logs_in(first_db, reset) and not logs_in(first_db, passwords[0])

        # A demo loaded by an older version still has the published password: the next run replaces it.
        with session_scope(f"sqlite:///{first_db}") as session:
            admin = session.exec(select(StaffUser).where(StaffUser.email == "admin@slotwise.demo")).one()
            admin.password_hash = hasher.hash(PUBLISHED_PASSWORD)
        replaced = seed(first_db)
        assert replaced and not logs_in(first_db, PUBLISHED_PASSWORD) and logs_in(first_db, replaced)
    finally:
        dispose_engines()


# -- secrets stay hidden ----------------------------------------------------------------------------

def test_settings_never_show_a_secret():
    values = {name: f"{name}-{uuid.uuid4().hex}" * 2 for name in
              ("secret_key", "smtp_password", "twilio_auth_token", "vapid_private_key")}
    settings = Settings(_env_file=None, database_url=SERVER_DATABASE_URL, **values)
    shown = " ".join([repr(settings), str(settings), str(settings.model_dump()), settings.model_dump_json(),
                      str(settings.model_dump(mode="json"))])
    for name, value in values.items():
        assert value not in shown, name
        assert getattr(settings, name).get_secret_value() == value
