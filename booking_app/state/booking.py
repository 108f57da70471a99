"""State of the booking page: type → day → slot → details → confirmation.

Everything typed survives a 409: the form stays filled and the nearest free times replace the
chosen one. Times are shown in the customer's timezone, detected from the browser."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime
from zoneinfo import ZoneInfo

import reflex as rx

from booking_app.errors import RateLimited, ServiceError
from booking_app.services.access import limits
from booking_app.state.routing import path_segment
from booking_app.viewmodels import customer_view as view
from booking_app.viewmodels.customer_view import AppointmentSummary, CalendarPage, DayCell, SlotOption, TypeOption

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^\+?[0-9 ()./-]{6,25}$")
PROBLEMS = {
    "slot_unavailable": "Sorry, that time was just taken. These are the nearest free times:",
    "lead_time_violation": "That time is too soon or too far ahead to book. These times are open:",
}


def field_errors(name: str, email: str, phone: str) -> dict[str, str]:
    errors = {}
    if not name.strip():
        errors["name"] = "Enter your name."
    if not EMAIL.match(email.strip()):
        errors["email"] = "Enter an email address like name@example.com."
    if phone.strip() and not PHONE.match(phone.strip()):
        errors["phone"] = "Enter a phone number like +1 555 010 0200, or leave it empty."
    return errors


class BookingState(rx.State):
    found: bool = True
    loading: bool = True
    page: CalendarPage | None = None  # the calendar, its policy and bookable types, once found
    type_slug: str = ""
    tz: str = "UTC"
    year: int = 2026
    month: int = 1
    loading_month: bool = False
    _days: dict[str, list[SlotOption]] = {}  # the month's free times: kept on the server, never sent
    open_days: list[str] = []
    day: str = ""
    day_slots: list[SlotOption] = []
    slot: SlotOption | None = None
    name: str = ""
    email: str = ""
    phone: str = ""
    notes: str = ""
    errors: dict[str, str] = {}
    problem: str = ""
    alternatives: list[SlotOption] = []
    submitting: bool = False
    booked: AppointmentSummary | None = None

    # -- loading -------------------------------------------------------------------------------
    @rx.event
    def load(self):
        slug = path_segment(self, 1)
        self.loading, self.booked, self.problem, self.slot, self.day = True, None, "", None, ""
        try:
            page = view.calendar_page(slug)
        except ServiceError:
            self.found, self.loading = False, False
            return
        self.found, self.page, self.tz = True, page, page.timezone
        self.type_slug = page.types[0].slug if page.types else ""  # the first is preselected: one click less
        today = datetime.now(ZoneInfo(self.tz)).date()
        self.year, self.month = today.year, today.month
        self._fill_month()  # in this same event: the first times show with the page, not a round trip later
        self.loading = False
        return rx.call_script("Intl.DateTimeFormat().resolvedOptions().timeZone", callback=BookingState.use_browser_tz)

    @rx.event
    def use_browser_tz(self, tz: str):
        if isinstance(tz, str) and tz != self.tz and view.safe_zone(tz, "") == tz:
            self.tz = tz
            return BookingState.load_month

    @rx.event
    def change_tz(self, tz: str):
        self.tz = view.safe_zone(tz, self.tz)
        self.slot = None
        return BookingState.load_month

    @rx.event
    def choose_type(self, slug: str):
        self.type_slug, self.slot, self.day, self.problem = slug, None, "", ""
        return BookingState.load_month

    @rx.event
    def load_month(self):
        self.loading_month = True
        yield
        self._fill_month()
        self.loading_month = False

    def _fill_month(self) -> None:
        days: dict[str, list[SlotOption]] = {}
        if self.type_slug and self.page is not None:
            try:
                days = view.month_slots(self.page.slug, self.type_slug, self.tz, self.year, self.month)
            except ServiceError as exc:
                self.problem = exc.message
        self._days, self.open_days = days, sorted(days)
        self._show_day(self.day if self.day in days else next(iter(self.open_days), ""))

    def _show_day(self, day: str) -> None:
        self.day, self.day_slots = day, self._days.get(day, [])

    @rx.event
    def shift_month(self, step: int):
        month = self.month + step
        self.year, self.month = self.year + (month - 1) // 12, (month - 1) % 12 + 1
        self.day = ""
        return BookingState.load_month

    # -- choosing --------------------------------------------------------------------------------
    @rx.event
    def choose_day(self, day: str):
        self._show_day(day)

    @rx.event
    def choose_slot(self, slot: SlotOption):
        self.slot, self.problem, self.alternatives = slot, "", []

    @rx.event
    def change_time(self):
        self.slot = None

    @rx.event
    def set_field(self, field: str, value: str):
        if field in ("name", "email", "phone", "notes"):
            setattr(self, field, value[:2000])
            if field in self.errors:
                self.errors = {k: v for k, v in self.errors.items() if k != field}

    @rx.event
    def check_field(self, field: str):
        problem = field_errors(self.name, self.email, self.phone).get(field)
        self.errors = {**{k: v for k, v in self.errors.items() if k != field}, **({field: problem} if problem else {})}

    # -- booking -----------------------------------------------------------------------------------
    @rx.event
    def submit(self, form: dict | None = None):
        if self.submitting or self.slot is None or self.page is None:
            return
        # The submitted fields win over the debounced on_change copies, which may still be in flight.
        submitted = form or {}
        for field in ("name", "email", "phone", "notes"):
            value = submitted.get(field)
            if isinstance(value, str):
                setattr(self, field, value[:2000])
        self.errors = field_errors(self.name, self.email, self.phone)
        if self.errors:
            return rx.set_focus(f"field-{next(iter(self.errors))}")
        self.submitting = True
        yield
        try:
            self.booked = view.book_from_page(
                calendar_id=self.page.id, type_slug=self.type_slug, slot=self.slot, name=self.name,
                email=self.email, phone=self.phone, notes=self.notes, tz=self.tz,
                client_ip=limits.client_ip_of_router(self.router))  # the API's limits: one budget for both
        except RateLimited as exc:
            self.problem, self.alternatives = exc.message, []  # "Too many attempts. Try again in 40 seconds."
        except ServiceError as exc:
            self._show_problem(exc)
        finally:
            self.submitting = False

    def _show_problem(self, exc: ServiceError) -> None:
        if exc.code in PROBLEMS:
            self.problem = PROBLEMS[exc.code]
            self.alternatives = view.offered_times(exc.extra.get("available_slots", [])[:6], self.tz)
            return
        fields = {d.get("field"): exc.message for d in exc.extra.get("details", []) if isinstance(d, dict)}
        mapping = {"customer_name": "name", "customer_email": "email", "customer_phone": "phone", "notes": "notes"}
        self.errors = {mapping[f]: m for f, m in fields.items() if f in mapping}
        self.problem = "" if self.errors else exc.message

    @rx.event
    def take_alternative(self, slot: SlotOption):
        start = datetime.fromisoformat(slot.start_time)
        day = start.astimezone(ZoneInfo(self.tz)).date()
        self.slot = replace(slot, label=view.time_label(start, self.tz))
        self.problem, self.alternatives = "", []
        if (day.year, day.month) != (self.year, self.month):
            self.year, self.month = day.year, day.month
        self.day = day.isoformat()
        return BookingState.load_month

    # -- derived -------------------------------------------------------------------------------------
    @rx.var
    def month_title(self) -> str:
        return date(self.year, self.month, 1).strftime("%B %Y")

    @rx.var
    def can_go_back(self) -> bool:
        today = datetime.now(ZoneInfo(self.tz)).date()
        return (self.year, self.month) > (today.year, today.month)

    @rx.var
    def grid(self) -> list[DayCell]:
        today = datetime.now(ZoneInfo(self.tz)).date()
        return view.month_grid_days(self.year, self.month, set(self.open_days), today, selected=self.day)

    @rx.var
    def day_title(self) -> str:
        return date.fromisoformat(self.day).strftime("%A, %B %-d") if self.day else ""

    @rx.var
    def chosen_type(self) -> TypeOption | None:
        types = self.page.types if self.page is not None else []
        return next((t for t in types if t.slug == self.type_slug), None)

    @rx.var
    def slot_when(self) -> str:
        return view.when_label(datetime.fromisoformat(self.slot.start_time), self.tz) if self.slot else ""
