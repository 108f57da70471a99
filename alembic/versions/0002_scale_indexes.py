"""indexes for scale: status-filtered lists and analytics

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-01 22:00:00

- ix_appointments_status_start: GET /appointments?status=X across calendars walks that status in
  (start_time, id) order instead of filtering the whole time index.
- ix_appointments_active_start (partial): the same for pending/confirmed together (the upcoming
  agenda). Active rows are few and all in the future, so walking the time index from the start
  read nearly every row before finding a page of them.
- ix_appointments_replacements (partial): the few appointments that replaced another (reschedules),
  by calendar and time; revenue analytics follows them to the payments on the rows they replaced
  (without it PostgreSQL combined the calendar index with every rescheduled_from_id in the table).
- ix_payments_appointment_money (PostgreSQL): the payment columns revenue analytics sums, so its
  per-appointment look-ups are index-only.
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None

ACTIVE = "status IN ('pending', 'confirmed')"
REPLACEMENT = "rescheduled_from_id IS NOT NULL"


def upgrade() -> None:
    op.create_index('ix_appointments_status_start', 'appointments', ['status', 'start_time', 'id'])
    op.create_index('ix_appointments_active_start', 'appointments', ['start_time', 'id'],
                    postgresql_where=sa.text(ACTIVE), sqlite_where=sa.text(ACTIVE))
    op.create_index('ix_appointments_replacements', 'appointments', ['calendar_id', 'start_time'],
                    postgresql_where=sa.text(REPLACEMENT), sqlite_where=sa.text(REPLACEMENT))
    if op.get_bind().dialect.name == "postgresql":
        op.create_index('ix_payments_appointment_money', 'payments', ['appointment_id'],
                        postgresql_include=['kind', 'status', 'amount', 'currency'])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_payments_appointment_money', table_name='payments')
    op.drop_index('ix_appointments_replacements', table_name='appointments')
    op.drop_index('ix_appointments_active_start', table_name='appointments')
    op.drop_index('ix_appointments_status_start', table_name='appointments')
