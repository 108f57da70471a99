"""Who is calling: a staff member (API key or console login), a customer (manage token) or the system."""
from __future__ import annotations

import uuid
from dataclasses import dataclass


@dataclass(frozen=True)
class Principal:
    kind: str  # staff | customer | anonymous | system
    role: str | None = None  # admin | staff for staff principals
    id: uuid.UUID | None = None  # API key / user id, or contact id for customers
    label: str | None = None
    actor_type: str = "anonymous"  # audit actor_type: api_key | staff | customer | system | anonymous

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_admin(self) -> bool:
        return self.kind == "staff" and self.role == "admin"


ANONYMOUS = Principal(kind="anonymous")
SYSTEM = Principal(kind="system", label="system", actor_type="system")
