"""Staff notes get their own column. The console's notes and PATCH /status notes used to be appended
to the customer's `notes`, which the customer reads back on the manage link; they move to
`staff_notes` where the audit trail shows exactly what was appended (otherwise `notes` is left as it is).

Revision ID: 0004
Revises: 0003
"""
from collections import defaultdict

import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

# The audit actions whose note was appended to `notes`, and the key of their data holding it.
NOTE_KEYS = {"appointment.note_added": "note", "appointment.confirmed": "notes",
             "appointment.completed": "notes", "appointment.no_show": "notes"}
CHUNK = 500

appointments = sa.table(
    "appointments", sa.column("id"), sa.column("lineage_id"), sa.column("rescheduled_from_id"),
    sa.column("notes", sa.String), sa.column("staff_notes", sa.String), sa.column("created_at", sa.DateTime(timezone=True)))
audit_events = sa.table(
    "audit_events", sa.column("appointment_id"), sa.column("action", sa.String), sa.column("data", sa.JSON),
    sa.column("created_at", sa.DateTime(timezone=True)))


def upgrade() -> None:
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("staff_notes", sa.String(), nullable=True))
    _move_appended_notes(op.get_bind())


def downgrade() -> None:
    notes, staff = appointments.c.notes, appointments.c.staff_notes
    op.get_bind().execute(appointments.update().where(staff.is_not(None)).values(
        notes=sa.case((sa.or_(notes.is_(None), notes == ""), staff), else_=notes + "\n" + staff)))
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("staff_notes")


def _move_appended_notes(bind) -> None:
    appended = defaultdict(list)  # appointment id -> [(at, note)]
    for appointment_id, action, data, at in bind.execute(
            sa.select(audit_events.c.appointment_id, audit_events.c.action, audit_events.c.data,
                      audit_events.c.created_at)
            .where(audit_events.c.action.in_(NOTE_KEYS), audit_events.c.appointment_id.is_not(None),
                   sa.cast(audit_events.c.data, sa.Text).like('%"note%'))):
        note = (data or {}).get(NOTE_KEYS[action])
        if note:
            appended[appointment_id].append((at, note))
    lineages = {lineage for chunk in _chunks(list(appended)) for lineage in bind.execute(
        sa.select(appointments.c.lineage_id).where(appointments.c.id.in_(chunk))).scalars()}
    rows = {row.id: row for chunk in _chunks(list(lineages)) for row in bind.execute(
        sa.select(appointments).where(appointments.c.lineage_id.in_(chunk)))}
    for row in rows.values():
        split = _split(row.notes, [note for _, note in sorted(_inherited(row, rows, appended))])
        if split:
            bind.execute(appointments.update().where(appointments.c.id == row.id)
                         .values(notes=split[0], staff_notes=split[1]))


def _chunks(values: list) -> list[list]:
    return [values[i:i + CHUNK] for i in range(0, len(values), CHUNK)]


def _inherited(row, rows: dict, appended: dict) -> list:
    """The notes in this row's text: its own, and each ancestor's from before the row was copied
    from it (a reschedule copies `notes`)."""
    found, cutoff = [], None
    while row is not None:
        found += [(at, note) for at, note in appended.get(row.id, ()) if cutoff is None or at < cutoff]
        cutoff, row = row.created_at, rows.get(row.rescheduled_from_id)
    return found


def _split(text: str | None, notes: list[str]) -> tuple[str | None, str] | None:
    """(the customer's notes, the staff notes) when `text` ends with exactly these notes, else None."""
    staff = "\n".join(notes)
    if not notes or not text:
        return None
    if text == staff:
        return None, staff
    return (text[:-len(staff) - 1], staff) if text.endswith("\n" + staff) else None
