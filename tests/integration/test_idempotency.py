"""Idempotency-Key through the HTTP API: a key is answered only for the caller who used it (an API key,
a manage token, or anonymous with the identical body), and the stored response holds no manage token,
yet the same caller's replay still gets a working one."""
from __future__ import annotations

import json

import httpx
import pytest
import sqlalchemy as sa

from booking_app.db import session_scope
from booking_app.models import IdempotencyKey
from booking_app.services.access.api_keys import create_api_key
from booking_app.services.access.tokens import hash_token
from tests.integration.conftest import booking_body, future_day


@pytest.fixture
def other_staff(api_server):
    with session_scope() as session:
        key = create_api_key(session, name="another integration", role="staff")[1]
    with httpx.Client(base_url=api_server.base_url, timeout=30, headers={"Authorization": f"Bearer {key}"}) as c:
        yield c


def stored(key: str) -> list[IdempotencyKey]:
    with session_scope() as session:
        return list(session.execute(sa.select(IdempotencyKey).where(IdempotencyKey.key == hash_token(key))).scalars())


def assert_usable(client, booked: dict) -> None:
    token = booked["manage_token"]
    assert booked["links"]["manage"].endswith(token)
    read = client.get(f"/api/v1/appointments/{booked['id']}", headers={"X-Manage-Token": token})
    assert read.status_code == 200 and read.json()["id"] == booked["id"]


def test_a_key_is_answered_only_for_the_api_key_that_used_it(client, admin, other_staff, make_calendar):
    calendar = make_calendar()
    body, headers = booking_body(calendar, future_day(9).replace(hour=10)), {"Idempotency-Key": "staff-retry-1"}
    first = admin.post("/api/v1/appointments", json=body, headers=headers)
    assert first.status_code == 201, first.text
    token = first.json()["manage_token"]

    # Another key's request with the same Idempotency-Key is its own: it runs, and finds the slot taken.
    other = other_staff.post("/api/v1/appointments", json=body, headers=headers)
    assert other.status_code == 409 and other.json()["error"] == "slot_unavailable", other.text
    assert token not in other.text

    [row] = [r for r in stored("staff-retry-1") if r.response_status == 201]
    assert token not in json.dumps(row.response_body) and row.response_body["manage_token"] == hash_token(token)
    assert row.key != "staff-retry-1"  # the key itself is kept as a hash too

    again = admin.post("/api/v1/appointments", json=body, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert_usable(client, again.json())


def test_an_anonymous_retry_gets_a_working_token_that_was_never_stored(client, make_calendar):
    calendar = make_calendar()
    body, headers = booking_body(calendar, future_day(9).replace(hour=12)), {"Idempotency-Key": "lost-response-7"}
    first = client.post("/api/v1/appointments", json=body, headers=headers)
    assert first.status_code == 201, first.text
    token = first.json()["manage_token"]
    [row] = stored("lost-response-7")
    assert token not in json.dumps(row.response_body)
    again = client.post("/api/v1/appointments", json=body, headers=headers)
    assert again.status_code == 201 and again.json() == first.json()
    assert_usable(client, again.json())


def test_a_customers_key_is_answered_only_for_their_manage_token(client, make_calendar):
    calendar = make_calendar(min_notice_minutes=0, cancellation_policy={"lead_time_hours": 48})
    soon, later = (client.post("/api/v1/appointments", json=booking_body(calendar, future_day(days).replace(hour=12)))
                   .json() for days in (1, 5))
    key = {"Idempotency-Key": "cancel-once"}

    def cancel(appointment: dict, token: str | None):
        return client.post(f"/api/v1/appointments/{appointment['id']}/cancel", json={"reason": "Sick"},
                           headers={**key, **({"X-Manage-Token": token} if token else {})})

    refused = cancel(soon, soon["manage_token"])  # inside the policy window: 403 with a reschedule link
    assert refused.status_code == 403 and refused.json()["reschedule_url"].endswith(soon["manage_token"])
    [row] = stored("cancel-once")
    assert soon["manage_token"] not in json.dumps(row.response_body)
    assert cancel(soon, soon["manage_token"]).json() == refused.json()  # the same customer's replay
    stranger = cancel(soon, None)
    assert stranger.status_code == 403 and stranger.json()["error"] == "forbidden"
    assert soon["manage_token"] not in stranger.text

    done = cancel(later, later["manage_token"])
    assert done.status_code == 200 and done.json()["status"] == "cancelled"
    assert cancel(later, later["manage_token"]).json() == done.json()
    assert cancel(later, None).status_code == 403  # not the customer's 200
