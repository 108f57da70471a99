"""State of /appointments: filtered list with cursor pagination and a detail panel."""
from __future__ import annotations

import reflex as rx

from booking_app.errors import ServiceError
from booking_app.state.staff import StaffState
from booking_app.viewmodels import staff_lists
from booking_app.viewmodels.staff_lists import AppointmentDetail, AppointmentRow, AuditEntry, MessageRow

FILTERS = ("status", "email", "start", "end")


class AppointmentsState(StaffState):
    status: str = ""
    email: str = ""
    start: str = ""
    end: str = ""
    rows: list[AppointmentRow] = []
    next_cursor: str = ""
    error: str = ""
    detail: AppointmentDetail | None = None  # the open appointment, if any
    history: list[AuditEntry] = []
    messages: list[MessageRow] = []

    @rx.event
    def load(self):
        self._search(reset=True)

    @rx.event
    def set_filter(self, name: str, value: str):
        if name in FILTERS:
            setattr(self, name, value[:255])

    @rx.event
    def apply(self, _form: dict | None = None):
        self._search(reset=True)

    @rx.event
    def more(self):
        self._search(reset=False)

    def _search(self, *, reset: bool) -> None:
        try:
            page = staff_lists.search(calendar_id="", status=self.status, email=self.email, start=self.start,
                                      end=self.end, cursor=None if reset else self.next_cursor or None)
        except ServiceError as exc:
            self.error = exc.message
            return
        self.error = ""
        self.rows = page.rows if reset else self.rows + page.rows
        self.next_cursor = page.next_cursor

    @rx.event
    def open(self, appointment_id: str):
        try:
            record = staff_lists.record(appointment_id)
        except ServiceError as exc:
            self.error = exc.message
            return
        self.detail, self.history, self.messages = record.detail, record.history, record.messages

    @rx.event
    def retry(self, notification_id: str):
        error, event = self._act("Sending again.", lambda principal: staff_lists.retry(notification_id, principal))
        if error is None and self.detail is not None:
            self.open(self.detail.id)  # type: ignore[operator]  # mypy types @rx.event handlers as EventNamespace
        return event
