"""Requests to URLs that users give the app: push endpoints today; calendar feeds, CalDAV and
webhooks later (docs: API.md, "Outbound requests").

Such a URL must not turn the worker into a proxy into its own network. Only `https` URLs whose host
has public addresses only are allowed, checked when the URL is saved and again before each request
(DNS answers change). OUTBOUND_ALLOW_PRIVATE=true also allows `http` and private hosts, for
development and tests. Requests go through `session()`, which checks every URL it is given, never
follows a redirect (that could point anywhere), times out and caps how much of a reply it reads."""
from __future__ import annotations

import ipaddress
import re
import socket
from urllib.parse import urlsplit

import requests

from booking_app.errors import UrlNotAllowed
from booking_app.settings import get_settings

TIMEOUT_SECONDS = 10
MAX_BYTES = 5 * 1024 * 1024  # calendar data; a push service answers with a few bytes
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Special-purpose blocks (IANA registries) that Python 3.11's ipaddress still counts as global.
ALSO_INTERNAL = tuple(ipaddress.ip_network(n) for n in ("192.0.0.0/24", "192.88.99.0/24", "3fff::/20", "5f00::/16"))
# Whitespace, controls and backslashes: libraries disagree on how they split a URL, so none may pass.
_AMBIGUOUS = re.compile(r"[\x00-\x20\x7f-\x9f\\]")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class UnresolvedHost(UrlNotAllowed):
    """The host did not resolve: refused when a URL is saved, but only a transient failure at send time
    (a DNS outage must not fail every push for good)."""


def check_url(url: str) -> None:
    """UrlNotAllowed (422 url_not_allowed) unless the app may send a request to `url` now."""
    allow_private = get_settings().outbound_allow_private
    host, port = _host_and_port(url, ("https", "http") if allow_private else ("https",))
    if allow_private:
        return
    for address in _addresses(host, port):
        if not is_public(address):
            raise _refused(f"{host} is not a public address")


def is_public(address: Address) -> bool:
    """Whether the app may connect to `address`: not private, loopback, link-local, multicast, reserved
    or unspecified, nor an IPv6 address that carries such an IPv4 address (mapped, 6to4, NAT64)."""
    if address.version == 6:
        embedded = address.ipv4_mapped or address.sixtofour or (
            ipaddress.IPv4Address(int(address) & 0xFFFFFFFF) if address in NAT64 else None)
        if address.is_site_local or (embedded is not None and not is_public(embedded)):
            return False
    return address.is_global and not (address.is_private or address.is_loopback or address.is_link_local
                                      or address.is_multicast or address.is_reserved or address.is_unspecified
                                      or any(address in network for network in ALSO_INTERNAL))


def _refused(reason: str) -> UrlNotAllowed:
    return UrlNotAllowed(f"This URL is not allowed: {reason}.")


def _host_and_port(url: str, schemes: tuple[str, ...]) -> tuple[str, int]:
    if not isinstance(url, str) or _AMBIGUOUS.search(url):
        raise _refused("it contains spaces, control characters or backslashes")
    parts = urlsplit(url)
    if parts.scheme not in schemes:
        raise _refused("only https URLs can be used")
    if "@" in parts.netloc:
        raise _refused("it contains a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise _refused("its port is not a number between 0 and 65535") from None
    if not parts.hostname:
        raise _refused("it has no host")
    return parts.hostname, port


def _addresses(host: str, port: int) -> list[Address]:
    """The host itself when it is an IP address, else every address it resolves to."""
    try:
        return [ipaddress.ip_address(host)]
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise UnresolvedHost(f"This URL is not allowed: {host} does not resolve.") from None
    return [ipaddress.ip_address(info[4][0]) for info in found]


class ResponseTooLarge(requests.RequestException):
    """A reply longer than the cap: the request failed (as a transport error does)."""


class _CheckedSession(requests.Session):
    def __init__(self, max_bytes: int) -> None:
        super().__init__()
        self.max_bytes = max_bytes

    # Keyword arguments only after the URL (requests' helpers call it so): narrower than Session.request.
    def request(self, method, url, **kwargs):  # type: ignore[override]
        check_url(url)
        kwargs.update(allow_redirects=False, stream=True, timeout=kwargs.get("timeout") or TIMEOUT_SECONDS)
        response = super().request(method, url, **kwargs)
        with response:
            body = bytearray()
            for chunk in response.iter_content(64 * 1024):
                body += chunk
                if len(body) > self.max_bytes:
                    raise ResponseTooLarge(f"the reply from {url} is over {self.max_bytes} bytes")
        response._content = bytes(body)  # what .content/.text return; requests has no public setter
        return response


def session(max_bytes: int = MAX_BYTES) -> requests.Session:
    """A requests session for user-given URLs (pywebpush takes one as `requests_session`)."""
    return _CheckedSession(max_bytes)
