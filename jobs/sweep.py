"""The every-minute job rq-scheduler runs: one pass of all periodic work."""
from booking_app.services.operations.periodic import run_tick


def tick() -> dict:
    return run_tick()
