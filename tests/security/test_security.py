"""Security: staff routes need a key (enumerated from the OpenAPI document, so new routes are
covered without touching this file), a manage token opens only its own appointment, public
endpoints and staff logins are rate limited, customer text is escaped in emails, and secrets
never reach the logs."""
from __future__ import annotations

import base64
import logging
import re
import time
import uuid
from datetime import datetime, timedelta, timezone

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from typer.testing import CliRunner

from booking_app.api.app import create_api_app
from booking_app.services.access import limits
from booking_app.settings import get_settings
from tests.conftest import free_port, use_env
from tests.integration.conftest import book, booking_body, future_day, make_calendar, notifications  # noqa: F401

DOCUMENT = create_api_app().openapi()
ALL_DAY = {d: [["00:00", "24:00"]] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
A_ID = "/api/v1/appointments/{appointment_id}"

# Operations that deliberately take no staff key. A new route lands here only by a reviewed edit;
# one that forgets its auth dependency fails test_public_operations_are_exactly_the_reviewed_ones.
PUBLIC = {
    ("GET", "/api/v1/health"),
    ("GET", "/api/v1/push/vapid-public-key"),
    ("GET", "/api/v1/calendars/{calendar_ref}"),  # the booking page: public fields only
    ("GET", "/api/v1/calendars/{calendar_ref}/appointment-types"),
    ("GET", "/api/v1/calendars/{calendar_ref}/slots"),
    ("POST", "/api/v1/appointments"),  # booking
    # Customer routes: the manage token (or a signed link) stands in for the key.
    ("GET", A_ID), ("GET", A_ID + "/calendar.ics"), ("GET", A_ID + "/check-in-qr.png"), ("POST", A_ID + "/cancel"),
    ("POST", A_ID + "/reschedule"), ("PUT", A_ID + "/reschedule/confirm"), ("POST", A_ID + "/proposal"), ("POST", A_ID + "/check-in"),
    ("POST", A_ID + "/push-subscriptions"),
}


def operations() -> list[tuple[str, str, list[str] | None]]:
    """(method, path, roles) per documented operation; roles is None when no key is required
    (no security requirement, or an empty `{}` alternative), else the StaffApiKey roles."""
    found = []
    for path, item in DOCUMENT["paths"].items():
        for method, operation in item.items():
            requirements = operation.get("security", DOCUMENT.get("security", []))
            required = bool(requirements) and {} not in requirements
            found.append((method.upper(), path, requirements[0]["StaffApiKey"] if required else None))
    return found


STAFF = [(m, p, roles) for m, p, roles in operations() if roles is not None]
ADMIN = [(m, p, roles) for m, p, roles in STAFF if "admin" in roles]


def call(http, method: str, path: str, headers: dict | None = None):
    """Any id or slug will do: authentication is decided before the resource is looked up."""
    url = re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), path)
    return http.request(method, url, headers=headers or {}, json={} if method in ("POST", "PUT", "PATCH") else None)


def assert_error(response, status: int, code: str) -> None:
    assert response.status_code == status, (response.request.method, response.request.url, response.text)
    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["error"] == code


# -- staff routes ----------------------------------------------------------------------------------

def test_public_operations_are_exactly_the_reviewed_ones():
    assert len(STAFF) >= 9 and ADMIN  # the document really carries security requirements
    assert {(m, p) for m, p, roles in operations() if roles is None} == PUBLIC


@pytest.mark.parametrize("method, path, roles", STAFF, ids=[f"{m} {p}" for m, p, _ in STAFF])
@pytest.mark.parametrize("authorization", [None, "Bearer sk_not-a-real-key", "Basic dXNlcjpwYXNz", "Bearer"])
def test_staff_operations_answer_401_without_a_valid_key(client, method, path, roles, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    assert_error(call(client, method, path, headers), 401, "unauthorized")


@pytest.fixture(scope="session")
def staff_key(database) -> str:
    from booking_app.db import session_scope
    from booking_app.services.access.api_keys import create_api_key

    with session_scope() as session:
        return create_api_key(session, name="security staff", role="staff")[1]


@pytest.mark.parametrize("method, path, roles", ADMIN, ids=[f"{m} {p}" for m, p, _ in ADMIN])
def test_admin_operations_answer_403_to_a_staff_key(client, staff_key, method, path, roles):
    assert_error(call(client, method, path, {"Authorization": f"Bearer {staff_key}"}), 403, "forbidden")


def test_the_document_and_docs_are_public(client):
    assert client.get("/api/v1/openapi.json").status_code == 200
    assert client.get("/api/v1/docs").status_code == 200


# -- manage tokens -----------------------------------------------------------------------------------

def test_a_manage_token_opens_only_its_own_appointment(client, admin, make_calendar):
    """Both appointments start within the hour: check-in is open and cancelling is inside the policy
    window, so a wrong token must be refused before any of those rules is even considered."""
    now = datetime.now(timezone.utc)
    daytime = "UTC" if 2 <= now.hour < 20 else "Etc/GMT+12"  # no slot may run past local midnight
    calendar = make_calendar(timezone=daytime, weekly_hours=ALL_DAY, min_notice_minutes=0, reschedule_window_hours=0)
    soon = now.replace(second=0, microsecond=0) + timedelta(minutes=30 - now.minute % 15)
    a = book(client, calendar, soon)
    b = book(client, calendar, soon + timedelta(hours=1), email="bob@example.com")
    mine = {"X-Manage-Token": a["manage_token"]}
    assert client.get(f"/api/v1/appointments/{a['id']}", headers=mine).status_code == 200  # the token works

    push = {"endpoint": "https://push.example/sub", "keys": {"p256dh": "key", "auth": "auth"}}
    attempts = [("GET", "", None), ("GET", "/calendar.ics", None), ("GET", "/check-in-qr.png", None),
                ("POST", "/cancel", {"reason": "not mine"}),
                ("POST", "/reschedule", {}), ("POST", "/check-in", {"method": "link"}),
                ("POST", "/check-in", {"method": "qr_code"}), ("POST", "/push-subscriptions", push)]
    for method, suffix, body in attempts:
        url = f"/api/v1/appointments/{b['id']}{suffix}"
        assert_error(client.request(method, url, headers=mine, json=body), 403, "forbidden")
        assert_error(client.request(method, url, params={"token": a["manage_token"]}, json=body), 403, "forbidden")

    # A reschedule token is bound to its appointment too.
    reschedule_token = client.post(f"/api/v1/appointments/{a['id']}/reschedule", headers=mine,
                                   json={}).json()["reschedule_token"]
    target = soon + timedelta(hours=3)
    confirm = client.put(f"/api/v1/appointments/{b['id']}/reschedule/confirm", json={
        "reschedule_token": reschedule_token, "new_start_time": target.isoformat(),
        "new_end_time": (target + timedelta(minutes=30)).isoformat()})
    assert_error(confirm, 403, "invalid_reschedule_token")

    untouched = admin.get(f"/api/v1/appointments/{b['id']}").json()
    assert untouched["status"] == "confirmed" and untouched["check_in"] is None
    assert untouched["start_time"] == b["start_time"] and untouched["rescheduled_to_id"] is None


# -- rate limits -------------------------------------------------------------------------------------

@pytest.fixture
def rate_limited(monkeypatch):
    """Public limit of 3 per minute (a sliding window), counted under a key prefix of this test's own."""
    monkeypatch.setattr(limits, "KEY_PREFIX", f"slotwise-test:{uuid.uuid4().hex}:")
    use_env(monkeypatch, {"RATE_LIMIT_ENABLED": "true", "RATE_LIMIT_PER_MINUTE": "3"})
    yield 3
    monkeypatch.undo()
    get_settings.cache_clear()


def test_public_booking_and_slots_answer_429_with_retry_after(client, admin, make_calendar, rate_limited):
    calendar = make_calendar()
    start = future_day(9).replace(hour=10)
    for i in range(rate_limited):
        assert client.post("/api/v1/appointments", json=booking_body(calendar, start)).status_code != 429, i
    for response in (client.post("/api/v1/appointments", json=booking_body(calendar, start)),
                     client.get(f"/api/v1/calendars/{calendar['id']}/slots", params={
                         "appointment_type": "consult", "start": start.isoformat(),
                         "end": (start + timedelta(days=1)).isoformat()})):
        assert_error(response, 429, "rate_limited")
        assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert admin.get("/api/v1/calendars").status_code == 200  # staff routes are not behind the public limit


def test_staff_login_backs_off_after_repeated_failures(database, monkeypatch):
    """Called as the sign-in page calls it: one unit of work per attempt. After the free failures each
    attempt waits twice as long as the one before (even with the right password), never a fixed
    15-minute lock; a success resets it; every failure is still in the audit trail.
    tests/security/test_rate_limits.py covers the limiter, addresses and Redis in depth."""
    import sqlalchemy as sa

    from booking_app.db import session_scope, utcnow
    from booking_app.errors import RateLimited, Unauthorized
    from booking_app.models import AuditEvent
    from booking_app.services.access.staff_auth import login
    from booking_app.services.access.users import create_user

    monkeypatch.setattr(limits, "KEY_PREFIX", f"slotwise-test:{uuid.uuid4().hex}:")
    use_env(monkeypatch, {"RATE_LIMIT_ENABLED": "true"})
    free = get_settings().rate_limit_login_free_failures
    email, password, now = f"staff-{uuid.uuid4().hex[:8]}@clinic.example", "correct horse battery", utcnow()
    with session_scope() as session:
        create_user(session, email=email, name="Sam", password=password, role="staff")

    def attempt(secret: str, at: datetime) -> str:
        with session_scope() as session:
            return login(session, email=email, password=secret, now=at, client_ip="198.51.100.1")[0]

    for _ in range(free):
        with pytest.raises(Unauthorized):
            attempt("wrong password", now)
    waits = []
    for _ in range(3):
        with pytest.raises(RateLimited) as waiting:
            attempt(password, now)  # even the right password, while it has to wait
        waits.append(waiting.value.extra["retry_after"])
        now += timedelta(seconds=waits[-1])
        with pytest.raises(Unauthorized):
            attempt("wrong password", now)
    assert waits[1] == 2 * waits[0] and waits[2] == 2 * waits[1] and waits[2] < 15 * 60
    with session_scope() as session:
        assert session.execute(sa.select(sa.func.count()).select_from(AuditEvent).where(
            AuditEvent.action == "user.login_failed", AuditEvent.entity_id == email)).scalar_one() == free + 3
    with pytest.raises(RateLimited) as waiting:
        attempt(password, now)
    assert attempt(password, now + timedelta(seconds=waiting.value.extra["retry_after"]))  # the wait ends
    with pytest.raises(Unauthorized):  # and the success reset the backoff
        attempt("wrong password", now + timedelta(minutes=1))
    assert attempt(password, now + timedelta(minutes=1))


# -- escaping ----------------------------------------------------------------------------------------

HOSTILE_NAME = '<script>alert("name")</script>'
HOSTILE_NOTES = '<img src=x onerror=alert(1)> & "quotes"'


def test_customer_text_is_escaped_in_emails(client, make_calendar, smtp):
    calendar = make_calendar()
    book(client, calendar, future_day(11).replace(hour=10), customer_name=HOSTILE_NAME, notes=HOSTILE_NOTES)
    for address in ("ann@example.com", "owner@clinic.example"):
        message = smtp.wait_for(1, address=address)[0]
        html = message.get_body(preferencelist=("html",)).get_content()
        assert "<script" not in html and "<img src=x" not in html, address
        assert "&lt;script&gt;" in html, address
    owner_html = smtp.to("owner@clinic.example")[0].get_body(preferencelist=("html",)).get_content()
    assert "&lt;img src=x onerror=alert(1)&gt; &amp;" in owner_html  # the notes reach the owner, escaped


def test_api_echoes_customer_text_only_as_json(client, make_calendar):
    """The API returns text verbatim (pages render it as text nodes); whatever quotes input, even an
    error about a bad path, is JSON and never HTML a browser would run."""
    appointment = book(client, make_calendar(), future_day(11).replace(hour=12), customer_name=HOSTILE_NAME)
    assert appointment["customer_name"] == HOSTILE_NAME
    for response in (client.get("/api/v1/<script>alert(1)</script>"),
                     client.post("/api/v1/calendars", json={"name": HOSTILE_NAME}),
                     client.get(f"/api/v1/calendars/{HOSTILE_NAME}")):
        assert response.headers["content-type"].startswith("application/json"), response.text
        assert "text/html" not in response.headers["content-type"]


# -- logs --------------------------------------------------------------------------------------------

@pytest.fixture
def refusing_smtp(monkeypatch):
    """An SMTP server that offers AUTH and refuses our credentials: delivery fails after the
    password has actually been sent."""
    class Handler:
        async def handle_DATA(self, server, session, envelope):
            return "250 OK"

    port = free_port()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port, auth_require_tls=False,
                            authenticator=lambda *args: AuthResult(success=False, handled=False))
    controller.start()
    password = f"pw-{uuid.uuid4().hex}"
    use_env(monkeypatch, {"SMTP_HOST": "127.0.0.1", "SMTP_PORT": str(port), "SMTP_USERNAME": "mailer",
                       "SMTP_PASSWORD": password})
    yield password
    controller.stop()
    monkeypatch.undo()
    get_settings.cache_clear()


def test_secrets_never_reach_the_logs(caplog, client, make_calendar, refusing_smtp):
    from booking_app.cli import app as cli

    caplog.set_level(logging.DEBUG)
    for client_side in ("httpx", "httpcore"):  # this test's own HTTP client logs the URLs it requests
        caplog.set_level(logging.WARNING, logger=client_side)
    created = CliRunner().invoke(cli, ["api-key", "create", "--role", "staff", "--name", "log check"])
    assert created.exit_code == 0, created.output
    api_key = created.stdout.strip().splitlines()[-1]
    assert CliRunner().invoke(cli, ["api-key", "create", "--role", "nope", "--name", "x"]).exit_code != 0

    appointment = book(client, make_calendar(), future_day(11).replace(hour=14))
    token = appointment["manage_token"]
    assert client.get(f"/api/v1/appointments/{appointment['id']}", headers={"X-Manage-Token": token,
                      "Authorization": f"Bearer {api_key}"}).status_code == 200
    assert client.get(f"/api/v1/appointments/{appointment['id']}/calendar.ics", params={"token": token}).is_success
    assert client.get("/api/v1/calendars", headers={"Authorization": f"Bearer {api_key}x"}).status_code == 401

    deadline = time.monotonic() + 20
    while not any(n.last_error for n in notifications(appointment["id"])):
        assert time.monotonic() < deadline, "the confirmation never failed"
        time.sleep(0.1)
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.exc_text or ''} {r.stack_info or ''}" for r in caplog.records)
    assert re.search(r"attempt \d+ failed", logged)  # the failing delivery was logged, and captured

    password = refusing_smtp
    plain_auth = base64.b64encode(f"\0mailer\0{password}".encode()).decode()
    for secret in (api_key, token, password, base64.b64encode(password.encode()).decode(), plain_auth):
        assert secret not in logged
