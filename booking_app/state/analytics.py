"""State of /analytics: the same service call as GET /api/v1/appointments/analytics, shaped for charts."""
from __future__ import annotations

import asyncio
import uuid
from datetime import date, timedelta

import reflex as rx
from sqlmodel import select

from booking_app.db import session_scope
from booking_app.errors import ServiceError
from booking_app.models import Calendar
from booking_app.services.reports import analytics
from booking_app.state.staff import StaffState

STATUS_ORDER = ("confirmed", "pending", "completed", "no_show", "cancelled", "late_cancel")


class AnalyticsState(StaffState):
    calendars: list[dict[str, str]] = []
    calendar_id: str = ""
    start: str = ""
    end: str = ""
    group_by: str = "week"
    error: str = ""
    cards: dict[str, str] = {}
    series: list[dict] = []
    rates: list[dict] = []
    by_type: list[dict] = []
    lead_times: list[dict] = []

    @rx.event
    async def load(self):
        self.calendars = await asyncio.to_thread(_calendar_choices)
        if not self.start:
            today = date.today()
            self.start, self.end = (today - timedelta(days=56)).isoformat(), (today + timedelta(days=28)).isoformat()
        await self._query()

    @rx.event
    async def set_filter(self, name: str, value: str):
        if name in ("calendar_id", "start", "end", "group_by"):
            setattr(self, name, str(value)[:64])
            await self._query()

    async def _query(self) -> None:
        """The analytics queries scan many rows: they run in a thread, never on the event loop."""
        try:
            query = analytics.parse_query(calendar_id=uuid.UUID(self.calendar_id) if self.calendar_id else None,
                                          start_date=self.start or None, end_date=self.end or None,
                                          group_by=self.group_by)
            result = await asyncio.to_thread(_analytics, query)
        except (ServiceError, ValueError) as exc:
            self.error = getattr(exc, "message", str(exc))
            return
        self.error = ""
        self._shape(result)

    def _shape(self, result: dict) -> None:
        self.cards = {
            "total": str(result["total_appointments"]),
            "cancellation_rate": f"{result['cancellation_rate'] * 100:.1f}%",
            "no_show_rate": f"{result['no_show_rate'] * 100:.1f}%",
            "lead_time": "–" if result["average_lead_time_hours"] is None
            else f"{result['average_lead_time_hours']:.1f} h",
            "revenue": revenue_text(result["by_type"]),
        }
        periods = result[f"by_{result['group_by']}"]
        self.series = [{"period": p["date"], **{s: p[s] for s in STATUS_ORDER}, "count": p["count"]} for p in periods]
        self.rates = [{"period": p["date"],
                       "cancellation": rate(p["cancelled"] + p["late_cancel"], p["count"]),
                       "no_show": rate(p["no_show"], p["completed"] + p["no_show"])} for p in periods]
        self.by_type = [{"type": slug, "count": t["count"], "revenue": t["revenue"] or 0,
                         "currency": t["currency"] or "mixed"} for slug, t in result["by_type"].items()]
        self.lead_times = [{"bucket": b["bucket"], "count": b["count"]}
                           for b in result.get("lead_time_distribution", [])]


def rate(part: int, whole: int) -> float:
    return round(100 * part / whole, 1) if whole else 0.0


def revenue_text(by_type: dict) -> str:
    totals: dict[str, float] = {}
    for t in by_type.values():
        for currency, amount in t["revenue_by_currency"].items():
            totals[currency] = totals.get(currency, 0) + amount
    return " + ".join(f"{amount:,.2f} {currency}" for currency, amount in sorted(totals.items())) or "0.00"


def _calendar_choices() -> list[dict[str, str]]:
    with session_scope() as session:
        return [{"id": str(c.id), "name": f"{c.business_name} · {c.name}"}
                for c in session.exec(select(Calendar).order_by(Calendar.business_name))]


def _analytics(query) -> dict:
    with session_scope() as session:
        return analytics.appointment_analytics(session, query)
