"""Outbound requests to user-given URLs: only https to public addresses unless
OUTBOUND_ALLOW_PRIVATE; the session re-checks, never follows redirects and caps what it reads."""
from __future__ import annotations

import ipaddress
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from booking_app import outbound
from booking_app.errors import UrlNotAllowed
from booking_app.settings import get_settings
from tests.conftest import use_env

PUBLIC = ["8.8.8.8", "1.1.1.1", "93.184.216.34", "2001:4860:4860::8888", "2a00:1450:4001:82a::200a"]
NOT_PUBLIC = [
    "127.0.0.1", "127.8.9.10", "10.0.0.1", "172.16.5.4", "192.168.1.1", "169.254.169.254", "0.0.0.0", "0.1.2.3",
    "100.64.0.1", "192.0.0.8", "192.0.2.1", "198.18.0.1", "198.51.100.1", "203.0.113.9", "224.0.0.1",
    "239.255.255.250", "240.0.0.1", "255.255.255.255",
    "::", "::1", "fe80::1", "fc00::1", "fd12:3456::1", "fec0::1", "ff02::1", "ff0e::1", "2001:db8::1",
    "::ffff:127.0.0.1", "::ffff:10.0.0.1", "::ffff:169.254.169.254", "::ffff:8.8.8.8", "::127.0.0.1",
    "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe", "2002:7f00:1::1", "2002:a00:1::", "2001::1",
]


@pytest.fixture
def settings(monkeypatch):
    """Set OUTBOUND_ALLOW_PRIVATE for one test; the cached settings are rebuilt afterwards."""
    def set_to(allow_private: bool) -> None:
        use_env(monkeypatch, {"OUTBOUND_ALLOW_PRIVATE": str(allow_private).lower()})

    set_to(False)
    yield set_to
    monkeypatch.undo()
    get_settings.cache_clear()


@pytest.fixture
def resolves_to(monkeypatch):
    """Pretend DNS answers with these addresses (no network in unit tests)."""
    def answer(*addresses: str) -> None:
        def fake(host, port, *args, **kwargs):
            if not addresses:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                    for a in addresses]
        monkeypatch.setattr(outbound.socket, "getaddrinfo", fake)

    return answer


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_public(address):
    assert outbound.is_public(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", NOT_PUBLIC)
def test_private_loopback_link_local_multicast_reserved_and_embedded_ones_are_not(address):
    assert not outbound.is_public(ipaddress.ip_address(address))


def test_an_https_url_of_a_public_host_is_allowed(settings, resolves_to):
    resolves_to("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946")
    outbound.check_url("https://push.example.com/send/abc?x=1")
    outbound.check_url("https://push.example.com:8443/send")
    outbound.check_url("https://8.8.8.8/x")
    outbound.check_url("https://[2001:4860:4860::8888]/x")


@pytest.mark.parametrize("url", [
    "http://push.example.com/send", "ftp://push.example.com/", "file:///etc/passwd", "gopher://push.example.com/",
    "javascript:alert(1)", "push.example.com/send", "//push.example.com/send", "https://", "https:///path",
    "https://user:pass@push.example.com/", "https://push.example.com@127.0.0.1/", "https://push.example.com:99999/",
    "https://push.example.com:port/", "https://push.example.com/ send", "https://push.example.com\\@127.0.0.1/",
    "https://push.example.com/\r\nHost: x", " https://push.example.com/", "https://push.example.com/\x00",
    "https://push.exam\u0085ple.com/", "",
])
def test_malformed_or_non_https_urls_are_refused(settings, resolves_to, url):
    resolves_to("93.184.216.34")
    with pytest.raises(UrlNotAllowed) as refused:
        outbound.check_url(url)
    assert refused.value.status_code == 422 and refused.value.code == "url_not_allowed"


@pytest.mark.parametrize("url", [
    "https://127.0.0.1/push", "https://127.1/", "https://2130706433/", "https://0x7f000001/", "https://017700000001/",
    "https://[::1]/x", "https://[::ffff:127.0.0.1]/x", "https://[::ffff:7f00:1]/x", "https://169.254.169.254/latest",
    "https://10.0.0.1/x", "https://0.0.0.0/", "https://[fe80::1]/x", "https://224.0.0.251/", "https://localhost/x",
    "https://LOCALHOST./x",
])
def test_ip_literals_and_names_of_internal_addresses_are_refused(settings, url):
    """Resolved for real: IP literals in any notation and localhost need no network."""
    with pytest.raises(UrlNotAllowed):
        outbound.check_url(url)


@pytest.mark.parametrize("answer", [("10.1.2.3",), ("93.184.216.34", "127.0.0.1"), ("::1",),
                                    ("2606:2800:220:1::1", "fd00::5"), ()])
def test_a_name_with_any_internal_address_or_none_at_all_is_refused(settings, resolves_to, answer):
    resolves_to(*answer)
    with pytest.raises(UrlNotAllowed):
        outbound.check_url("https://push.example.com/send")


def test_allow_private_also_allows_http_and_internal_hosts_but_keeps_the_shape_checks(settings, resolves_to):
    settings(True)
    resolves_to()  # not even resolved
    for url in ("http://127.0.0.1:8000/push/x", "https://localhost/x", "http://10.0.0.1/", "https://push.local/x"):
        outbound.check_url(url)
    for url in ("ftp://127.0.0.1/", "http://", "http://a b/", "http://user@127.0.0.1/"):
        with pytest.raises(UrlNotAllowed):
            outbound.check_url(url)


class _Server:
    """A local HTTP server: /redirect answers 302 to /target, /big sends more than the cap."""

    def __init__(self) -> None:
        self.paths: list[str] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                self.do_GET()

            def do_GET(self) -> None:
                server.paths.append(self.path)
                body = b"x" * 5000 if self.path == "/big" else b"ok"
                self.send_response(302 if self.path == "/redirect" else 200)
                if self.path == "/redirect":
                    self.send_header("Location", "/target")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.http = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.http.server_port}"
        threading.Thread(target=self.http.serve_forever, daemon=True).start()

    def stop(self) -> None:
        self.http.shutdown()


@pytest.fixture
def server():
    running = _Server()
    yield running
    running.stop()


def test_the_session_checks_each_url_before_connecting(settings, server):
    with pytest.raises(UrlNotAllowed):
        outbound.session().post(f"{server.url}/push/x", data=b"{}")
    assert server.paths == []


def test_the_session_follows_no_redirect_and_caps_the_reply(settings, server):
    settings(True)
    answer = outbound.session().post(f"{server.url}/redirect", data=b"{}")
    assert answer.status_code == 302 and server.paths == ["/redirect"]
    assert outbound.session().get(f"{server.url}/small").text == "ok"
    with pytest.raises(outbound.ResponseTooLarge):
        outbound.session(max_bytes=4096).get(f"{server.url}/big")
    assert len(outbound.session(max_bytes=5000).get(f"{server.url}/big").content) == 5000


def test_a_name_that_does_not_resolve_is_refused_when_saved_but_only_retried_when_sending(
        settings, resolves_to, monkeypatch):
    """Saving needs an answer to check; at send time a DNS outage is a transient failure, not a verdict."""
    from booking_app.notify import channels
    from tests.support.vapid import vapid_env

    resolves_to()  # no answer at all
    with pytest.raises(outbound.UnresolvedHost) as refused:
        outbound.check_url("https://push.example.com/sub/1")
    assert isinstance(refused.value, UrlNotAllowed) and refused.value.status_code == 422
    use_env(monkeypatch, vapid_env())
    subscription = {"endpoint": "https://push.example.com/sub/1", "keys": browser_push_keys()}
    with pytest.raises(channels.DeliveryError) as failed:
        channels.send_push(subscription, {"title": "Reminder"})
    assert not failed.value.permanent and "did not resolve" in str(failed.value)


def browser_push_keys() -> dict[str, str]:
    """What a browser's subscription carries: its P-256 public key and a 16-byte auth secret."""
    import base64
    import os

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    point = ec.generate_private_key(ec.SECP256R1()).public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    b64 = lambda data: base64.urlsafe_b64encode(data).decode().rstrip("=")  # noqa: E731
    return {"p256dh": b64(point), "auth": b64(os.urandom(16))}
