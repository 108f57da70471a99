"""The README's first command loads demo data with `booking-app db upgrade` and `booking-app seed-demo`:
run them as a new machine would, on both databases, and check what a visitor then finds."""
from __future__ import annotations

import re
import sqlite3
import subprocess

import psycopg
import pytest

from tests.conftest import create_pg_database, drop_pg_database
from tests.reliability import overlapping_active, plain_dsn
from tests.support.servers import ROOT, tool_env


def cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["booking-app", *args], cwd=ROOT, env=tool_env(env), capture_output=True, text=True,
                          timeout=300)


def test_demo_data_on_sqlite_is_complete_and_safe_to_load_twice(tmp_path):
    path = tmp_path / "demo.db"
    env = {"SQLITE_PATH": str(path), "DATABASE_URL": "", "REDIS_URL": ""}
    assert cli(env, "db", "upgrade").returncode == 0
    first = cli(env, "seed-demo")
    assert first.returncode == 0, first.stderr
    login = re.search(r"staff console login: admin@slotwise\.demo / (\S+)", first.stdout)
    assert login and login.group(1) != "slotwise-demo-password"  # a random password, printed once
    with sqlite3.connect(path) as db:
        calendars = {row[0] for row in db.execute("SELECT slug FROM calendars")}
        statuses = {row[0] for row in db.execute("SELECT DISTINCT status FROM appointments")}
        count = db.execute("SELECT count(*) FROM appointments").fetchone()[0]
        admins = db.execute("SELECT count(*) FROM users WHERE email = 'admin@slotwise.demo'").fetchone()[0]
    assert "harbor-physio" in calendars and len(calendars) >= 2
    assert {"confirmed", "completed", "cancelled", "no_show"} <= statuses
    assert count > 20 and admins == 1
    again = cli(env, "seed-demo")
    assert again.returncode == 0 and "(0 new appointments)" in again.stdout
    assert "admin@slotwise.demo already exists" in again.stdout and login.group(1) not in again.stdout
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT count(*) FROM appointments").fetchone()[0] == count
    refused = cli(env, "seed-demo", "--appointments", "10")  # bulk loading needs PostgreSQL's COPY
    assert refused.returncode == 2 and "PostgreSQL" in refused.stderr and "Traceback" not in refused.stderr


@pytest.mark.postgres
def test_bulk_demo_load_on_postgresql_keeps_every_guarantee(pg_server):
    name, url = create_pg_database(pg_server)
    env = {"DATABASE_URL": url, "SQLITE_PATH": "", "REDIS_URL": ""}
    try:
        assert cli(env, "db", "upgrade").returncode == 0
        loaded = cli(env, "seed-demo", "--appointments", "3000")
        assert loaded.returncode == 0, loaded.stderr
        with psycopg.connect(plain_dsn(url)) as conn:
            total = conn.execute("SELECT count(*) FROM appointments").fetchone()[0]
            paid = conn.execute("SELECT count(*) FROM payments").fetchone()[0]
            orphans = conn.execute("SELECT count(*) FROM appointments a LEFT JOIN contacts c "
                                   "ON c.id = a.customer_id WHERE c.id IS NULL").fetchone()[0]
        assert total >= 3000 and paid > 0 and orphans == 0
        assert overlapping_active(url) == 0
    finally:
        drop_pg_database(pg_server, name)
