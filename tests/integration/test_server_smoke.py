"""The real Reflex backend serves the API (embedded SQLite and PostgreSQL), to our own origin only."""
from __future__ import annotations

import base64
import os
import socket
from urllib.parse import urlsplit

import httpx

from tests.conftest import free_port
from tests.support.servers import start_backend


def test_reflex_backend_serves_the_api(database, tmp_path):
    env = {"DATABASE_URL": database if database.startswith("postgresql") else "",
           "SQLITE_PATH": database.removeprefix("sqlite:///") if database.startswith("sqlite") else "",
           "PUBLIC_BASE_URL": "https://book.example.com"}
    with start_backend(env, free_port(), tmp_path / "backend.log") as server:
        health = httpx.get(server.base_url + "/api/v1/health").json()
        assert health == {"status": "ok", "database": "ok", "queue": "embedded"}
        spec = httpx.get(server.base_url + "/api/v1/openapi.json").json()
        assert spec["openapi"].startswith("3.") and "/api/v1/appointments" in spec["paths"]
        missing = httpx.get(server.base_url + "/api/v1/no/such/thing")
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
        assert_only_our_origin(server.base_url, "https://book.example.com")


def assert_only_our_origin(base_url: str, ours: str) -> None:
    """CORS and the websocket handshake answer pages of PUBLIC_BASE_URL's origin, no other site's."""
    allowed = httpx.get(base_url + "/api/v1/health", headers={"Origin": ours})
    assert allowed.headers.get("access-control-allow-origin") == ours
    foreign = httpx.get(base_url + "/api/v1/health", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in foreign.headers
    assert websocket_upgrade_status(base_url, ours) == 101
    assert websocket_upgrade_status(base_url, "https://evil.example") >= 400


def websocket_upgrade_status(base_url: str, origin: str) -> int:
    """The status line of a browser-like websocket handshake on Reflex's event socket."""
    address = urlsplit(base_url)
    request = (f"GET /_event/?EIO=4&transport=websocket HTTP/1.1\r\nHost: {address.netloc}\r\n"
               "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
               f"Sec-WebSocket-Key: {base64.b64encode(os.urandom(16)).decode()}\r\nOrigin: {origin}\r\n\r\n")
    with socket.create_connection((address.hostname, address.port), timeout=10) as connection:
        connection.sendall(request.encode())
        return int(connection.recv(256).split()[1])
