"""Ids that arrive as text from a page or a link: a malformed one is "not found", never a crash."""
from __future__ import annotations

import uuid

from booking_app.errors import NotFound


def parse_id(value: object, what: str = "appointment") -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise NotFound(f"No such {what}.") from None
