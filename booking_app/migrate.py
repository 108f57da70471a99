"""Run Alembic migrations programmatically (used by the CLI and the test fixtures)."""
from __future__ import annotations

from alembic.config import Config

from alembic import command
from booking_app.settings import PROJECT_ROOT


def upgrade(database_url: str | None = None, revision: str = "head") -> None:
    cfg = Config(str(PROJECT_ROOT / "alembic.ini"))
    cfg.set_main_option("script_location", str(PROJECT_ROOT / "alembic"))
    cfg.attributes["database_url"] = database_url
    command.upgrade(cfg, revision)
