"""The Reflex app: pages, the /api/v1 FastAPI mount, and the embedded-mode sweep loop."""
from __future__ import annotations

import asyncio
import logging

import reflex as rx

from booking_app.api.app import create_api_app
from booking_app.pages.analytics import analytics_page
from booking_app.pages.appointments import appointments_page
from booking_app.pages.book import book_page
from booking_app.pages.console import console_page
from booking_app.pages.index import index
from booking_app.pages.login import login_page
from booking_app.pages.manage import manage_page
from booking_app.pages.proposal import proposal_page
from booking_app.pages.settings import settings_page
from booking_app.settings import get_settings
from booking_app.state.analytics import AnalyticsState
from booking_app.state.appointments import AppointmentsState
from booking_app.state.booking import BookingState
from booking_app.state.console import ConsoleState
from booking_app.state.manage import ManageState
from booking_app.state.proposal import ProposalState
from booking_app.state.settings import SettingsState

log = logging.getLogger("booking_app")


async def embedded_sweep() -> None:
    """Without Redis/rq-scheduler the backend runs the periodic work itself."""
    settings = get_settings()
    if not settings.embedded:
        return
    from booking_app.services.operations.periodic import run_tick

    while True:
        try:
            await asyncio.to_thread(run_tick)
        except Exception:  # noqa: BLE001 - keep the loop alive; the next pass retries
            log.exception("embedded sweep failed")
        await asyncio.sleep(settings.embedded_tick_seconds)


async def limit_request_threads() -> None:
    """FastAPI serves our sync endpoints from anyio's thread pool. Under a burst, dozens of threads per
    worker fighting over the GIL and the database pool serve fewer requests than a few do (measured
    with bench/booking_load.py); requests beyond the limit wait cheaply in the event loop."""
    import anyio.to_thread

    anyio.to_thread.current_default_thread_limiter().total_tokens = get_settings().request_threads


app = rx.App(api_transformer=create_api_app())
app.add_page(index, route="/", title="Slotwise")
app.add_page(book_page, route="/book/[calendar]", on_load=BookingState.load, title="Book an appointment · Slotwise")
app.add_page(manage_page, route="/manage/[token]", on_load=ManageState.load, title="Your booking · Slotwise")
app.add_page(proposal_page, route="/manage/[token]/proposal/[proposal]", on_load=ProposalState.load,
             title="A new time was suggested · Slotwise")
app.add_page(login_page, route="/login", title="Staff sign-in · Slotwise")
app.add_page(console_page, route="/console", on_load=ConsoleState.load, title="Console · Slotwise")
app.add_page(analytics_page, route="/analytics", on_load=AnalyticsState.load, title="Analytics · Slotwise")
app.add_page(appointments_page, route="/appointments", on_load=AppointmentsState.load,
             title="Appointments · Slotwise")
app.add_page(settings_page, route="/settings", on_load=SettingsState.load, title="Settings · Slotwise")
app.register_lifespan_task(embedded_sweep)
app.register_lifespan_task(limit_request_threads)
