"""State of /appointments: filtered list with cursor pagination and a detail panel."""
from __future__ import annotations

import reflex as rx

from booking_app.errors import ServiceError
from booking_app.state.staff import StaffState
from booking_app.viewmodels import staff_lists

FILTERS = ("status", "email", "start", "end")


class AppointmentsState(StaffState):
    status: str = ""
    email: str = ""
    start: str = ""
    end: str = ""
    rows: list[dict[str, str]] = []
    next_cursor: str = ""
    error: str = ""
    detail: dict[str, str] = {}
    history: list[dict[str, str]] = []
    messages: list[dict[str, str]] = []

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
        self.rows = page["items"] if reset else self.rows + page["items"]
        self.next_cursor = page["next_cursor"]

    @rx.event
    def open(self, appointment_id: str):
        try:
            record = staff_lists.record(appointment_id)
        except ServiceError as exc:
            self.error = exc.message
            return
        self.detail = {k: str(record[k] or "") for k in ("id", "customer_name", "customer_email", "start_time",
                                                           "status", "appointment_type", "confirmation_status",
                                                           "staff_notes")}
        self.history = [{"at": h["at"][:19].replace("T", " "), "action": h["action"],
                         "who": h["actor"] or h["actor_type"]} for h in record["history"]]
        self.messages = record["notifications"]

    @rx.event
    def retry(self, notification_id: str):
        error, event = self._act("Sending again.", lambda principal: staff_lists.retry(notification_id, principal))
        if error is None:
            self.open(self.detail["id"])  # type: ignore[operator]  # mypy types @rx.event handlers as EventNamespace
        return event
