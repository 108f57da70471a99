"""Reflex configuration; ports and Redis come from the same settings as the rest of the app."""
import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from booking_app.settings import get_settings

settings = get_settings()

config = rx.Config(
    app_name="booking_app",
    # Production serves pages, the websocket and /api/v1 on one port.
    frontend_port=settings.app_port,
    backend_port=settings.app_port,
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Several backend processes share state through Redis in production; embedded keeps it in memory.
    redis_url=settings.redis_url or None,
    disable_plugins=[SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="large", appearance="inherit"))],
)
