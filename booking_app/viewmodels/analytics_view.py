"""The /analytics page: the same service call as GET /api/v1/appointments/analytics, shaped for the key
numbers (display-ready text) and the charts (rows recharts reads by `data_key`)."""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal

from sqlmodel import col, select

from booking_app.db import session_scope
from booking_app.domain.money import as_number
from booking_app.models import Calendar
from booking_app.services.reports import analytics
from booking_app.viewmodels.settings_view import CalendarChoice, calendar_choice

STATUS_ORDER = ("confirmed", "pending", "completed", "no_show", "cancelled", "late_cancel")  # the stacked bars


@dataclass(frozen=True)
class AnalyticsCards:
    """The key numbers above the charts, as shown ('12.5%', '36.0 h', '1,230.00 EUR + 40.00 USD')."""

    total: str
    cancellation_rate: str
    no_show_rate: str
    lead_time: str  # '–' when nothing was booked ahead
    revenue: str


@dataclass(frozen=True)
class AnalyticsReport:
    cards: AnalyticsCards
    # Chart rows stay dicts: recharts reads each series by its key (`data_key`), and so does the table view.
    series: list[dict]  # per period: 'period', a count per status, 'count'
    rates: list[dict]  # per period: 'period', 'cancellation' and 'no_show' in percent
    by_type: list[dict]  # per type: 'type', 'count', 'revenue', 'currency'
    lead_times: list[dict]  # per bucket: 'bucket', 'count'


def calendar_choices() -> list[CalendarChoice]:
    with session_scope() as session:
        return [calendar_choice(c) for c in session.exec(select(Calendar).order_by(col(Calendar.business_name)))]


def report(*, calendar_id: str, start: str, end: str, group_by: str) -> AnalyticsReport:
    """The filters as the page holds them (text). ValueError for a calendar id that is not one; the
    service's ServiceErrors (a bad date or range) as the API raises them. Scans many rows: call it in a thread."""
    query = analytics.parse_query(calendar_id=uuid.UUID(calendar_id) if calendar_id else None,
                                  start_date=start or None, end_date=end or None, group_by=group_by)
    with session_scope() as session:
        return shaped(analytics.appointment_analytics(session, query))


def shaped(result: dict) -> AnalyticsReport:
    periods = result[f"by_{result['group_by']}"]
    return AnalyticsReport(
        cards=AnalyticsCards(
            total=str(result["total_appointments"]),
            cancellation_rate=f"{result['cancellation_rate'] * 100:.1f}%",
            no_show_rate=f"{result['no_show_rate'] * 100:.1f}%",
            lead_time="–" if result["average_lead_time_hours"] is None
            else f"{result['average_lead_time_hours']:.1f} h",
            revenue=revenue_text(result["by_type"]),
        ),
        series=[{"period": p["date"], **{s: p[s] for s in STATUS_ORDER}, "count": p["count"]} for p in periods],
        rates=[{"period": p["date"],
                "cancellation": rate(p["cancelled"] + p["late_cancel"], p["count"]),
                "no_show": rate(p["no_show"], p["completed"] + p["no_show"])} for p in periods],
        by_type=[{"type": slug, "count": t["count"], "revenue": as_number(t["revenue"] or Decimal(0)),
                  "currency": t["currency"] or "mixed"} for slug, t in result["by_type"].items()],
        lead_times=[{"bucket": b["bucket"], "count": b["count"]} for b in result.get("lead_time_distribution", [])],
    )


def rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def revenue_text(by_type: dict) -> str:
    """Revenue per currency for the card ('1,230.00 EUR + 40.00 USD'); amounts are Decimal."""
    totals: dict[str, Decimal] = {}
    for t in by_type.values():
        for currency, amount in t["revenue_by_currency"].items():
            totals[currency] = totals.get(currency, Decimal(0)) + amount
    return " + ".join(f"{amount:,.2f} {currency}" for currency, amount in sorted(totals.items())) or "0.00"
