"""UTC timestamps on the wire: ISO 8601 with a Z."""
from __future__ import annotations

from datetime import UTC, datetime
from typing import overload


@overload
def iso(value: datetime) -> str: ...
@overload
def iso(value: None) -> None: ...
@overload
def iso(value: datetime | None) -> str | None: ...


def iso(value: datetime | None) -> str | None:
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")
