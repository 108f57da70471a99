"""Alembic environment: one migration history for PostgreSQL and SQLite."""
from alembic import context
from sqlmodel import SQLModel

import booking_app.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from booking_app.db import get_engine

config = context.config
target_metadata = SQLModel.metadata


def run_migrations_online() -> None:
    url = config.attributes.get("database_url")
    engine = get_engine(url)
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
