"""The Alembic chain and the SQLModel tables describe the same schema, on both databases: a model
change without its migration (or the reverse) fails here, not in production."""
from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import booking_app.models  # noqa: F401 - registers every table
from booking_app.db import get_engine
from booking_app.migrate import upgrade
from booking_app.models import Appointment, AppointmentType, AuditEvent, Calendar, Contact
from tests.conftest import create_pg_database, drop_pg_database


def test_migrated_schema_matches_the_models(database):
    engine = get_engine(database)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    if engine.dialect.name == "sqlite":  # INCLUDE indexes exist on PostgreSQL only (ddl_if)
        differences = [d for d in differences
                       if not (d[0] == "add_index" and d[1].name == "ix_payments_appointment_money")]
    assert differences == []


@pytest.fixture(params=["sqlite", "postgres"])
def legacy_database(request, tmp_path):
    """A fresh database at 0003, where staff notes were appended to the customer's `notes`."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'legacy.db'}"
        upgrade(url, "0003")
        yield url
        return
    admin = request.getfixturevalue("pg_server")
    name, url = create_pg_database(admin)
    upgrade(url, "0003")
    yield url
    drop_pg_database(admin, name)


def insert(connection, row: SQLModel) -> None:
    table = type(row).__table__
    connection.execute(table.insert().values({c.name: getattr(row, c.name) for c in table.columns
                                              if c.name != "staff_notes"}))


def test_0004_moves_appended_staff_notes_out_of_the_customers_notes(legacy_database):
    t0 = datetime(2026, 3, 2, 9, tzinfo=timezone.utc)
    at = lambda minutes: t0 + timedelta(minutes=minutes)  # noqa: E731
    calendar = Calendar(slug="legacy", name="Legacy", business_name="Legacy", timezone="UTC")
    contact = Contact(email="ann@example.com", name="Ann")
    kind = AppointmentType(calendar_id=calendar.id, slug="visit", name="Visit", duration_minutes=30)

    def appointment(hour: int, notes: str | None, created: int, status: str = "confirmed", **fields) -> Appointment:
        start = at(24 * 60 + hour * 60)
        return Appointment(calendar_id=calendar.id, slot_id=uuid.uuid4(), customer_id=contact.id,
                           customer_email=contact.email, customer_name=contact.name, start_time=start,
                           end_time=start + timedelta(minutes=30), busy_start=start,
                           busy_end=start + timedelta(minutes=30), duration_minutes=30, timezone="UTC",
                           status=status, lineage_id=fields.pop("lineage_id", uuid.uuid4()), appointment_type="visit",
                           appointment_type_id=kind.id, location_type="in_person", notes=notes,
                           manage_token_hash="x" * 64, created_at=at(created), **fields)

    def noted(row: Appointment, minutes: int, note: str, action: str = "appointment.note_added") -> AuditEvent:
        return AuditEvent(appointment_id=row.id, entity_type="appointment", entity_id=str(row.id), action=action,
                          actor_type="staff", data={"note" if action.endswith("note_added") else "notes": note},
                          created_at=at(minutes))

    # Moved after two notes (the copy took them along); one more note on each afterwards.
    old = appointment(1, "Bring X-rays\nFirst\nSecond\nLate on the old one", 0, status="cancelled")
    new = appointment(2, "Bring X-rays\nFirst\nSecond\nPaid cash", 30, status="completed",
                      lineage_id=old.lineage_id, rescheduled_from_id=old.id)
    staff_only = appointment(3, "Call before", 0)
    unmatched = appointment(4, "Only mine", 0)
    events = [noted(old, 10, "First"), noted(old, 20, "Second"), noted(old, 40, "Late on the old one"),
              noted(new, 50, "Paid cash", "appointment.completed"), noted(staff_only, 5, "Call before"),
              noted(unmatched, 5, "Not what the text ends with")]
    with get_engine(legacy_database).begin() as connection:
        for row in (calendar, contact, kind, old, new, staff_only, unmatched, *events):
            insert(connection, row)

    upgrade(legacy_database)
    with get_engine(legacy_database).connect() as connection:
        rows = {row.id: (row.notes, row.staff_notes) for row in connection.execute(
            sa.select(Appointment.__table__.c.id, Appointment.__table__.c.notes,
                      Appointment.__table__.c.staff_notes))}
    assert rows[old.id] == ("Bring X-rays", "First\nSecond\nLate on the old one")
    assert rows[new.id] == ("Bring X-rays", "First\nSecond\nPaid cash")
    assert rows[staff_only.id] == (None, "Call before")
    assert rows[unmatched.id] == ("Only mine", None)
