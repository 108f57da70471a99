"""State of /manage/[token]: details, cancel, reschedule with a held slot, check-in, push opt-in."""
from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime

import reflex as rx

from booking_app.errors import ServiceError
from booking_app.state.routing import path_segment, query_param
from booking_app.viewmodels import manage_view
from booking_app.viewmodels.customer_view import SlotOption
from booking_app.viewmodels.manage_view import HistoryEntry, ManageView


class ManageState(rx.State):
    loading: bool = True
    missing: str = ""
    a: ManageView | None = None  # None until a booking is loaded
    history: list[HistoryEntry] = []  # the customer-facing history: no staff notes, actors or audit data
    panel: str = ""  # "" | cancel | reschedule
    reason: str = ""
    busy: bool = False
    notice: str = ""
    notice_color: str = "grass"
    arrived_to_check_in: bool = False
    hold_token: str = ""
    hold_until: str = ""
    seconds_left: int = 0
    options: list[SlotOption] = []
    other_day: str = ""
    chosen: SlotOption | None = None

    def _token(self) -> str:
        return path_segment(self, 1)

    def _refresh(self) -> None:
        self.a = manage_view.manage_view(self._token())
        self.history = manage_view.history(self._token())

    @rx.event
    def load(self):
        self.loading, self.panel, self.notice, self.missing = True, "", "", ""
        try:
            self._refresh()
        except ServiceError as exc:
            self.missing = exc.message
        self.arrived_to_check_in = bool(query_param(self, "checkin"))
        self.loading = False

    def _fail(self, exc: ServiceError) -> None:
        self.notice, self.notice_color = exc.message, "red"

    @rx.event
    def open_panel(self, panel: str):
        self.panel, self.notice = panel, ""
        if panel == "reschedule":
            return ManageState.begin_reschedule
        if panel == "cancel":
            return rx.set_focus("cancel-reason")

    @rx.event
    def close_panel(self):
        self.panel, self.hold_token, self.options, self.chosen = "", "", [], None

    @rx.event
    def set_reason(self, value: str):
        self.reason = value[:500]

    def _act(self, action, done: str, *, close_panel: bool):
        """One customer action: busy while it runs (the button shows it), then the fresh booking and a
        notice, or the refusal in words. Handlers `yield from` it."""
        if self.busy:
            return
        self.busy = True
        yield
        try:
            action()
            self._refresh()
            if close_panel:
                self.panel, self.hold_token = "", ""
            self.notice, self.notice_color = done, "grass"
        except ServiceError as exc:
            self._fail(exc)
        finally:
            self.busy = False

    @rx.event
    def cancel(self):
        token, reason = self._token(), self.reason
        yield from self._act(lambda: manage_view.cancel_by_customer(token, reason),
                             "Your appointment is cancelled. We sent you an email.", close_panel=True)

    # -- reschedule with a held slot ----------------------------------------------------------------
    @rx.event
    def begin_reschedule(self):
        self.busy = True
        yield
        try:
            offer = manage_view.start_reschedule(self._token())
        except ServiceError as exc:
            self._fail(exc)
            self.panel = ""
        else:
            self.hold_token, self.hold_until, self.options = offer.token, offer.expires_at, offer.options
            self.chosen = None
            yield ManageState.count_down
        finally:
            self.busy = False

    @rx.event
    def pick_day(self, day: str):
        if self.a is None:  # no booking loaded (a handler call from a page that is not this one)
            return
        self.other_day = str(day)[:10]
        try:
            options = manage_view.day_options(self.a, day)
        except (ValueError, ServiceError):
            self.options = []
            return
        self.options, self.chosen = options, None

    @rx.event
    def choose(self, option: SlotOption):
        self.chosen = option

    @rx.event
    def confirm_move(self):
        if self.chosen is None:
            return
        token, hold, chosen = self._token(), self.hold_token, self.chosen
        yield from self._act(lambda: manage_view.confirm_reschedule(token, hold, chosen),
                             "Moved. Your new confirmation is on its way by email.", close_panel=True)

    @rx.event(background=True)
    async def count_down(self):
        while True:
            async with self:
                if self.panel != "reschedule" or not self.hold_until:
                    return
                until = datetime.fromisoformat(self.hold_until)
                self.seconds_left = max(0, int((until - datetime.now(UTC)).total_seconds()))
                if self.seconds_left == 0:
                    self.notice, self.notice_color = "The hold expired. Start again to see current times.", "amber"
                    self.panel, self.hold_token = "", ""
                    return
            await asyncio.sleep(1)

    @rx.var
    def countdown(self) -> str:
        return f"{self.seconds_left // 60}:{self.seconds_left % 60:02d}"

    # -- check-in and push --------------------------------------------------------------------------
    @rx.event
    def check_in(self):
        token = self._token()
        yield from self._act(lambda: manage_view.check_in_by_link(token),
                             "You're checked in. Please take a seat; we'll call you.", close_panel=False)

    @rx.event
    def enable_push(self):
        appointment_id = self.a.id if self.a else ""
        # json.dumps makes both values JavaScript string literals, whatever the URL held.
        return rx.call_script(f"window.slotwisePush({json.dumps(appointment_id)}, {json.dumps(self._token())})",
                              callback=ManageState.push_result)

    @rx.event
    def push_result(self, result: str):
        ok = result == "subscribed"
        self.notice = ("Reminders will pop up on this device." if ok else
                       f"Push reminders could not be turned on: {result or 'not supported by this browser'}.")
        self.notice_color = "grass" if ok else "amber"
