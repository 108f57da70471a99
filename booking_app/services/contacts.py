"""The CRM stand-in: a contact per email address, found or created race-free."""
from __future__ import annotations

import uuid

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlmodel import Session, select

from booking_app.db import is_postgres, utcnow
from booking_app.models import Contact
from booking_app.services.errors import NotFound, ValidationFailed


def find_or_create(session: Session, *, email: str, name: str, phone: str | None,
                   timezone: str | None, language: str | None) -> Contact:
    """One statement in the common cases: a new contact is inserted, a changed one updated, both returned.
    The CRM keeps what the customer just told us (name, and phone and timezone when given)."""
    email = email.strip().lower()
    insert = pg_insert if is_postgres(session) else sqlite_insert
    now = utcnow()
    statement = insert(Contact).values(id=uuid.uuid4(), email=email, name=name, phone=phone, timezone=timezone,
                                       language=language, created_at=now, updated_at=now)
    new = statement.excluded
    told = {"name": new.name, "phone": sa.func.coalesce(new.phone, Contact.phone),
            "timezone": sa.func.coalesce(new.timezone, Contact.timezone)}
    changed = sa.or_(*(getattr(Contact, key).is_distinct_from(value) for key, value in told.items()))
    upsert = statement.on_conflict_do_update(index_elements=["email"], set_={**told, "updated_at": now},
                                             where=changed).returning(Contact)
    contact = session.scalars(upsert, execution_options={"populate_existing": True}).first()
    if contact is None:  # known and unchanged: the upsert returned nothing
        contact = session.exec(select(Contact).where(Contact.email == email)).one()
    return contact


def get_contact(session: Session, contact_id: uuid.UUID) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("No customer with that id.", field="customer_id")
    return contact


def check_matches(contact: Contact, email: str) -> None:
    if contact.email != email.strip().lower():
        raise ValidationFailed("customer_id belongs to a different email address.",
                               details=[{"field": "customer_id", "message": "does not match customer_email"}])
