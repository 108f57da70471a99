"""The Reflex app: pages, the /api/v1 FastAPI mount, and the embedded-mode sweep loop."""
from __future__ import annotations

import asyncio
import logging

import reflex as rx

from booking_app.api.app import create_api_app
from booking_app.pages.index import index
from booking_app.settings import get_settings

log = logging.getLogger("booking_app")


async def embedded_sweep() -> None:
    """Without Redis/rq-scheduler the backend runs the periodic work itself."""
    settings = get_settings()
    if not settings.embedded:
        return
    from booking_app.services.periodic import run_tick

    while True:
        try:
            await asyncio.to_thread(run_tick)
        except Exception:  # noqa: BLE001 - keep the loop alive; the next pass retries
            log.exception("embedded sweep failed")
        await asyncio.sleep(settings.embedded_tick_seconds)


app = rx.App(api_transformer=create_api_app())
app.add_page(index, route="/", title="Slotwise")
app.register_lifespan_task(embedded_sweep)
