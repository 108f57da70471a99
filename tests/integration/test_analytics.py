"""GET /appointments/analytics against hand-computed numbers (on SQLite and PostgreSQL), and
cursor pagination of GET /appointments under concurrent change."""
from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa

from booking_app.db import session_scope
from booking_app.models import Appointment, AppointmentType, Contact, Payment
from tests.integration.conftest import booking_body, future_day, zulu

NY = ZoneInfo("America/New_York")
STATUSES = ("pending", "confirmed", "cancelled", "completed", "no_show", "late_cancel")
TYPES = ({"slug": "consult", "name": "Consultation", "duration_minutes": 30},
         {"slug": "therapy", "name": "Therapy", "duration_minutes": 60, "price": "80.00", "currency": "USD",
          "payment_required": True},
         {"slug": "coaching", "name": "Coaching", "duration_minutes": 45, "price": "40.00", "currency": "USD"})


def local(text: str, zone=NY, fold: int = 0) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=zone, fold=fold)


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=timezone.utc)


@dataclass
class Row:
    """One historical appointment written straight to the database (times are explicit)."""

    start: datetime
    status: str
    type_slug: str
    created: datetime
    payments: list = field(default_factory=list)  # (kind, amount, status, currency)
    hold_kind: str | None = None
    id: uuid.UUID = field(default_factory=uuid.uuid4)
    lineage_id: uuid.UUID | None = None
    rescheduled_from_id: uuid.UUID | None = None
    rescheduled_to_id: uuid.UUID | None = None


def insert(calendar_id: str, rows: list[Row]) -> None:
    with session_scope() as session:
        types = {t.slug: t for t in session.execute(sa.select(AppointmentType).where(
            AppointmentType.calendar_id == uuid.UUID(calendar_id))).scalars()}
        contact = Contact(email=f"hist-{uuid.uuid4().hex[:8]}@example.com", name="Hist Customer")
        session.add(contact)
        session.flush()
        for row in rows:
            kind = types[row.type_slug]
            end = row.start + timedelta(minutes=kind.duration_minutes)
            session.add(Appointment(
                id=row.id, calendar_id=kind.calendar_id, slot_id=uuid.uuid4(), customer_id=contact.id,
                customer_email=contact.email, customer_name=contact.name, start_time=row.start, end_time=end,
                duration_minutes=kind.duration_minutes, timezone="America/New_York", busy_start=row.start,
                busy_end=end, status=row.status, lineage_id=row.lineage_id or row.id, appointment_type=kind.slug,
                appointment_type_id=kind.id, location_type="in_person", payment_required=kind.payment_required,
                manage_token_hash=uuid.uuid4().hex, hold_kind=row.hold_kind, created_at=row.created,
                updated_at=row.created, rescheduled_from_id=row.rescheduled_from_id))
        session.flush()
        for row in rows:  # self-references once every row exists
            if row.rescheduled_to_id:
                session.execute(sa.update(Appointment).where(Appointment.id == row.id)
                                .values(rescheduled_to_id=row.rescheduled_to_id))
            for kind, amount, status, currency in row.payments:
                session.add(Payment(appointment_id=row.id, kind=kind, amount=Decimal(amount), status=status,
                                    currency=currency))


def history() -> list[Row]:
    """America/New_York: DST starts Sun 2026-03-08 (02:00 EST -> 03:00 EDT), which is also the last
    day of an ISO week; ends Sun 2026-11-01 (01:00-02:00 happens twice); starts again 2027-03-14."""
    r3 = Row(local("2026-03-07 23:30"), "completed", "therapy", local("2026-03-05 23:30"),  # 04:30Z on 03-08
             [("charge", "80.00", "processed", "USD")])
    r7_old = Row(local("2026-03-09 10:00"), "cancelled", "coaching", local("2026-03-02 10:00"),
                 [("charge", "40.00", "processed", "USD")])
    r7_new = Row(local("2026-03-10 10:00"), "completed", "coaching", local("2026-03-05 09:00"),  # lead 120 h
                 lineage_id=r7_old.id, rescheduled_from_id=r7_old.id)
    r7_old.rescheduled_to_id = r7_new.id
    return [
        # R1: Sat 22:00 EST = 03-01 03:00Z: local February, UTC March.
        Row(local("2026-02-28 22:00"), "completed", "consult", local("2026-02-26 22:00")),
        # R2: Sun 20:00 EST = Mon 03-02 01:00Z: local week of 02-23, UTC week of 03-02.
        Row(local("2026-03-01 20:00"), "no_show", "consult", local("2026-03-01 08:00")),
        r3,
        # R4: paid then cancelled in time, fully refunded: revenue 0.
        Row(local("2026-03-08 01:30"), "cancelled", "therapy", local("2026-03-06 01:30"),
            [("charge", "80.00", "processed", "USD"), ("refund", "80.00", "processed", "USD")]),
        # R5: Sun 23:30 EDT = Mon 03:30Z; booked 23 real hours before (the night lost an hour);
        # late cancel: fee 20, refund 30 -> revenue 70.
        Row(local("2026-03-08 23:30"), "late_cancel", "therapy", local("2026-03-07 23:30"),
            [("charge", "80.00", "processed", "USD"), ("fee", "20.00", "processed", "USD"),
             ("refund", "30.00", "processed", "USD")]),
        # R6: Mon 00:15 EDT = 04:15Z, lead 23 h; unpaid late cancel whose fee is still owed (not revenue).
        Row(local("2026-03-09 00:15"), "late_cancel", "consult", local("2026-03-08 00:15"),
            [("fee", "15.00", "owed", "USD")]),
        r7_old, r7_new,
        # R8: a staff proposal the customer declined: an offer, never counted.
        Row(local("2026-03-11 10:00"), "cancelled", "coaching", local("2026-03-04 10:00"), hold_kind="proposal",
            lineage_id=r3.id, rescheduled_from_id=r3.id),
        # R9: Tue 21:00 EDT = 04-01 01:00Z: local March; paid in EUR, so coaching has two currencies.
        Row(local("2026-03-31 21:00"), "no_show", "coaching", local("2026-03-30 21:00"),
            [("charge", "50.00", "processed", "EUR")]),
        # R10/R11: 01:30 on 2026-11-01 happens twice (EDT, then EST); lead 24 h each.
        Row(local("2026-11-01 01:30"), "completed", "consult", utc("2026-10-31 05:30")),
        Row(local("2026-11-01 01:30", fold=1), "no_show", "consult", utc("2026-10-31 06:30")),
        # R12: Sat 23:00 EST = Sun 03-14 04:00Z, booked 103 days before (2472 h).
        Row(local("2027-03-13 23:00"), "confirmed", "consult", local("2026-11-30 23:00")),
        # R13: Sun 12:00 EDT, unpaid; booked 4 days minus the lost hour before (95 h).
        Row(local("2027-03-14 12:00"), "pending", "therapy", local("2027-03-10 12:00"), hold_kind="payment"),
        # R14: Mon 09:00 EDT, paid; booked 7 days minus an hour before (167 h).
        Row(local("2027-03-15 09:00"), "confirmed", "therapy", local("2027-03-08 09:00"),
            [("charge", "80.00", "processed", "USD")]),
    ]


def series_row(date: str, **counts) -> dict:
    return {"date": date, "count": sum(counts.values()), **{s: counts.get(s, 0) for s in STATUSES}}


def empty_series(dates: list[str], filled: dict[str, dict]) -> list[dict]:
    return [filled.get(d) or series_row(d) for d in dates]


def day_range(first: str, last: str) -> list[str]:
    day, end, out = datetime.fromisoformat(first).date(), datetime.fromisoformat(last).date(), []
    while day <= end:
        out.append(day.isoformat())
        day += timedelta(days=1)
    return out


def week_range(first: str, last: str) -> list[str]:
    return day_range(first, last)[::7]


@pytest.fixture
def history_calendar(make_calendar) -> dict:
    calendar = make_calendar(timezone="America/New_York", types=TYPES)
    insert(calendar["id"], history())
    return calendar


def analytics(admin, **params):
    return admin.get("/api/v1/appointments/analytics", params=params)


LEAD_BUCKETS = ("under 1 day", "1–3 days", "3–7 days", "1–2 weeks", "2 weeks or more")


def leads(*counts: int) -> list[dict]:
    return [{"bucket": label, "count": n} for label, n in zip(LEAD_BUCKETS, counts, strict=True)]


def totals(body: dict) -> dict:
    keys = ("total_appointments", *STATUSES, "rescheduled", "cancellation_rate", "no_show_rate",
            "average_lead_time_hours")
    return {k: body[k] for k in keys}


def test_march_by_day_across_dst_and_month_ends(admin, history_calendar):
    response = analytics(admin, calendar_id=history_calendar["id"], start_date="2026-03-01",
                         end_date="2026-03-31", group_by="day")
    assert response.status_code == 200, response.text
    body = response.json()
    # R2 R3 R4 R5 R6 R7new R9 count; R1 is local February; R7old is replaced; R8 is an offer.
    assert totals(body) == {
        "total_appointments": 7, "pending": 0, "confirmed": 0, "cancelled": 1, "completed": 2, "no_show": 2,
        "late_cancel": 2, "rescheduled": 1,
        "cancellation_rate": 0.4286,  # (1 + 2) / 7
        "no_show_rate": 0.5,  # 2 / (2 + 2)
        "average_lead_time_hours": 42.57,  # (12 + 48 + 48 + 23 + 23 + 120 + 24) / 7
    }
    assert body["lead_time_distribution"] == leads(3, 3, 1, 0, 0)  # 12 23 23 | 48 48 24 | 120
    assert body["by_type"] == {
        "consult": {"count": 2, "revenue": 0.0, "currency": "USD", "revenue_by_currency": {}},
        "therapy": {"count": 3, "revenue": 150.0, "currency": "USD", "revenue_by_currency": {"USD": 150.0}},
        # 40 USD charged before the reschedule stays with the booking; 50 EUR is never added to it.
        "coaching": {"count": 2, "revenue": None, "currency": None,
                     "revenue_by_currency": {"EUR": 50.0, "USD": 40.0}},
    }
    assert body["by_day"] == empty_series(day_range("2026-03-01", "2026-03-31"), {
        "2026-03-01": series_row("2026-03-01", no_show=1),
        "2026-03-07": series_row("2026-03-07", completed=1),
        "2026-03-08": series_row("2026-03-08", cancelled=1, late_cancel=1),
        "2026-03-09": series_row("2026-03-09", late_cancel=1),
        "2026-03-10": series_row("2026-03-10", completed=1),
        "2026-03-31": series_row("2026-03-31", no_show=1),
    })
    assert {k: body[k] for k in ("calendar_id", "timezone", "start_date", "end_date", "group_by")} == {
        "calendar_id": history_calendar["id"], "timezone": "America/New_York", "start_date": "2026-03-01",
        "end_date": "2026-03-31", "group_by": "day"}
    assert "by_week" not in body and "by_month" not in body


def test_weeks_start_monday_in_local_time(admin, history_calendar):
    body = analytics(admin, calendar_id=history_calendar["id"], start_date="2026-03-01", end_date="2026-03-31",
                     group_by="week").json()
    assert body["total_appointments"] == 7
    # Sunday 2026-03-08 23:30 EDT is Monday in UTC but stays in the week of 03-02.
    assert body["by_week"] == [
        series_row("2026-02-23", no_show=1),
        series_row("2026-03-02", completed=1, cancelled=1, late_cancel=1),
        series_row("2026-03-09", late_cancel=1, completed=1),
        series_row("2026-03-16"), series_row("2026-03-23"),
        series_row("2026-03-30", no_show=1),
    ]


def test_all_time_by_month(admin, history_calendar):
    body = analytics(admin, calendar_id=history_calendar["id"], group_by="month").json()
    assert totals(body) == {
        "total_appointments": 13, "pending": 1, "confirmed": 2, "cancelled": 1, "completed": 4, "no_show": 3,
        "late_cancel": 2, "rescheduled": 1,
        "cancellation_rate": 0.2308,  # 3 / 13
        "no_show_rate": 0.4286,  # 3 / 7
        "average_lead_time_hours": 240.62,  # (48 + 298 + 24 + 24 + 2472 + 95 + 167) / 13
    }
    assert body["lead_time_distribution"] == leads(3, 6, 3, 0, 1)  # 167 h is still under 7 days
    assert body["by_type"] == {
        "consult": {"count": 6, "revenue": 0.0, "currency": "USD", "revenue_by_currency": {}},
        "therapy": {"count": 5, "revenue": 230.0, "currency": "USD", "revenue_by_currency": {"USD": 230.0}},
        "coaching": {"count": 2, "revenue": None, "currency": None,
                     "revenue_by_currency": {"EUR": 50.0, "USD": 40.0}},
    }
    months = [f"2026-{m:02d}-01" for m in range(2, 13)] + [f"2027-{m:02d}-01" for m in range(1, 4)]
    assert body["by_month"] == empty_series(months, {
        "2026-02-01": series_row("2026-02-01", completed=1),
        "2026-03-01": series_row("2026-03-01", completed=2, no_show=2, cancelled=1, late_cancel=2),
        "2026-11-01": series_row("2026-11-01", completed=1, no_show=1),
        "2027-03-01": series_row("2027-03-01", confirmed=2, pending=1),
    })
    assert body["start_date"] is None and body["end_date"] is None


def test_single_local_day_bounds(admin, history_calendar):
    # 2027-03-14 local: R13 only. R12 starts 04:00Z that day but is Saturday evening in New York.
    body = analytics(admin, calendar_id=history_calendar["id"], start_date="2027-03-14",
                     end_date="2027-03-14").json()
    assert totals(body) == {
        "total_appointments": 1, "pending": 1, "confirmed": 0, "cancelled": 0, "completed": 0, "no_show": 0,
        "late_cancel": 0, "rescheduled": 0, "cancellation_rate": 0.0, "no_show_rate": 0.0,
        "average_lead_time_hours": 95.0}
    assert body["by_type"] == {"therapy": {"count": 1, "revenue": 0.0, "currency": "USD", "revenue_by_currency": {}}}
    assert body["by_day"] == [series_row("2027-03-14", pending=1)]
    assert body["lead_time_distribution"] == leads(0, 0, 1, 0, 0)
    # The 2026-11-01 fall-back night: both 01:30s fall on that local day.
    fall = analytics(admin, calendar_id=history_calendar["id"], start_date="2026-11-01", end_date="2026-11-01",
                     group_by="week").json()
    assert fall["total_appointments"] == 2 and fall["average_lead_time_hours"] == 24.0
    assert fall["by_week"] == [series_row("2026-10-26", completed=1, no_show=1)]
    assert fall["lead_time_distribution"] == leads(0, 2, 0, 0, 0)  # exactly 24 h is not under a day
    empty = analytics(admin, calendar_id=history_calendar["id"], start_date="2026-06-01",
                      end_date="2026-06-02").json()
    assert totals(empty) == {"total_appointments": 0, **{s: 0 for s in STATUSES}, "rescheduled": 0,
                             "cancellation_rate": 0.0, "no_show_rate": 0.0, "average_lead_time_hours": None}
    assert empty["by_type"] == {} and empty["by_day"] == [series_row("2026-06-01"), series_row("2026-06-02")]
    assert empty["lead_time_distribution"] == leads(0, 0, 0, 0, 0)


def test_without_calendar_each_row_uses_its_own_calendars_timezone(admin, make_calendar):
    berlin = ZoneInfo("Europe/Berlin")
    ny_calendar = make_calendar(timezone="America/New_York", types=TYPES)
    berlin_calendar = make_calendar(timezone="Europe/Berlin", types=(
        {"slug": "consult", "name": "Beratung", "duration_minutes": 30, "price": "10.00", "currency": "EUR"},))
    # 2001 is a year no other test writes to.
    insert(ny_calendar["id"], [Row(local("2001-01-01 00:30"), "completed", "consult", local("2000-12-31 00:30"))])
    insert(berlin_calendar["id"], [
        Row(local("2001-01-01 00:30", berlin), "completed", "consult", local("2000-12-31 12:30", berlin),
            [("charge", "10.00", "processed", "EUR")]),  # 2000-12-31 23:30Z
        Row(local("2001-01-02 00:30", berlin), "no_show", "consult", local("2000-12-31 12:30", berlin)),
    ])
    body = analytics(admin, start_date="2001-01-01", end_date="2001-01-01").json()
    assert totals(body) == {
        "total_appointments": 2, "pending": 0, "confirmed": 0, "cancelled": 0, "completed": 2, "no_show": 0,
        "late_cancel": 0, "rescheduled": 0, "cancellation_rate": 0.0, "no_show_rate": 0.0,
        "average_lead_time_hours": 18.0}  # (24 + 12) / 2
    # One slug, two calendars, two currencies configured: only EUR money moved.
    assert body["by_type"] == {"consult": {"count": 2, "revenue": 10.0, "currency": "EUR",
                                           "revenue_by_currency": {"EUR": 10.0}}}
    assert body["by_day"] == [series_row("2001-01-01", completed=2)]
    assert body["lead_time_distribution"] == leads(1, 1, 0, 0, 0)
    assert body["calendar_id"] is None and body["timezone"] is None


def test_through_the_api_payments_refunds_fees_and_reschedules(client, admin, make_calendar):
    """The lifecycle writes the money; analytics must read back exactly these amounts."""
    calendar = make_calendar(timezone="UTC", min_notice_minutes=0, types=(
        {"slug": "consult", "name": "Consultation", "duration_minutes": 30},
        {"slug": "therapy", "name": "Therapy", "duration_minutes": 60, "price": "100.00", "currency": "EUR",
         "payment_required": True}),
        cancellation_policy={"lead_time_hours": 48, "late_cancellation": "fee", "late_cancel_fee": 20,
                             "refund_percent": 50})
    day = future_day(3)

    def book(start, type_slug="consult", minutes=30):
        response = client.post("/api/v1/appointments", json=booking_body(
            calendar, start, type_slug=type_slug, minutes=minutes, email=f"{uuid.uuid4().hex[:8]}@example.com"))
        assert response.status_code == 201, response.text
        return response.json()

    def pay(appointment):
        paid = admin.post(f"/api/v1/appointments/{appointment['id']}/payment",
                          json={"payment_id": f"pay_{appointment['id'][:8]}", "amount": "100.00", "status": "paid"})
        assert paid.status_code == 200, paid.text

    def cancel(appointment):
        response = client.post(f"/api/v1/appointments/{appointment['id']}/cancel", json={"reason": "x"},
                               headers={"X-Manage-Token": appointment["manage_token"]})
        assert response.status_code == 200, response.text
        return response.json()

    late = book(future_day(1).replace(hour=12), "therapy", 60)  # inside the 48 h window
    pay(late)
    assert cancel(late)["status"] == "late_cancel"  # charge 100 + fee 20 - refund 30 = 90
    on_time = book(day.replace(hour=9), "therapy", 60)
    pay(on_time)
    assert cancel(on_time)["status"] == "cancelled"  # charge 100 - refund 50 = 50
    kept = book(day.replace(hour=11), "therapy", 60)
    pay(kept)  # 100
    moved = book(day.replace(hour=13))
    token = client.post(f"/api/v1/appointments/{moved['id']}/reschedule", json={"reason": "later"},
                        headers={"X-Manage-Token": moved["manage_token"]}).json()["reschedule_token"]
    target = day.replace(hour=15)
    new = client.put(f"/api/v1/appointments/{moved['id']}/reschedule/confirm", json={
        "reschedule_token": token, "new_start_time": zulu(target),
        "new_end_time": zulu(target + timedelta(minutes=30))})
    assert new.status_code == 200, new.text
    unpaid = book(day.replace(hour=17), "therapy", 60)  # stays pending

    body = analytics(admin, calendar_id=calendar["id"], group_by="week").json()
    assert {k: body[k] for k in ("total_appointments", *STATUSES, "rescheduled", "cancellation_rate",
                                 "no_show_rate")} == {
        "total_appointments": 5, "pending": 1, "confirmed": 2, "cancelled": 1, "completed": 0, "no_show": 0,
        "late_cancel": 1, "rescheduled": 1, "cancellation_rate": 0.4, "no_show_rate": 0.0}
    assert body["by_type"] == {
        "consult": {"count": 1, "revenue": 0.0, "currency": "USD", "revenue_by_currency": {}},
        "therapy": {"count": 4, "revenue": 240.0, "currency": "EUR", "revenue_by_currency": {"EUR": 240.0}},
    }
    final = [(late, "late_cancel"), (on_time, "cancelled"), (kept, "confirmed"), (new.json(), "confirmed"),
             (unpaid, "pending")]
    counted = [a for a, _ in final]
    lead_seconds = [(datetime.fromisoformat(a["start_time"]) - datetime.fromisoformat(a["created_at"])
                     ).total_seconds() for a in counted]
    assert body["average_lead_time_hours"] == pytest.approx(sum(lead_seconds) / len(lead_seconds) / 3600, abs=0.01)
    limits = (24, 72, 168, 336, float("inf"))
    assert body["lead_time_distribution"] == leads(*(
        sum(1 for h in (x / 3600 for x in lead_seconds) if low <= h < high)
        for low, high in zip((0, *limits[:-1]), limits)))
    weeks: dict[str, dict] = {}
    for a, status in final:
        start = datetime.fromisoformat(a["start_time"]).date()
        monday = (start - timedelta(days=start.weekday())).isoformat()
        row = weeks.setdefault(monday, series_row(monday))
        row["count"] += 1
        row[status] += 1
    assert body["by_week"] == empty_series(week_range(min(weeks), max(weeks)), weeks)


@pytest.mark.parametrize("params, field", [
    ({"calendar_id": str(uuid.uuid4())}, "calendar_id"),
    ({"start_date": "2026-03-02", "end_date": "2026-03-01"}, "start_date"),
    ({"group_by": "year"}, "group_by"),
    ({"start_date": "2026-02-30"}, "start_date"),
    ({"end_date": "9999-12-31"}, "end_date"),
    ({"start_date": "2026-03-01T00:00:00Z"}, "start_date"),
    ({"start_date": "1900-01-01", "end_date": "2999-12-31"}, "group_by"),
    ({"calendar_id": "not-a-uuid"}, "calendar_id"),
])
def test_bad_input_is_a_json_error(admin, params, field):
    response = analytics(admin, **params)
    body = response.json()
    assert response.status_code == (404 if field == "calendar_id" and "not" not in params[field] else 422), body
    assert body["error"] in ("not_found", "validation_error") and body["message"]
    assert field in {body.get("field"), *(d["field"] for d in body.get("details", []))}


def test_analytics_needs_a_staff_key(client):
    response = client.get("/api/v1/appointments/analytics")
    assert response.status_code == 401 and response.json()["error"] == "unauthorized"


def test_openapi_documents_the_definitions(client):
    operation = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/appointments/analytics"]["get"]
    for phrase in ("cancellation_rate", "no_show_rate", "average_lead_time_hours", "Monday", "refunds"):
        assert phrase in operation["description"]


# -- cursor pagination under concurrent change ---------------------------------------------------

def test_cursor_pages_never_skip_or_repeat_while_rows_change(client, admin, make_calendar):
    """Rows are booked and cancelled between pages (filter: status=confirmed). Keyset on
    (start_time, id) guarantees: no row twice, order kept, every row that matched throughout is
    seen, rows added behind the cursor are not, rows added ahead of it are. Three calendars share
    start times, so ties on start_time are broken by id."""
    calendars = [make_calendar() for _ in range(3)]
    email = f"pager-{uuid.uuid4().hex[:8]}@example.com"
    day = future_day(12)

    def book(calendar, start) -> str:
        response = client.post("/api/v1/appointments", json=booking_body(calendar, start, email=email))
        assert response.status_code == 201, response.text
        return response.json()["id"]

    def cancel(appointment_id) -> None:
        response = admin.post(f"/api/v1/appointments/{appointment_id}/cancel",
                              json={"reason": "x", "cancelled_by": "owner"})
        assert response.status_code == 200, response.text
        cancelled.add(appointment_id)

    initial = [book(c, day.replace(hour=10) + timedelta(minutes=30 * i)) for i in range(12) for c in calendars]
    cancelled: set[str] = set()
    cancelled_unseen: set[str] = set()
    behind, ahead = set(), set()
    seen: list[str] = []
    cursor, changes = None, 0
    while True:
        params = {"customer_email": email, "status": "confirmed", "limit": 5}
        page = admin.get("/api/v1/appointments", params={**params, **({"cursor": cursor} if cursor else {})})
        assert page.status_code == 200, page.text
        seen += [item["id"] for item in page.json()["items"]]
        cursor = page.json()["next_cursor"]
        if cursor is None:
            break
        # Between pages: cancel a row already seen and one not yet seen; book one on the day
        # before (behind the cursor) and one on the day after (ahead of it).
        cancel(next(i for i in seen if i not in cancelled))
        pending = [i for i in initial + sorted(ahead) if i not in seen and i not in cancelled]
        if pending:
            cancel(pending[len(pending) // 2])
            cancelled_unseen.add(pending[len(pending) // 2])
        calendar = calendars[changes % 3]
        behind.add(book(calendar, day.replace(hour=8) - timedelta(days=1) + timedelta(minutes=30 * changes)))
        ahead.add(book(calendar, day.replace(hour=8) + timedelta(days=1, minutes=30 * changes)))
        changes += 1
    assert changes >= 6
    assert len(seen) == len(set(seen)), "a row was repeated"
    assert set(seen) == (set(initial) | ahead) - cancelled_unseen
    assert not set(seen) & behind
    with session_scope() as session:
        start_of = dict(session.execute(sa.select(Appointment.id, Appointment.start_time)
                                        .where(Appointment.customer_email == email)).all())
    keys = [(start_of[uuid.UUID(i)], uuid.UUID(i)) for i in seen]
    assert keys == sorted(keys)
