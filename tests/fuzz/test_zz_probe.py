import pytest
pytestmark = pytest.mark.parametrize("database", ["postgres"], indirect=True)
def test_probe(admin, client):
    for url in ["/api/v1/calendars/%00", "/api/v1/calendars/x%00/slots?appointment_type=a&start=2026-01-01T00:00:00Z&end=2026-01-02T00:00:00Z",
                "/api/v1/appointments?customer_email=a%00", "/api/v1/appointments?appointment_type=a%00",
                "/api/v1/appointments?cursor=a%00", "/api/v1/appointments/analytics?start_date=2026%00"]:
        r = admin.get(url); print(url, r.status_code, r.text[:100])
    r = admin.post("/api/v1/calendars", json={"name": "a\u0000b", "timezone": "UTC"}); print(r.status_code, r.text[:150])
