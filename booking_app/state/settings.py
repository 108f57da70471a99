"""State of /settings (admins only): one calendar's settings, its types, and API keys."""
from __future__ import annotations

import reflex as rx

from booking_app.services import settings_view
from booking_app.state.staff import StaffState


class SettingsState(StaffState):
    calendars: list[dict[str, str]] = []
    form: dict[str, str] = {}
    types: list[dict[str, str]] = []
    keys: list[dict[str, str]] = []
    new_key: str = ""
    error: str = ""

    @rx.event
    def load(self):
        denied = self.check_access(admin=True)
        if denied:
            return denied
        self._reload(keep=self.form.get("id", ""))

    def _reload(self, keep: str = "") -> None:
        data = settings_view.overview()
        self.calendars, self.keys = data["calendars"], data["keys"]
        chosen = next((c for c in self.calendars if c["id"] == keep), self.calendars[0] if self.calendars else {})
        self.form = dict(chosen)
        self.types = [t for t in data["types"] if t["calendar_id"] == chosen.get("id")]

    @rx.event
    def choose(self, calendar_id: str):
        self._reload(keep=calendar_id)

    @rx.event
    def set_field(self, field: str, value: str):
        self.form = {**self.form, field: value[:20000]}

    def _admin(self, done: str, action):
        """The event to return; a refusal's message also stays on the page above the form."""
        error, event = self.act(done, action, admin=True)
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

        def create(principal) -> None:
            self.new_key = settings_view.create_key(name, role, principal)

        return self._admin("Key created.", create)

    @rx.event
    def revoke(self, key_id: str):
        return self._admin("Key revoked.", lambda p: settings_view.revoke_key(key_id, p))
