"""The Alembic chain and the SQLModel tables describe the same schema, on both databases: a model
change without its migration (or the reverse) fails here, not in production."""
from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlmodel import SQLModel

import booking_app.models  # noqa: F401 - registers every table
from booking_app.db import get_engine


def test_migrated_schema_matches_the_models(database):
    engine = get_engine(database)
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, SQLModel.metadata)
    if engine.dialect.name == "sqlite":  # INCLUDE indexes exist on PostgreSQL only (ddl_if)
        differences = [d for d in differences
                       if not (d[0] == "add_index" and d[1].name == "ix_payments_appointment_money")]
    assert differences == []
