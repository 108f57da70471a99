"""Reflex configuration. Ports are given on the command line (see the Makefile): production serves
pages, websocket and /api/v1 on one port. Redis comes from the same settings as the rest of the app."""
import reflex as rx
from reflex.plugins.sitemap import SitemapPlugin

from booking_app.settings import get_settings

settings = get_settings()
# Reflex imports this file first in every command and process: a bad SECRET_KEY stops `reflex run` here, in one line.
settings.require_secrets()

config = rx.Config(
    app_name="booking_app",
    telemetry_enabled=False,
    show_built_with_reflex=False,
    # Several backend processes share state through Redis in production; embedded keeps it in memory.
    redis_url=settings.redis_url or None,
    # Browsers may open the websocket (and call the API) only from our own pages.
    cors_allowed_origins=settings.allowed_origins,
    disable_plugins=[SitemapPlugin],
    plugins=[rx.plugins.RadixThemesPlugin(theme=rx.theme(accent_color="indigo", radius="large", appearance="inherit"))],
)
