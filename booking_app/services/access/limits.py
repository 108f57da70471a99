"""One rate limiter for both ways in: the REST API and the Reflex websocket.

Counters live in Redis when REDIS_URL is set (so every web process shares one budget), in this
process otherwise (embedded mode); a Redis outage falls back to the in-process counters rather than
failing the request. Every change is one atomic step (a Lua script in Redis, one lock here), and
every key is namespaced (`KEY_PREFIX`) and expires.

Two kinds of rule, combined into named policies:

* a **window**: at most `limit` attempts in any `window` seconds (a sliding log); an attempt over the
  limit is refused and not counted, and Retry-After says when the oldest counted one leaves the window;
* a **backoff**: after `free` consecutive failures each attempt waits `base`, then twice that, ... up
  to `cap` seconds after the last failure; a success resets it, and failures are forgotten `ttl` seconds
  after the last one.

Policies (defaults in settings.py / .env.example):

* `public`  - every public API request: RATE_LIMIT_PER_MINUTE per client address.
* `booking` - each booking by a customer, through the API or the booking page alike:
  RATE_LIMIT_BOOKING_PER_IP per address and RATE_LIMIT_BOOKING_PER_EMAIL per customer email
  (lowercased) in RATE_LIMIT_BOOKING_WINDOW_SECONDS.
* `login`   - staff sign-in. The *address* is blocked after RATE_LIMIT_LOGIN_PER_IP failures in
  RATE_LIMIT_LOGIN_WINDOW_SECONDS (whichever accounts it tried). The *account* is only ever slowed
  down: a backoff per account and address (RATE_LIMIT_LOGIN_FREE_FAILURES free, then doubling from
  RATE_LIMIT_LOGIN_BACKOFF_SECONDS up to RATE_LIMIT_LOGIN_BACKOFF_MAX_SECONDS), and a backoff per
  account from all addresses together that starts only after RATE_LIMIT_LOGIN_ACCOUNT_FREE_FAILURES
  and never waits more than RATE_LIMIT_LOGIN_ACCOUNT_MAX_SECONDS. So someone hammering an admin's
  email from one address is slowed to a trickle (and blocked once that address has failed too often),
  while the admin, from another address, signs in straight away. A success resets both backoffs but
  never the address's count of failures (else signing in to one's own account would wipe it).

The client address is `client_ip`: the socket peer, or - only when the peer is one of TRUSTED_PROXIES -
the right-most X-Forwarded-For entry that is not a trusted proxy. The API and the Reflex states call
it through `client_ip_of_request` / `client_ip_of_router`. (Reflex serves with granian, which leaves the
peer alone; should the app ever run under uvicorn, start it with FORWARDED_ALLOW_IPS="" so that uvicorn
does not rewrite the peer from X-Forwarded-For itself.)
"""
from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import threading
import time
import uuid
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from redis.exceptions import RedisError

from booking_app.errors import RateLimited
from booking_app.settings import get_settings

log = logging.getLogger(__name__)

KEY_PREFIX = "slotwise:rl:"
UNKNOWN = "unknown"
EPSILON = 1e-6  # a backoff's end is stored to the microsecond: "now" at that microsecond is after it
IPV6_GROUP_PREFIX = 64  # IPv6 clients are counted per /64: one subscriber usually holds a whole /64


# -- rules ------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Window:
    key: str
    limit: int
    window: float


@dataclass(frozen=True)
class Backoff:
    key: str
    free: int
    base: float
    cap: float
    ttl: float

    def delay(self, failures: int) -> float:
        """How long the attempt after `failures` consecutive failures has to wait after the last one."""
        if failures < self.free or self.base <= 0:
            return 0.0
        return min(self.cap, self.base * 2 ** min(failures - self.free, 64))


Rule = Window | Backoff


def retry_message(seconds: int) -> str:
    """The sentence pages and the API show: 'Too many attempts. Try again in 40 seconds.'"""
    seconds = max(1, int(seconds))
    if seconds < 120:
        return f"Too many attempts. Try again in {seconds} second{'s' if seconds != 1 else ''}."
    return f"Too many attempts. Try again in {math.ceil(seconds / 60)} minutes."


def rate_limited(wait: float) -> RateLimited:
    retry_after = max(1, math.ceil(wait))
    return RateLimited(retry_message(retry_after), retry_after=retry_after)


# -- backends ---------------------------------------------------------------------------------------

class MemoryBackend:
    """The counters of this process (embedded mode, and the fallback while Redis is unreachable)."""

    SWEEP_EVERY = 1000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._windows: dict[str, deque[tuple[float, str]]] = {}
        self._backoffs: dict[str, dict[str, float]] = {}
        self._expires: dict[str, float] = {}
        self._operations = 0

    def clear(self) -> None:
        with self._lock:
            self._windows.clear()
            self._backoffs.clear()
            self._expires.clear()

    def _live(self, key: str, now: float) -> None:
        if self._expires.get(key, math.inf) <= now:
            self._windows.pop(key, None), self._backoffs.pop(key, None), self._expires.pop(key, None)

    def _sweep(self, now: float) -> None:
        self._operations += 1
        if self._operations % self.SWEEP_EVERY == 0:
            for key in [k for k, at in self._expires.items() if at <= now]:
                self._live(key, now)

    def acquire(self, rules: Sequence[Rule], member: str, now: float) -> float:
        with self._lock:
            self._sweep(now)
            wait = 0.0
            for rule in rules:
                self._live(rule.key, now)
                if isinstance(rule, Window):
                    entries = self._windows.get(rule.key, deque())
                    while entries and entries[0][0] <= now - rule.window:
                        entries.popleft()
                    if len(entries) >= rule.limit:
                        wait = max(wait, entries[len(entries) - rule.limit][0] + rule.window - now)
                else:
                    state = self._backoffs.get(rule.key)
                    if state and state["next"] - now > EPSILON:
                        wait = max(wait, state["next"] - now)
            if wait > 0:
                return wait
            for rule in rules:
                if isinstance(rule, Window):
                    self._windows.setdefault(rule.key, deque()).append((now, member))
                    self._expires[rule.key] = now + rule.window
                else:
                    state = self._backoffs.setdefault(rule.key, {"n": 0, "next": 0.0})
                    reserve = rule.delay(int(state["n"]) + 1)  # as if this attempt fails: one at a time
                    if reserve > 0:
                        state["next"] = now + reserve
                    self._expires[rule.key] = max(self._expires.get(rule.key, 0.0), now + rule.ttl)
            return 0.0

    def failed(self, rules: Sequence[Rule], member: str, now: float) -> None:
        with self._lock:
            for rule in rules:
                if isinstance(rule, Backoff):
                    self._live(rule.key, now)
                    state = self._backoffs.setdefault(rule.key, {"n": 0, "next": 0.0})
                    state["n"] += 1
                    state["next"] = now + rule.delay(int(state["n"]))
                    self._expires[rule.key] = now + rule.ttl

    def succeeded(self, rules: Sequence[Rule], member: str, now: float) -> None:
        with self._lock:
            for rule in rules:
                if isinstance(rule, Window):
                    entries = self._windows.get(rule.key)
                    if entries:
                        self._windows[rule.key] = deque(e for e in entries if e[1] != member)
                else:
                    self._backoffs.pop(rule.key, None)
                    self._expires.pop(rule.key, None)


# ARGV: now, member, then per key: kind ("w" window | "b" backoff) and its numbers (4 each, unused = 0).
_ACQUIRE = """
local now = tonumber(ARGV[1])
local member = ARGV[2]
local EPSILON = 0.000001
local function delay(n, free, base, cap)
  if n < free or base <= 0 then return 0 end
  return math.min(cap, base * 2 ^ math.min(n - free, 64))
end
local wait = 0
for i, key in ipairs(KEYS) do
  local at = 3 + (i - 1) * 5
  local kind = ARGV[at]
  if kind == 'w' then
    local limit, window = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
    redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
    local count = redis.call('ZCARD', key)
    if count >= limit then
      local entry = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
      wait = math.max(wait, tonumber(entry[2]) + window - now)
    end
  else
    local next_at = tonumber(redis.call('HGET', key, 'next') or '0')
    if next_at - now > EPSILON then wait = math.max(wait, next_at - now) end
  end
end
if wait > 0 then return tostring(wait) end
for i, key in ipairs(KEYS) do
  local at = 3 + (i - 1) * 5
  if ARGV[at] == 'w' then
    redis.call('ZADD', key, now, member)
    redis.call('PEXPIRE', key, math.ceil(tonumber(ARGV[at + 2]) * 1000))
  else
    local free, base = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
    local cap, ttl = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
    local n = tonumber(redis.call('HGET', key, 'n') or '0')
    local reserve = delay(n + 1, free, base, cap)
    if reserve > 0 then redis.call('HSET', key, 'next', string.format('%.6f', now + reserve)) end
    if redis.call('EXISTS', key) == 1 and redis.call('PTTL', key) < ttl * 1000 then
      redis.call('PEXPIRE', key, math.ceil(ttl * 1000))
    end
  end
end
return '0'
"""

_FAILED = """
local now = tonumber(ARGV[1])
for i, key in ipairs(KEYS) do
  local at = 3 + (i - 1) * 5
  if ARGV[at] == 'b' then
    local free, base = tonumber(ARGV[at + 1]), tonumber(ARGV[at + 2])
    local cap, ttl = tonumber(ARGV[at + 3]), tonumber(ARGV[at + 4])
    local n = redis.call('HINCRBY', key, 'n', 1)
    local wait = 0
    if n >= free and base > 0 then wait = math.min(cap, base * 2 ^ math.min(n - free, 64)) end
    redis.call('HSET', key, 'next', string.format('%.6f', now + wait))
    redis.call('PEXPIRE', key, math.ceil(ttl * 1000))
  end
end
return '0'
"""

_SUCCEEDED = """
local member = ARGV[2]
for i, key in ipairs(KEYS) do
  local at = 3 + (i - 1) * 5
  if ARGV[at] == 'w' then redis.call('ZREM', key, member) else redis.call('DEL', key) end
end
return '0'
"""


class RedisBackend:
    """The counters in Redis, shared by every process: each operation is one Lua script (atomic)."""

    def __init__(self, url: str) -> None:
        import redis

        self.client = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)  # an outage costs 1 s
        self._acquire = self.client.register_script(_ACQUIRE)
        self._failed = self.client.register_script(_FAILED)
        self._succeeded = self.client.register_script(_SUCCEEDED)

    @staticmethod
    def _args(rules: Sequence[Rule], member: str, now: float) -> tuple[list[str], list[str]]:
        args = [repr(now), member]
        for rule in rules:
            if isinstance(rule, Window):
                args += ["w", str(rule.limit), repr(float(rule.window)), "0", "0"]
            else:
                args += ["b", str(rule.free), repr(float(rule.base)), repr(float(rule.cap)), repr(float(rule.ttl))]
        return [rule.key for rule in rules], args

    def acquire(self, rules: Sequence[Rule], member: str, now: float) -> float:
        keys, args = self._args(rules, member, now)
        return float(self._acquire(keys=keys, args=args))

    def failed(self, rules: Sequence[Rule], member: str, now: float) -> None:
        keys, args = self._args(rules, member, now)
        self._failed(keys=keys, args=args)

    def succeeded(self, rules: Sequence[Rule], member: str, now: float) -> None:
        keys, args = self._args(rules, member, now)
        self._succeeded(keys=keys, args=args)


_memory = MemoryBackend()
_last_warning = [0.0]


def _warn_outage(exc: Exception) -> None:
    if time.monotonic() - _last_warning[0] >= 60:  # once a minute, not once a request
        _last_warning[0] = time.monotonic()
        log.warning("rate limiter: Redis unavailable (%s); counting in this process meanwhile", exc)


@lru_cache(maxsize=4)
def _redis_backend(url: str) -> RedisBackend:
    return RedisBackend(url)


class Limiter:
    """Applies rules on a backend; Redis errors fall back to this process's counters (logged)."""

    def __init__(self, backend: MemoryBackend | RedisBackend, prefix: str = KEY_PREFIX) -> None:
        self.backend = backend
        self.prefix = prefix

    def key(self, *parts: str) -> str:
        return self.prefix + ":".join(parts)

    def _call(self, operation: str, rules: Sequence[Rule], member: str, now: float):
        try:
            return getattr(self.backend, operation)(rules, member, now)
        except RedisError as exc:  # limits still hold, per process, until Redis is back
            _warn_outage(exc)
            return getattr(_memory, operation)(rules, member, now)

    def attempt(self, rules: Sequence[Rule], *, now: float | None = None) -> Attempt:
        """Count one attempt against every rule, or raise RateLimited (counting nothing) when any refuses."""
        at = time.time() if now is None else now
        member = uuid.uuid4().hex
        wait = self._call("acquire", rules, member, at) if rules else 0.0
        if wait > 0:
            raise rate_limited(wait)
        return Attempt(self, list(rules), member)


@dataclass
class Attempt:
    """An admitted attempt: tell the limiter how it ended (only backoffs and logins care)."""

    limiter: Limiter | None
    rules: list[Rule] = field(default_factory=list)
    member: str = ""

    def failed(self, *, now: float | None = None) -> None:
        if self.limiter and self.rules:
            self.limiter._call("failed", self.rules, self.member, time.time() if now is None else now)

    def succeeded(self, *, now: float | None = None) -> None:
        if self.limiter and self.rules:
            self.limiter._call("succeeded", self.rules, self.member, time.time() if now is None else now)


NOTHING = Attempt(None)


def get_limiter() -> Limiter:
    """The limiter for the current settings: Redis when REDIS_URL is set, else this process."""
    url = get_settings().redis_url
    return Limiter(_redis_backend(url) if url else _memory, KEY_PREFIX)


# -- who is asking ----------------------------------------------------------------------------------

Network = ipaddress.IPv4Network | ipaddress.IPv6Network
Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@lru_cache(maxsize=8)
def trusted_networks(spec: str) -> tuple[Network, ...]:
    """TRUSTED_PROXIES ('10.0.0.1, 10.1.0.0/16, ::1') as networks; a bad entry raises ValueError."""
    return tuple(ipaddress.ip_network(part.strip(), strict=False) for part in spec.split(",") if part.strip())


def parse_address(value: str) -> Address | None:
    """An address as proxies write it ('1.2.3.4', '1.2.3.4:5678', '[2001:db8::1]:443', '::ffff:1.2.3.4')."""
    value = value.strip().strip('"')
    if value.startswith("["):
        value = value[1:].split("]", 1)[0]
    elif value.count(":") == 1:
        value = value.split(":", 1)[0]
    try:
        address = ipaddress.ip_address(value.split("%", 1)[0])
    except ValueError:
        return None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped
    return address


def client_ip(peer: str | None, forwarded_for: str | None, trusted: Iterable[Network] | None = None) -> str:
    """The client's address. X-Forwarded-For is believed only from a trusted proxy, and then only as far
    as it was written by trusted proxies: the right-most entry that is not a trusted proxy is the client
    (everything left of it is whatever the client chose to send)."""
    networks = tuple(trusted_networks(get_settings().trusted_proxies) if trusted is None else trusted)
    address = parse_address(peer or "")
    if address is None:
        return (peer or "").strip()[:100] or UNKNOWN

    def is_trusted(a: Address) -> bool:
        return any(a in network for network in networks)

    if not networks or not forwarded_for or not is_trusted(address):
        return str(address)
    nearest = address
    for hop in reversed(forwarded_for.split(",")):
        hop_address = parse_address(hop)
        if hop_address is None:
            break  # not written by a trusted proxy: count the request against the nearest one
        if not is_trusted(hop_address):
            return str(hop_address)
        nearest = hop_address
    return str(nearest)


def client_ip_of_request(request) -> str:
    """For FastAPI/Starlette: the socket peer plus its X-Forwarded-For headers."""
    peer = request.client.host if request.client else None
    return client_ip(peer, ", ".join(request.headers.getlist("x-forwarded-for")))


def client_ip_of_router(router) -> str:
    """For a Reflex state's `self.router`. Reflex (0.10) keeps the socket's peer in the `asgi-scope-client`
    entry of the raw headers (it sets that entry itself, over anything a client sends) and in
    `session.client_ip` (the same peer while Reflex's own trusted_proxy_hops stays off, as here)."""
    headers: Mapping[str, str] = getattr(router.headers, "raw_headers", {}) or {}
    lowered = {str(k).lower(): str(v) for k, v in headers.items()}
    peer = lowered.get("asgi-scope-client") or router.session.client_ip
    return client_ip(peer, lowered.get("x-forwarded-for"))


def _ip_key(ip: str) -> str:
    address = parse_address(ip)
    if isinstance(address, ipaddress.IPv6Address):
        return str(ipaddress.ip_network(f"{address}/{IPV6_GROUP_PREFIX}", strict=False))
    return str(address) if address else _digest(ip)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()[:32]  # no emails in Redis keys


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


# -- policies ---------------------------------------------------------------------------------------

def public(ip: str, *, now: float | None = None) -> None:
    """Every public API request: RATE_LIMIT_PER_MINUTE per client address."""
    settings = get_settings()
    if not settings.rate_limit_enabled or settings.rate_limit_per_minute <= 0:
        return
    limiter = get_limiter()
    limiter.attempt([Window(limiter.key("public", "ip", _ip_key(ip)), settings.rate_limit_per_minute, 60)], now=now)


def booking(ip: str, email: str, *, now: float | None = None) -> None:
    """One customer booking, from the API or the booking page (one budget for both): raises RateLimited."""
    settings = get_settings()
    if not settings.rate_limit_enabled:
        return
    limiter, window = get_limiter(), settings.rate_limit_booking_window_seconds
    rules = []
    if settings.rate_limit_booking_per_ip > 0:
        rules.append(Window(limiter.key("booking", "ip", _ip_key(ip)), settings.rate_limit_booking_per_ip, window))
    if settings.rate_limit_booking_per_email > 0 and normalise_email(email):
        rules.append(Window(limiter.key("booking", "email", _digest(normalise_email(email))),
                            settings.rate_limit_booking_per_email, window))
    limiter.attempt(rules, now=now)


def login(ip: str, email: str, *, now: float | None = None) -> Attempt:
    """Admit one staff sign-in (or raise RateLimited); the caller reports `failed()` or `succeeded()`."""
    settings = get_settings()
    if not settings.rate_limit_enabled:
        return NOTHING
    limiter, account = get_limiter(), _digest(normalise_email(email))
    window = settings.rate_limit_login_window_seconds
    ttl = max(float(window), 2.0 * settings.rate_limit_login_backoff_max_seconds)
    rules: list[Rule] = [
        Backoff(limiter.key("login", "account-ip", account, _ip_key(ip)), settings.rate_limit_login_free_failures,
                settings.rate_limit_login_backoff_seconds, settings.rate_limit_login_backoff_max_seconds, ttl),
        Backoff(limiter.key("login", "account", account), settings.rate_limit_login_account_free_failures,
                settings.rate_limit_login_backoff_seconds, settings.rate_limit_login_account_max_seconds, ttl),
    ]
    if settings.rate_limit_login_per_ip > 0:  # an attempt counts until it succeeds: failures stay counted
        rules.insert(0, Window(limiter.key("login", "ip", _ip_key(ip)), settings.rate_limit_login_per_ip, window))
    return limiter.attempt(rules, now=now)
