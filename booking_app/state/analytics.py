"""State of /analytics: the same service call as GET /api/v1/appointments/analytics, shaped for charts."""
from __future__ import annotations

import asyncio
from datetime import date, timedelta

import reflex as rx

from booking_app.errors import ServiceError
from booking_app.state.staff import StaffState
from booking_app.viewmodels import analytics_view
from booking_app.viewmodels.analytics_view import STATUS_ORDER, AnalyticsCards
from booking_app.viewmodels.settings_view import CalendarChoice

__all__ = ["STATUS_ORDER", "AnalyticsState"]  # the page stacks the status bars in this order


class AnalyticsState(StaffState):
    calendars: list[CalendarChoice] = []
    calendar_id: str = ""
    start: str = ""
    end: str = ""
    group_by: str = "week"
    error: str = ""
    cards: AnalyticsCards | None = None
    series: list[dict] = []  # chart rows (analytics_view.AnalyticsReport)
    rates: list[dict] = []
    by_type: list[dict] = []
    lead_times: list[dict] = []

    @rx.event
    async def load(self):
        self.calendars = await asyncio.to_thread(analytics_view.calendar_choices)
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
            report = await asyncio.to_thread(analytics_view.report, calendar_id=self.calendar_id, start=self.start,
                                             end=self.end, group_by=self.group_by)
        except (ServiceError, ValueError) as exc:
            self.error = getattr(exc, "message", str(exc))
            return
        self.error = ""
        self.cards, self.series, self.rates = report.cards, report.series, report.rates
        self.by_type, self.lead_times = report.by_type, report.lead_times
