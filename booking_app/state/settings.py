"""State of /settings (admins only): one calendar's settings, its types, and API keys."""
from __future__ import annotations

from typing import ClassVar

import reflex as rx

from booking_app.state.staff import StaffState
from booking_app.viewmodels import settings_view
from booking_app.viewmodels.hours_text import DAY_NAMES
from booking_app.viewmodels.settings_view import CHANNELS, ApiKeyRow, CalendarChoice, TypeRow

__all__ = ["CHANNELS", "DAY_NAMES", "SettingsState"]  # the page lists days and channels from here


class SettingsState(StaffState):
    access: ClassVar[str] = "admin"
    calendars: list[CalendarChoice] = []
    form: dict[str, str] = {}  # the chosen calendar's edit buffer: field name -> text as typed (a free-form dict)
    types: list[TypeRow] = []
    keys: list[ApiKeyRow] = []
    key_shown: bool = False  # the new key itself never enters state: it goes to the page once (create_key)
    error: str = ""

    @rx.event
    def load(self):
        self._reload(keep=self.form.get("id", ""))

    def _reload(self, keep: str = "") -> None:
        data = settings_view.overview(keep)
        self.key_shown = False
        self.calendars, self.form, self.types, self.keys = data.calendars, data.form, data.types, data.keys

    @rx.event
    def choose(self, calendar_id: str):
        self._reload(keep=calendar_id)

    @rx.event
    def set_field(self, field: str, value: str):
        self.form = {**self.form, field: value[:20000]}

    def _admin(self, done: str, action):
        """The event to return; a refusal's message also stays on the page above the form."""
        error, event = self._act(done, action)
        self.error = error or ""
        if error is None:
            self._reload(keep=self.form.get("id", ""))
        return event

    @rx.event
    def save(self, form: dict):
        merged = {**self.form, **{k: str(v) for k, v in (form or {}).items()}}
        return self._admin("Calendar saved.", lambda p: settings_view.save_calendar(merged, p))

    @rx.event
    def add_type(self, form: dict):
        calendar_id = self.form.get("id", "")
        return self._admin("Appointment type added.", lambda p: settings_view.add_type(calendar_id, form, p))

    @rx.event
    def create_key(self, form: dict):
        name, role = str(form.get("key_name", "")), str(form.get("key_role", "staff"))
        created: list[str] = []
        event = self._admin("Key created.", lambda p: created.append(settings_view.create_key(name, role, p)))
        if not created:
            return event
        # Shown once: the key travels only in this event, into the page's read-only field.
        self.key_shown = True
        return [event, rx.set_value("new-key", created[0])]

    @rx.event
    def revoke(self, key_id: str):
        return self._admin("Key revoked.", lambda p: settings_view.revoke_key(key_id, p))
