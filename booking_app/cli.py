"""`booking-app`: operations from the shell. Every command reads the same env vars as the app."""
from __future__ import annotations

import json
import logging

import typer

app = typer.Typer(help="Slotwise operations.", no_args_is_help=True)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
key_app = typer.Typer(help="Staff API keys.", no_args_is_help=True)
user_app = typer.Typer(help="Staff logins.", no_args_is_help=True)
jobs_app = typer.Typer(help="Periodic work.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(key_app, name="api-key")
app.add_typer(user_app, name="user")
app.add_typer(jobs_app, name="jobs")


@db_app.command("upgrade")
def db_upgrade(revision: str = "head") -> None:
    """Apply migrations (PostgreSQL from DATABASE_URL, else the embedded SQLite file)."""
    from booking_app.migrate import upgrade

    upgrade(revision=revision)
    typer.echo("database is up to date")


@key_app.command("create")
def api_key_create(role: str = typer.Option(..., help="admin or staff"),
                   name: str = typer.Option(..., help="who or what uses the key")) -> None:
    """Create an API key; the key itself is printed once, alone on the last line."""
    from booking_app.db import session_scope
    from booking_app.errors import ServiceError
    from booking_app.services.access.api_keys import create_api_key

    try:
        with session_scope() as session:
            key, secret = create_api_key(session, name=name, role=role)
    except ServiceError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"created {key.role} key '{key.name}' ({key.id}); store it now, it is not shown again:")
    typer.echo(secret)


@user_app.command("create")
def user_create(email: str = typer.Option(...), name: str = typer.Option(...),
                role: str = typer.Option("staff", help="admin or staff"),
                password: str = typer.Option(..., prompt=True, hide_input=True, confirmation_prompt=True)) -> None:
    """Create a staff login for the console."""
    from booking_app.db import session_scope
    from booking_app.errors import ServiceError
    from booking_app.services.access.users import create_user

    try:
        with session_scope() as session:
            user = create_user(session, email=email, name=name, password=password, role=role)
    except ServiceError as exc:
        typer.echo(exc.message, err=True)
        raise typer.Exit(2) from exc
    typer.echo(f"created {user.role} user {user.email}")


@app.command("seed-demo")
def seed_demo(weeks_back: int = 3, weeks_ahead: int = 3,
              appointments: int = typer.Option(0, help="also bulk-load N historical appointments "
                                                       "(PostgreSQL COPY, new calendars)"),
              reset_admin_password: bool = typer.Option(
                  False, help="give the existing demo admin a new random password (printed) and end its sessions"),
              ) -> None:
    """Load the demo business (skipped for calendars that already exist). The demo admin's random password
    is printed when the admin is created (or with --reset-admin-password), and never again."""
    from booking_app.demo import DEMO_ADMIN_EMAIL, demo_admin
    from booking_app.demo import seed_demo as run
    from booking_app.settings import get_settings

    get_settings().require_secrets()
    password = demo_admin(reset_password=reset_admin_password)
    created = run(weeks_back=weeks_back, weeks_ahead=weeks_ahead)
    typer.echo(f"demo data ready ({created} new appointments)")
    if password:
        typer.echo(f"staff console login: {DEMO_ADMIN_EMAIL} / {password}  (shown only now; "
                   "`booking-app seed-demo --reset-admin-password` makes a new one)")
    else:
        typer.echo(f"staff console login: {DEMO_ADMIN_EMAIL} already exists and keeps the password printed when "
                   "it was created (`booking-app seed-demo --reset-admin-password` makes a new one)")
    if appointments:
        from booking_app.bulk_seed import BulkSeedError, bulk_seed

        try:
            stats = bulk_seed(appointments)
        except BulkSeedError as exc:
            typer.echo(str(exc), err=True)
            raise typer.Exit(2) from exc
        typer.echo("bulk data ready ({appointments} appointments, {payments} payments, {calendars} calendars)"
                   .format(**stats))


@jobs_app.command("tick")
def jobs_tick() -> None:
    """Run one pass of all periodic work now, synchronously."""
    from booking_app.services.operations.periodic import run_tick
    from booking_app.settings import get_settings

    get_settings().require_secrets()
    logging.basicConfig(level=logging.INFO)
    typer.echo(json.dumps(run_tick()))


def _require_redis() -> str:
    from booking_app.settings import get_settings

    url = get_settings().redis_url
    if not url:
        typer.echo("REDIS_URL is not set: in the embedded mode the app runs jobs itself.", err=True)
        raise typer.Exit(2)
    return url


@app.command("worker")
def worker(burst: bool = typer.Option(False, help="exit when the queue is empty")) -> None:
    """Run an RQ worker (with its scheduler, so retries with backoff fire on time)."""
    from booking_app.settings import get_settings

    get_settings().require_secrets()
    import jobs.notifications  # noqa: F401 - imported once here, so forked work horses start warm
    import jobs.sweep  # noqa: F401
    from booking_app.notify.compose import warm_up
    from jobs.worker import run

    warm_up()
    logging.basicConfig(level=logging.INFO)
    run(_require_redis(), get_settings().rq_queue, burst=burst)


@app.command("scheduler")
def scheduler(interval: int = typer.Option(60, help="seconds between sweeps")) -> None:
    """Register the periodic sweep with rq-scheduler and run the scheduler loop."""
    from booking_app.settings import get_settings
    from jobs.scheduler import make_scheduler, run_forever

    get_settings().require_secrets()
    logging.basicConfig(level=logging.INFO)
    run_forever(make_scheduler(_require_redis(), get_settings().rq_queue), interval)


if __name__ == "__main__":
    app()
