"""State of /settings (admins only): one calendar's settings, its types, and API keys."""
from __future__ import annotations

import reflex as rx

from booking_app.services import settings_view
from booking_app.services.errors import ServiceError
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

    def _admin(self, done: str, call, *args):
        principal = self.principal()
        if principal is None or not principal.is_admin:
            return self.check_access(admin=True)
        try:
            result = call(*args, principal)
        except ServiceError as exc:
            self.error = exc.message
            return rx.toast.error(exc.message)
        self.error = ""
        self._reload(keep=self.form.get("id", ""))
        return result, rx.toast.success(done)

    @rx.event
    def save(self, form: dict):
        merged = {**self.form, **{k: str(v) for k, v in (form or {}).items()}}
        outcome = self._admin("Calendar saved.", settings_view.save_calendar, merged)
        return outcome[1] if isinstance(outcome, tuple) else outcome

    @rx.event
    def add_type(self, form: dict):
        outcome = self._admin("Appointment type added.", settings_view.add_type, self.form.get("id", ""), form)
        return outcome[1] if isinstance(outcome, tuple) else outcome

    @rx.event
    def create_key(self, form: dict):
        outcome = self._admin("Key created.", settings_view.create_key, str(form.get("key_name", "")),
                              str(form.get("key_role", "staff")))
        if isinstance(outcome, tuple):
            self.new_key = outcome[0]
            return outcome[1]
        return outcome

    @rx.event
    def revoke(self, key_id: str):
        outcome = self._admin("Key revoked.", settings_view.revoke_key, key_id)
        return outcome[1] if isinstance(outcome, tuple) else outcome
