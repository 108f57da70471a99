"""Bad input never yields a 500 or HTML; auth rules; lists with cursors; details with history."""
from __future__ import annotations

from datetime import timedelta

import pytest

from tests.integration.conftest import booking_body, future_day, zulu


def assert_error_shape(response, status: int | None = None) -> dict:
    assert 400 <= response.status_code < 500, (response.status_code, response.text)
    if status:
        assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["error"], str) and body["error"]
    assert isinstance(body["message"], str) and len(body["message"]) > 5
    return body


BAD_BOOKINGS = {
    "bad timezone": lambda b: {**b, "timezone": "Mars/Olympus"},
    "end before start": lambda b: {**b, "end_time": b["start_time"], "start_time": b["end_time"]},
    "unknown type": lambda b: {**b, "appointment_type": "nope"},
    "unknown calendar": lambda b: {**b, "calendar_id": "00000000-0000-4000-8000-000000000000"},
    "calendar not a uuid": lambda b: {**b, "calendar_id": "calendar-1"},
    "10000 char name": lambda b: {**b, "customer_name": "x" * 10000},
    "10000 char notes": lambda b: {**b, "notes": "x" * 10000},
    "10000 char email": lambda b: {**b, "customer_email": "a" * 10000 + "@example.com"},
    "bad email": lambda b: {**b, "customer_email": "not-an-email"},
    "name is a number": lambda b: {**b, "customer_name": 42},
    "start is a list": lambda b: {**b, "start_time": [1, 2]},
    "naive start": lambda b: {**b, "start_time": b["start_time"].rstrip("Z")},
    "missing email": lambda b: {k: v for k, v in b.items() if k != "customer_email"},
    "unknown field": lambda b: {**b, "is_admin": True},
    "wrong location": lambda b: {**b, "location_type": "spaceship"},
    "bad slot id": lambda b: {**b, "slot_id": "00000000-0000-4000-8000-000000000000"},
}


@pytest.mark.parametrize("case", BAD_BOOKINGS, ids=list(BAD_BOOKINGS))
def test_bad_bookings_get_a_json_4xx(client, make_calendar, case):
    calendar = make_calendar()
    body = BAD_BOOKINGS[case](booking_body(calendar, future_day().replace(hour=13)))
    error = assert_error_shape(client.post("/api/v1/appointments", json=body))
    if error["error"] == "validation_error":
        assert error["details"] and all("field" in d for d in error["details"])


@pytest.mark.parametrize("raw", [b"{not json", b"", b"[]", b"null", b'"text"', "{\"a\": \"\u0000\"}".encode()])
def test_malformed_json_is_a_validation_error(client, raw):
    response = client.post("/api/v1/appointments", content=raw, headers={"content-type": "application/json"})
    assert_error_shape(response, 422)


@pytest.mark.parametrize("path", ["/api/v1/nope", "/api/v1/appointments/not-a-uuid/cancel", "/api/v1/"])
def test_unknown_api_paths_are_json_404s(client, path):
    assert_error_shape(client.get(path), 404)


def test_bad_calendar_settings_are_refused(admin):
    cases = [
        {"name": "X", "timezone": "Nowhere/Land"},
        {"name": "X", "timezone": "UTC", "weekly_hours": {"mon": [["17:00", "09:00"]]}},
        {"name": "X", "timezone": "UTC", "weekly_hours": {"funday": [["09:00", "17:00"]]}},
        {"name": "X", "timezone": "UTC", "cancellation_policy": {"refund_percent": 140}},
        {"name": "X", "timezone": "UTC", "slot_interval_minutes": 0},
        {"name": "x" * 10000, "timezone": "UTC"},
    ]
    for body in cases:
        assert_error_shape(admin.post("/api/v1/calendars", json=body), 422)


def test_slots_bad_input(client, make_calendar):
    calendar = make_calendar()
    base = f"/api/v1/calendars/{calendar['id']}/slots"
    day = future_day()
    assert_error_shape(client.get(base, params={"appointment_type": "consult", "start": "yesterday",
                                                "end": zulu(day)}), 422)
    assert_error_shape(client.get(base, params={"appointment_type": "consult", "start": zulu(day),
                                                "end": zulu(day - timedelta(days=1))}), 422)
    assert_error_shape(client.get(base, params={"appointment_type": "consult", "start": zulu(day),
                                                "end": zulu(day + timedelta(days=400))}), 422)
    assert_error_shape(client.get(base, params={"appointment_type": "nope", "start": zulu(day),
                                                "end": zulu(day + timedelta(days=1))}), 404)


def test_auth_rules(client, admin, api_server):
    import httpx

    assert_error_shape(client.get("/api/v1/appointments"), 401)
    assert_error_shape(client.get("/api/v1/appointments", headers={"Authorization": "Bearer wrong"}), 401)
    assert_error_shape(client.post("/api/v1/calendars", json={"name": "X", "timezone": "UTC"}), 401)
    from booking_app.db import session_scope
    from booking_app.services.access.api_keys import create_api_key

    with session_scope() as session:
        staff_key = create_api_key(session, name="front desk", role="staff")[1]
    with httpx.Client(base_url=api_server.base_url, headers={"Authorization": f"Bearer {staff_key}"}) as staff:
        assert staff.get("/api/v1/appointments").status_code == 200
        assert_error_shape(staff.post("/api/v1/calendars", json={"name": "X", "timezone": "UTC"}), 403)


def test_customer_reads_own_appointment_only_with_its_token(client, admin, make_calendar):
    calendar = make_calendar()
    booked = client.post("/api/v1/appointments", json=booking_body(calendar, future_day().replace(hour=16))).json()
    url = f"/api/v1/appointments/{booked['id']}"
    assert client.get(url, headers={"X-Manage-Token": booked["manage_token"]}).status_code == 200
    assert client.get(url, params={"token": booked["manage_token"]}).json()["id"] == booked["id"]
    assert_error_shape(client.get(url, params={"token": "guess"}), 403)
    assert_error_shape(client.get(url), 403)
    detail = admin.get(url).json()
    assert detail["links"]["manage"] is None  # staff views never leak the customer's token
    assert detail["history"][0]["action"] == "appointment.created"


def test_list_filters_and_cursor_pagination(client, admin, make_calendar):
    calendar = make_calendar(types=({"slug": "consult", "name": "C", "duration_minutes": 30},
                                    {"slug": "long", "name": "L", "duration_minutes": 60}))
    day = future_day(5)
    made = []
    for i in range(7):
        start = day.replace(hour=8) + timedelta(hours=i)
        type_slug, minutes = ("long", 60) if i % 2 else ("consult", 30)
        body = booking_body(calendar, start, minutes=minutes, type_slug=type_slug, email=f"p{i % 3}@example.com")
        made.append(client.post("/api/v1/appointments", json=body).json()["id"])
    seen, cursor = [], None
    while True:
        params = {"calendar_id": calendar["id"], "limit": 3, **({"cursor": cursor} if cursor else {})}
        page = admin.get("/api/v1/appointments", params=params).json()
        seen += [item["id"] for item in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == made  # start order, nothing skipped or repeated
    only_long = admin.get("/api/v1/appointments", params={"calendar_id": calendar["id"],
                                                          "appointment_type": "long"}).json()["items"]
    assert len(only_long) == 3 and {i["appointment_type"] for i in only_long} == {"long"}
    by_email = admin.get("/api/v1/appointments", params={"calendar_id": calendar["id"],
                                                         "customer_email": "P0@example.com"}).json()["items"]
    assert len(by_email) == 3
    customer = by_email[0]["customer_id"]
    assert len(admin.get("/api/v1/appointments", params={"customer_id": customer,
                                                         "calendar_id": calendar["id"]}).json()["items"]) == 3
    day_only = admin.get("/api/v1/appointments", params={"calendar_id": calendar["id"],
                                                         "start_date": day.date().isoformat(),
                                                         "end_date": day.date().isoformat(),
                                                         "status": "confirmed,pending"}).json()["items"]
    assert len(day_only) == 7
    assert admin.get("/api/v1/appointments", params={"calendar_id": calendar["id"],
                                                     "end_date": (day.date() - timedelta(days=1)).isoformat()}
                     ).json()["items"] == []
    assert_error_shape(admin.get("/api/v1/appointments", params={"status": "sleeping"}), 422)
    assert_error_shape(admin.get("/api/v1/appointments", params={"cursor": "garbage!"}), 422)
    assert_error_shape(admin.get("/api/v1/appointments", params={"limit": 500}), 422)


def test_health_and_openapi(client):
    health = client.get("/api/v1/health")
    assert health.status_code == 200 and health.json()["database"] == "ok"
    spec = client.get("/api/v1/openapi.json").json()
    assert "/api/v1/appointments" in spec["paths"]
    assert client.get("/api/v1/docs").status_code == 200


def test_every_success_response_declares_its_body(client):
    """Each operation's 2xx responses carry a schema (JSON bodies from the routes' response_model), so the
    document describes every body and schemathesis checks real responses against it."""
    spec = client.get("/api/v1/openapi.json").json()
    undocumented = [f"{method.upper()} {path} {status} {media_type}"
                    for path, operations in spec["paths"].items() for method, operation in operations.items()
                    for status, response in operation["responses"].items() if status.startswith("2")
                    for media_type, media in (response.get("content") or {"(no content)": {}}).items()
                    if "schema" not in media]
    assert undocumented == []
    schemas = spec["components"]["schemas"]
    assert schemas["AppointmentDetail"]["additionalProperties"] is False  # bodies hold exactly the declared keys
    assert schemas["AppointmentOut"]["properties"]["payment_amount"]["anyOf"][0]["type"] == "number"  # Money
