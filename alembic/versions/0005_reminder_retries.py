"""Reminders are retried with backoff like every other message: a failed attempt sets when the sweep
tries again (NULL: due at `scheduled_for`).

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("appointment_reminders") as batch:
        batch.add_column(sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("appointment_reminders") as batch:
        batch.drop_column("next_attempt_at")
