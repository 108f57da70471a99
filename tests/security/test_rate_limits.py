"""One rate limiter for both ways in (booking_app/services/limits.py): the limiter itself against real
Redis and in-process, the client address behind proxies, bookings through the API and through the
booking page sharing one budget, and staff sign-in backing off without letting anyone lock an admin out.

Every test gets its own key prefix, so nothing it counts is seen by another test."""
from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from argon2 import extract_parameters
from reflex.app import EventNamespace
from reflex.istate.data import RouterData

from booking_app.db import session_scope, utcnow
from booking_app.domain.availability import slot_id_for
from booking_app.errors import RateLimited, Unauthorized
from booking_app.services.access import limits, staff_auth
from booking_app.services.access.limits import Backoff, Limiter, MemoryBackend, RedisBackend, Window
from booking_app.services.access.users import create_user
from booking_app.settings import get_settings
from booking_app.viewmodels import customer_view
from tests.conftest import use_env
from tests.integration.conftest import booking_body, future_day, make_calendar, zulu  # noqa: F401

T0 = 1_800_000_000.0  # a fixed clock for the limiter: nothing here depends on how fast the machine is


def retry_after(excinfo) -> int:
    return excinfo.value.extra["retry_after"]


# -- the limiter, in Redis and in this process ---------------------------------------------------------

@pytest.fixture(params=["memory", "redis"])
def limiter(request):
    prefix = f"slotwise-test:{uuid.uuid4().hex}:"
    if request.param == "memory":
        yield Limiter(MemoryBackend(), prefix)
        return
    backend = RedisBackend(request.getfixturevalue("redis_url"))
    yield Limiter(backend, prefix)
    for key in backend.client.scan_iter(match=f"{prefix}*"):
        backend.client.delete(key)


def test_a_window_admits_its_limit_then_answers_with_when_to_come_back(limiter):
    rule = [Window(limiter.key("w"), 3, 60)]
    for i in range(3):
        limiter.attempt(rule, now=T0 + i)
    with pytest.raises(RateLimited) as refused:
        limiter.attempt(rule, now=T0 + 10)
    assert retry_after(refused) == 50  # the first attempt leaves the window at T0 + 60
    assert refused.value.message == "Too many attempts. Try again in 50 seconds."
    with pytest.raises(RateLimited) as refused:  # refusals are not counted: the wait only shrinks
        limiter.attempt(rule, now=T0 + 59)
    assert retry_after(refused) == 1
    limiter.attempt(rule, now=T0 + 60.5)  # sliding: one slot came free
    with pytest.raises(RateLimited) as refused:
        limiter.attempt(rule, now=T0 + 60.6)
    assert retry_after(refused) == 1  # the second attempt (T0 + 1) leaves at T0 + 61


def test_rules_are_all_or_nothing(limiter):
    """A booking refused for its email does not use up its address's budget."""
    address, email = Window(limiter.key("ip"), 5, 60), Window(limiter.key("email"), 1, 60)
    limiter.attempt([address, email], now=T0)
    for _ in range(10):
        with pytest.raises(RateLimited):
            limiter.attempt([address, email], now=T0 + 1)
    for i in range(4):
        limiter.attempt([address, Window(limiter.key(f"other-{i}"), 1, 60)], now=T0 + 2)
    with pytest.raises(RateLimited):
        limiter.attempt([address], now=T0 + 3)


def test_a_backoff_doubles_up_to_its_cap_and_a_success_resets_it(limiter):
    rule = [Backoff(limiter.key("b"), free=2, base=1, cap=8, ttl=600)]
    now = T0
    for _ in range(2):  # the free failures
        limiter.attempt(rule, now=now).failed(now=now)
    waits = []
    for _ in range(6):
        with pytest.raises(RateLimited) as refused:
            limiter.attempt(rule, now=now)
        waits.append(retry_after(refused))
        now += retry_after(refused)
        limiter.attempt(rule, now=now).failed(now=now)
    assert waits == [1, 2, 4, 8, 8, 8]
    with pytest.raises(RateLimited):
        limiter.attempt(rule, now=now + 7)
    limiter.attempt(rule, now=now + 8).succeeded(now=now + 8)
    limiter.attempt(rule, now=now + 8).failed(now=now + 8)  # free again
    limiter.attempt(rule, now=now + 8).failed(now=now + 8)


def test_a_backoff_admits_one_attempt_at_a_time_while_it_waits(limiter):
    """Parallel guesses cannot share one wait: the admitted attempt holds the next one back until it ends."""
    rule = [Backoff(limiter.key("b"), free=1, base=4, cap=60, ttl=600)]
    limiter.attempt(rule, now=T0).failed(now=T0)
    attempt = limiter.attempt(rule, now=T0 + 4)
    with pytest.raises(RateLimited):
        limiter.attempt(rule, now=T0 + 4)
    attempt.succeeded(now=T0 + 4.1)
    limiter.attempt(rule, now=T0 + 4.1)


def test_concurrent_attempts_never_exceed_the_limit(limiter):
    rule = [Window(limiter.key("race"), 5, 60)]
    admitted, barrier = [], threading.Barrier(20)

    def attempt():
        barrier.wait()
        try:
            limiter.attempt(rule, now=T0)
            admitted.append(1)
        except RateLimited:
            pass

    threads = [threading.Thread(target=attempt) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(admitted) == 5


def test_redis_keys_are_namespaced_and_expire(redis_url):
    prefix = f"slotwise-test:{uuid.uuid4().hex}:"
    backend = RedisBackend(redis_url)
    limiter = Limiter(backend, prefix)
    now = time.time()  # Redis expires keys by its own clock
    limiter.attempt([Window(limiter.key("booking", "ip", "198.51.100.1"), 5, 3600)], now=now)
    limiter.attempt([Backoff(limiter.key("login", "account", "x"), 0, 1, 30, 900)], now=now).failed(now=now)
    keys = list(backend.client.scan_iter(match=f"{prefix}*"))
    assert len(keys) == 2
    for key in keys:
        assert 0 < backend.client.pttl(key) <= 3600 * 1000, key
        backend.client.delete(key)


def test_memory_backend_forgets_expired_keys():
    backend = MemoryBackend()
    backend.SWEEP_EVERY = 1
    limiter = Limiter(backend, "t:")
    for i in range(50):
        limiter.attempt([Window(limiter.key(str(i)), 1, 10)], now=T0)
    limiter.attempt([Window(limiter.key("late"), 1, 10)], now=T0 + 11)
    assert set(backend._windows) == {"t:late"}


def test_a_redis_outage_falls_back_to_counting_in_this_process():
    limiter = Limiter(RedisBackend("redis://127.0.0.1:1/0"), f"slotwise-test:{uuid.uuid4().hex}:")
    rule = [Window(limiter.key("w"), 1, 60)]
    limiter.attempt(rule, now=T0)
    with pytest.raises(RateLimited):
        limiter.attempt(rule, now=T0 + 1)


def test_retry_messages_read_well():
    assert limits.retry_message(1) == "Too many attempts. Try again in 1 second."
    assert limits.retry_message(40) == "Too many attempts. Try again in 40 seconds."
    assert limits.retry_message(900) == "Too many attempts. Try again in 15 minutes."
    assert limits.rate_limited(0.2).extra["retry_after"] == 1  # never 0: Retry-After 0 invites a hot loop


# -- the client address --------------------------------------------------------------------------------

PROXIES = limits.trusted_networks("10.0.0.0/8, 2001:db8:ffff::1")


@pytest.mark.parametrize("peer, forwarded, expected", [
    ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # an untrusted peer: its header is its own invention
    ("10.0.0.1", None, "10.0.0.1"),  # a proxy without the header: the proxy itself
    ("10.0.0.1", "198.51.100.1", "198.51.100.1"),
    ("10.0.0.1", "6.6.6.6, 198.51.100.1", "198.51.100.1"),  # the left part is whatever the client sent
    ("10.0.0.1", "6.6.6.6, 198.51.100.1, 10.0.0.7", "198.51.100.1"),  # two proxies deep
    ("10.0.0.1", "10.0.0.9, 10.0.0.7", "10.0.0.9"),  # all trusted: the farthest proxy
    ("10.0.0.1", "not-an-ip, 10.0.0.7", "10.0.0.7"),  # garbage: counted against the nearest proxy
    ("10.0.0.1", "198.51.100.1:4711", "198.51.100.1"),
    ("10.0.0.1", "[2001:db8::5]:443", "2001:db8::5"),
    ("::ffff:10.0.0.1", "198.51.100.1", "198.51.100.1"),
    ("2001:db8:ffff::1", "198.51.100.1", "198.51.100.1"),
    (None, "198.51.100.1", "unknown"),
])
def test_forwarded_for_is_believed_only_from_trusted_proxies(peer, forwarded, expected):
    assert limits.client_ip(peer, forwarded, PROXIES) == expected


def test_no_trusted_proxies_means_the_socket_peer(monkeypatch):
    use_env(monkeypatch, {"TRUSTED_PROXIES": ""})
    assert limits.client_ip("10.0.0.1", "198.51.100.1") == "10.0.0.1"
    use_env(monkeypatch, {"TRUSTED_PROXIES": "10.0.0.1"})
    assert limits.client_ip("10.0.0.1", "198.51.100.1") == "198.51.100.1"


def test_a_bad_trusted_proxies_setting_stops_the_start(monkeypatch):
    monkeypatch.setenv("TRUSTED_PROXIES", "10.0.0.1, proxy.internal")
    get_settings.cache_clear()
    with pytest.raises(ValueError, match="proxy.internal"):
        get_settings()
    monkeypatch.undo()
    get_settings.cache_clear()


def reflex_router(client: tuple[str, int], headers: list[tuple[bytes, bytes]]) -> RouterData:
    """What a Reflex state's `self.router` holds for a socket from `client` sending `headers`, built by
    Reflex's own connection code (so a Reflex upgrade that moves the peer shows up here)."""
    environ = {"asgi.scope": {"type": "websocket", "client": client, "headers": headers}}
    return RouterData.from_router_data(EventNamespace._build_static_router_data(None, "sid", environ))


def test_pages_use_the_same_rule_with_reflex_router_data(monkeypatch):
    use_env(monkeypatch, {"TRUSTED_PROXIES": "10.0.0.0/8"})
    spoof = [(b"x-forwarded-for", b"198.51.100.1"), (b"asgi-scope-client", b"10.0.0.1")]
    assert limits.client_ip_of_router(reflex_router(("203.0.113.5", 5000), spoof)) == "203.0.113.5"
    assert limits.client_ip_of_router(reflex_router(("10.0.0.2", 5000), spoof)) == "198.51.100.1"
    assert limits.client_ip_of_router(reflex_router(("10.0.0.2", 5000), [])) == "10.0.0.2"


# -- bookings: the API and the booking page, one budget -----------------------------------------------

@pytest.fixture(params=["memory", "redis"])
def limited(request, monkeypatch):
    """Limits on, small budgets, the test client (127.0.0.1) as the trusted proxy, a fresh key prefix."""
    redis = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    monkeypatch.setattr(limits, "KEY_PREFIX", f"slotwise-test:{uuid.uuid4().hex}:")
    use_env(monkeypatch, {"RATE_LIMIT_ENABLED": "true", "RATE_LIMIT_PER_MINUTE": "1000", "REDIS_URL": redis,
                          "TRUSTED_PROXIES": "127.0.0.1", "RATE_LIMIT_BOOKING_PER_IP": "3",
                          "RATE_LIMIT_BOOKING_PER_EMAIL": "2", "RATE_LIMIT_BOOKING_WINDOW_SECONDS": "3600"})
    yield request.param
    monkeypatch.undo()
    get_settings.cache_clear()


def post_booking(client, calendar, *, ip: str | None, email: str, hour: int = 10):
    headers = {"X-Forwarded-For": ip} if ip else {}
    return client.post("/api/v1/appointments", headers=headers,
                       json=booking_body(calendar, future_day(9).replace(hour=hour), email=email))


def assert_429(response) -> int:
    assert response.status_code == 429, response.text
    body = response.json()
    assert body["error"] == "rate_limited" and body["message"].startswith("Too many attempts. Try again in ")
    seconds = int(response.headers["Retry-After"])
    assert body["retry_after"] == seconds and 1 <= seconds <= 3600
    return seconds


def test_api_bookings_are_limited_per_client_address(client, admin, make_calendar, limited):
    calendar = make_calendar()
    for i in range(3):
        assert post_booking(client, calendar, ip="198.51.100.7", email=f"c{i}@example.com").status_code != 429, i
    assert_429(post_booking(client, calendar, ip="198.51.100.7", email="c9@example.com"))
    assert post_booking(client, calendar, ip="198.51.100.8", email="c9@example.com").status_code != 429
    # Staff book for customers (by phone, at the desk) outside the customers' limits.
    assert post_booking(admin, calendar, ip="198.51.100.7", email="c10@example.com").status_code != 429


def test_api_bookings_are_limited_per_customer_email(client, make_calendar, limited):
    calendar = make_calendar()
    assert post_booking(client, calendar, ip="198.51.100.21", email="Ann@Example.com").status_code != 429
    assert post_booking(client, calendar, ip="198.51.100.22", email=" ann@example.com").status_code != 429
    assert_429(post_booking(client, calendar, ip="198.51.100.23", email="ANN@EXAMPLE.COM"))
    assert post_booking(client, calendar, ip="198.51.100.23", email="bob@example.com").status_code != 429


def test_forwarded_for_from_an_untrusted_peer_is_ignored(client, make_calendar, limited, monkeypatch):
    """The test client is not a proxy now: a new X-Forwarded-For per request buys no new budget."""
    use_env(monkeypatch, {"TRUSTED_PROXIES": "10.9.9.9"})
    calendar = make_calendar()
    for i in range(3):
        assert post_booking(client, calendar, ip=f"198.51.100.{30 + i}", email=f"u{i}@example.com").status_code != 429
    assert_429(post_booking(client, calendar, ip="198.51.100.99", email="u9@example.com"))


def page_booking(calendar: dict, *, ip: str, email: str, hour: int = 10) -> dict:
    """As BookingState.submit books: the booking page's own call, with the socket's client address."""
    start = future_day(9).replace(hour=hour)
    end = start + timedelta(minutes=30)
    slot = customer_view.SlotOption(slot_id=str(slot_id_for(uuid.UUID(calendar["id"]), "consult", start, end)),
                                    start_time=zulu(start), end_time=zulu(end), label="")
    return customer_view.book_from_page(calendar_id=calendar["id"], type_slug="consult", slot=slot, name="Ann Example",
                                        email=email, phone="", notes="", tz="UTC", client_ip=ip)


def test_the_booking_page_and_the_api_share_one_budget(client, make_calendar, limited):
    calendar = make_calendar()
    assert page_booking(calendar, ip="198.51.100.40", email="Dora@example.com", hour=10).status == "confirmed"
    assert post_booking(client, calendar, ip="198.51.100.41", email="dora@example.com", hour=11).status_code == 201
    with pytest.raises(RateLimited) as refused:  # the email's two bookings are used up, whichever way in
        page_booking(calendar, ip="198.51.100.42", email="dora@example.com", hour=12)
    assert 1 <= retry_after(refused) <= 3600
    assert refused.value.message == limits.retry_message(retry_after(refused))
    assert_429(post_booking(client, calendar, ip="198.51.100.43", email="DORA@example.com", hour=13))

    # Per address too: two bookings through the API and one through the page use up 198.51.100.44.
    for hour, email in ((14, "e1@example.com"), (15, "e2@example.com")):
        assert post_booking(client, calendar, ip="198.51.100.44", email=email, hour=hour).status_code == 201
    page_booking(calendar, ip="198.51.100.44", email="e3@example.com", hour=16)
    with pytest.raises(RateLimited):
        page_booking(calendar, ip="198.51.100.44", email="e4@example.com", hour=17)


def test_the_booking_page_shows_the_wait_in_words(monkeypatch):
    """BookingState.submit turns the limiter's refusal into the page's problem line (and passes the
    socket's address to the limit)."""
    from booking_app.state.booking import BookingState

    seen = {}

    def refuse(**kwargs):
        seen.update(kwargs)
        raise limits.rate_limited(40)

    monkeypatch.setattr(customer_view, "book_from_page", refuse)
    state = BookingState(_reflex_internal_init=True)
    state.router = reflex_router(("203.0.113.77", 5000), [])
    state.page = customer_view.CalendarPage(id=str(uuid.uuid4()), slug="clinic", name="Dr. Rivera", business="Clinic",
                                            timezone="UTC", language="en", policy="", reminder_hint="", types=[])
    state.type_slug = "consult"
    state.slot = customer_view.SlotOption(slot_id="x", start_time="2030-01-01T10:00:00Z",
                                          end_time="2030-01-01T10:30:00Z", label="10:00 AM")
    for _ in BookingState.submit.fn(state, {"name": "Ann", "email": "ann@example.com", "phone": "", "notes": ""}):
        pass
    assert seen["client_ip"] == "203.0.113.77" and seen["email"] == "ann@example.com"
    assert state.problem == "Too many attempts. Try again in 40 seconds."
    assert not state.booked and not state.submitting


# -- staff sign-in -----------------------------------------------------------------------------------------

@pytest.fixture(params=["memory", "redis"])
def login_limits(request, monkeypatch, database):
    redis = request.getfixturevalue("redis_url") if request.param == "redis" else ""
    monkeypatch.setattr(limits, "KEY_PREFIX", f"slotwise-test:{uuid.uuid4().hex}:")
    use_env(monkeypatch, {"RATE_LIMIT_ENABLED": "true", "REDIS_URL": redis})
    yield
    monkeypatch.undo()
    get_settings.cache_clear()


def make_staff(role: str = "admin", password: str = "correct horse battery") -> tuple[str, str]:
    email = f"{role}-{uuid.uuid4().hex[:8]}@clinic.example"
    with session_scope() as session:
        create_user(session, email=email, name="Sam", password=password, role=role)
    return email, password


def sign_in(email: str, password: str, *, ip: str, at) -> str:
    """As the sign-in page calls it: one unit of work per attempt."""
    with session_scope() as session:
        return staff_auth.login(session, email=email, password=password, now=at, client_ip=ip)[0]


def test_login_backoff_grows_and_a_success_resets_it(login_limits, monkeypatch):
    use_env(monkeypatch, {"RATE_LIMIT_LOGIN_FREE_FAILURES": "3", "RATE_LIMIT_LOGIN_BACKOFF_SECONDS": "2",
                          "RATE_LIMIT_LOGIN_BACKOFF_MAX_SECONDS": "16"})
    email, password = make_staff("staff")
    now, ip = utcnow(), "198.51.100.60"
    for _ in range(3):
        with pytest.raises(Unauthorized):
            sign_in(email, "wrong password", ip=ip, at=now)
    waits = []
    for _ in range(5):
        with pytest.raises(RateLimited) as refused:
            sign_in(email, password, ip=ip, at=now)  # even the right password has to wait its turn
        waits.append(retry_after(refused))
        now += timedelta(seconds=retry_after(refused))
        with pytest.raises(Unauthorized):
            sign_in(email, "wrong password", ip=ip, at=now)
    assert waits == [2, 4, 8, 16, 16]  # doubling, capped: never a 15-minute lock
    with pytest.raises(RateLimited) as refused:
        sign_in(email, password, ip=ip, at=now)
    assert refused.value.message == "Too many attempts. Try again in 16 seconds."
    assert sign_in(email, password, ip=ip, at=now + timedelta(seconds=16))
    for _ in range(3):  # the success reset the backoff: the free failures are free again
        with pytest.raises(Unauthorized):
            sign_in(email, "wrong password", ip=ip, at=now + timedelta(seconds=17))


def test_hammering_an_admins_email_from_one_address_does_not_lock_the_admin_out(login_limits):
    """With the default limits: guessing one account from one address is slowed to a trickle (backoff per
    account and address); spraying guesses over accounts gets the address blocked (per-address limit).
    Neither keeps the admin, signing in from elsewhere, out for even a second."""
    settings = get_settings()
    admin_email, password = make_staff("admin")
    other_email, other_password = make_staff("staff")
    start, attacker, admin_ip = utcnow(), "203.0.113.66", "198.51.100.70"
    guesses = 0
    for second in range(0, 600, 2):  # a guess every two seconds at the admin's email, for ten minutes
        try:
            sign_in(admin_email, f"guess {second}", ip=attacker, at=start + timedelta(seconds=second))
        except Unauthorized:
            guesses += 1
        except RateLimited:
            pass
    assert settings.rate_limit_login_free_failures < guesses < 16  # slowed down: a handful, not three hundred
    now = start + timedelta(minutes=10)
    assert sign_in(admin_email, password, ip=admin_ip, at=now)  # the admin, elsewhere, gets straight in

    outcomes = []
    for i in range(40):  # now spraying: other accounts, each with its own backoff, from the same address
        try:
            sign_in(f"someone-{i}@clinic.example", "guess", ip=attacker, at=now)
        except (Unauthorized, RateLimited) as exc:
            outcomes.append(type(exc).__name__)
    assert guesses + outcomes.count("Unauthorized") == settings.rate_limit_login_per_ip
    assert outcomes[-1] == "RateLimited"
    with pytest.raises(RateLimited):  # the address is blocked for every account, even with a right password
        sign_in(other_email, other_password, ip=attacker, at=now)
    assert sign_in(other_email, other_password, ip=admin_ip, at=now)  # ...only that address
    assert sign_in(admin_email, password, ip=admin_ip, at=now)
    with pytest.raises(RateLimited):  # and the admin's successes did not unblock the attacker
        sign_in(admin_email, "guess again", ip=attacker, at=now + timedelta(seconds=1))


def test_guessing_from_many_addresses_only_slows_the_account_down(login_limits, monkeypatch):
    use_env(monkeypatch, {"RATE_LIMIT_LOGIN_ACCOUNT_FREE_FAILURES": "10", "RATE_LIMIT_LOGIN_ACCOUNT_MAX_SECONDS": "30"})
    email, password = make_staff("admin")
    now = utcnow()
    for i in range(10):
        with pytest.raises(Unauthorized):
            sign_in(email, "guess", ip=f"203.0.113.{i}", at=now)
    waits = []
    for i in range(10, 16):
        with pytest.raises(RateLimited) as refused:
            sign_in(email, "guess", ip=f"203.0.113.{i}", at=now)
        waits.append(retry_after(refused))
        now += timedelta(seconds=retry_after(refused))
        with pytest.raises(Unauthorized):
            sign_in(email, "guess", ip=f"203.0.113.{i}", at=now)
    assert waits == [1, 2, 4, 8, 16, 30]
    with pytest.raises(RateLimited) as refused:  # the owner waits at most the account's cap, then is in
        sign_in(email, password, ip="198.51.100.80", at=now)
    assert retry_after(refused) <= 30
    assert sign_in(email, password, ip="198.51.100.80", at=now + timedelta(seconds=retry_after(refused)))


def test_an_unknown_email_costs_the_same_argon2_verification(login_limits, monkeypatch):
    """No timing oracle: a known and an unknown email both run exactly one argon2 verification, with the
    same parameters (memory, time, parallelism), so their response times cannot tell them apart."""
    email, password = make_staff("staff")
    verified = []
    real = staff_auth.hasher
    staff_auth.dummy_hash()  # made (once per process) by the real hasher

    class Spy:
        def verify(self, password_hash, secret):
            verified.append(password_hash)
            return real.verify(password_hash, secret)

        def __getattr__(self, name):
            return getattr(real, name)

    monkeypatch.setattr(staff_auth, "hasher", Spy())
    now = utcnow()
    with pytest.raises(Unauthorized):
        sign_in(f"nobody-{uuid.uuid4().hex[:6]}@clinic.example", "some password", ip="198.51.100.90", at=now)
    with pytest.raises(Unauthorized):
        sign_in(email, "some password", ip="198.51.100.91", at=now)
    assert len(verified) == 2
    unknown_hash, known_hash = verified
    assert unknown_hash == staff_auth.dummy_hash()
    assert extract_parameters(unknown_hash) == extract_parameters(known_hash) == extract_parameters(real.hash("x"))


def test_the_sign_in_page_shows_the_wait_in_words(monkeypatch):
    """LoginState.submit hands the socket's client address to the login (off the event loop) and shows a
    refusal as a sentence."""
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    from booking_app.state import login as login_page

    seen = {}

    def refuse(email, password, client_ip):
        seen.update(email=email, client_ip=client_ip)
        raise limits.rate_limited(40)

    monkeypatch.setattr(login_page, "_login", refuse)
    state = login_page.LoginState(_reflex_internal_init=True)
    state.router = reflex_router(("203.0.113.78", 5000), [(b"x-forwarded-for", b"198.51.100.1")])

    async def run():
        async for _ in login_page.LoginState.submit.fn(state, {"email": "Admin@clinic.example", "password": "pw"}):
            pass

    with ThreadPoolExecutor(1) as pool:  # a thread of its own: earlier browser tests leave a loop running here
        pool.submit(asyncio.run, run()).result()
    assert seen == {"email": "Admin@clinic.example", "client_ip": "203.0.113.78"}  # not a trusted proxy
    assert state.error == "Too many attempts. Try again in 40 seconds." and not state.busy


def test_the_limits_can_be_switched_off(login_limits, monkeypatch):
    use_env(monkeypatch, {"RATE_LIMIT_ENABLED": "false"})
    email, password = make_staff("staff")
    now = utcnow()
    for _ in range(8):  # more than the free failures: still only ever "wrong password"
        with pytest.raises(Unauthorized):
            sign_in(email, "wrong password", ip="198.51.100.95", at=now)
    assert sign_in(email, password, ip="198.51.100.95", at=now)
