"""Regenerate .env.example from the Settings class, so the documentation cannot drift."""
from pathlib import Path

from booking_app.settings import PROJECT_ROOT, Settings

lines = ["# Slotwise configuration. Empty storage settings = embedded mode, where every variable is optional.",
         "# With DATABASE_URL set, SECRET_KEY is required (the app, worker and scheduler refuse to start without it).",
         ""]
for name, field in Settings.model_fields.items():
    default = field.default
    if isinstance(default, Path):
        default = default.relative_to(PROJECT_ROOT) if default.is_relative_to(PROJECT_ROOT) else default
    value = str(default).lower() if isinstance(default, bool) else default
    lines += [f"# {field.description}", f"{name.upper()}={value}", ""]
(PROJECT_ROOT / ".env.example").write_text("\n".join(lines))
