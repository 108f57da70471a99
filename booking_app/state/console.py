"""The live console: the day's board, kept current by a background task that listens for live
events and re-reads the board from the database (the database is the truth, never the state)."""
from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime

import reflex as rx

from booking_app import live
from booking_app.state.staff import StaffState
from booking_app.viewmodels import console_view
from booking_app.viewmodels.console_view import BoardColumn, BoardItem, DayBoard

IDLE_SECONDS = 60  # no heartbeat from the page for this long: the listener stops
RESYNC_SECONDS = 30  # and it re-reads the board this often even when nothing was announced


class ConsoleState(StaffState):
    day: str = ""
    columns: list[BoardColumn] = []
    hours: list[str] = []
    items: list[BoardItem] = []
    live_status: str = "connecting"
    flash_id: str = ""
    announcement: str = ""
    selected: str = ""
    action: str = ""  # "" | cancel | propose | note
    text: str = ""
    code: str = ""
    _listening: bool = False
    _last_beat: float = 0.0

    @rx.event
    def load(self):
        if not self.day:
            self.day = datetime.now(UTC).date().isoformat()
        self._resync()
        return ConsoleState.listen

    def _resync(self) -> None:
        board = console_view.day_board(date.fromisoformat(self.day))
        self._apply(board)

    def _apply(self, board: DayBoard) -> None:
        self.columns, self.items, self.hours = board.columns, board.items, board.hours

    @rx.event
    def heartbeat(self, _value: str = ""):
        self._last_beat = time.monotonic()
        if not self._listening:
            return ConsoleState.listen

    @rx.event(background=True)
    async def listen(self):
        async with self:
            if self._listening:
                return
            self._listening, self._last_beat = True, time.monotonic()
            self.live_status, day = "live", self.day
        last_sync = time.monotonic()
        try:
            async for event in live.changes(quiet=5):
                if event is live.DISCONNECTED:
                    async with self:
                        self.live_status = "reconnecting"
                    continue
                if event is None and time.monotonic() - last_sync < RESYNC_SECONDS:
                    continue
                if not await self._still_allowed():
                    return  # signed out, revoked or deactivated: stop streaming; the board is forgotten
                if not day:  # the listener started before the page chose its day (a reconnect)
                    async with self:
                        day = self.day
                while day:  # read the board outside the state lock; again if the page switched days
                    board = await asyncio.to_thread(console_view.day_board, date.fromisoformat(day))
                    async with self:
                        if time.monotonic() - self._last_beat > IDLE_SECONDS:
                            return  # the page is gone
                        if self.day == day:
                            self._apply(board)
                            self.live_status = "live"
                            if event and event.get("appointment_id"):
                                self.flash_id = event["appointment_id"]
                                self.announcement = _announce(event, board)
                            break
                        day = self.day
                last_sync = time.monotonic()
        finally:
            async with self:
                self._listening = False

    # -- navigation and selection --------------------------------------------------------------
    @rx.event
    def set_day(self, value: str):
        try:
            self.day = date.fromisoformat(value).isoformat()
        except ValueError:
            return
        self._resync()

    @rx.event
    def open_action(self, appointment_id: str, action: str):
        self.selected, self.action, self.text = appointment_id, action, ""

    @rx.event
    def close_action(self):
        self.selected, self.action, self.text = "", "", ""

    @rx.event
    def set_text(self, value: str):
        self.text = value[:1000]

    @rx.event
    def set_code(self, value: str):
        self.code = value[:500]

    # -- actions: each is a service call; the board re-reads itself afterwards ----------------------
    def _run(self, done: str, call, *args):
        error, event = self._act(done, lambda principal: call(*args, principal))
        if error is None:
            self.selected, self.action, self.text = "", "", ""
            self._resync()
        return event

    @rx.event
    def check_in(self, appointment_id: str):
        return self._run("Checked in.", console_view.check_in, appointment_id)

    @rx.event
    def check_in_code(self, _form: dict | None = None):
        code, self.code = self.code, ""
        return self._run("Checked in by code.", console_view.check_in_by_code, code)

    @rx.event
    def mark(self, appointment_id: str, status: str):
        words = {"no_show": "Marked as no-show.", "completed": "Marked as completed."}
        return self._run(words.get(status, "Updated."), console_view.set_outcome, appointment_id, status)

    @rx.event
    def submit_action(self):
        if self.action == "cancel":
            return self._run("Cancelled; the customer was told and offered a new time.",
                             console_view.cancel_as_owner, self.selected, self.text)
        if self.action == "propose":
            return self._run("New time proposed; the customer can accept or decline.",
                             console_view.propose_time, self.selected, self.text)
        if self.action == "note":
            return self._run("Note added.", console_view.add_note, self.selected, self.text)

    @rx.var
    def live_label(self) -> str:
        return {"live": "Live", "reconnecting": "Reconnecting…"}.get(self.live_status, "Connecting…")


def _announce(event: dict, board: DayBoard) -> str:
    item = next((i for i in board.items if i.id == event["appointment_id"]), None)
    return f"{item.customer} at {item.time}: {item.status_word}" if item else ""
