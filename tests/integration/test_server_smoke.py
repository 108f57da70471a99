"""The real Reflex backend serves the API (embedded SQLite and PostgreSQL)."""
from __future__ import annotations

import httpx

from tests.conftest import free_port
from tests.support.servers import start_backend


def test_reflex_backend_serves_the_api(database, tmp_path):
    env = {"DATABASE_URL": database if database.startswith("postgresql") else "",
           "SQLITE_PATH": database.removeprefix("sqlite:///") if database.startswith("sqlite") else ""}
    with start_backend(env, free_port(), tmp_path / "backend.log") as server:
        health = httpx.get(server.base_url + "/api/v1/health").json()
        assert health == {"status": "ok", "database": "ok", "queue": "embedded"}
        spec = httpx.get(server.base_url + "/api/v1/openapi.json").json()
        assert spec["openapi"].startswith("3.") and "/api/v1/appointments" in spec["paths"]
        missing = httpx.get(server.base_url + "/api/v1/no/such/thing")
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
