"""Time zones (pure): IANA name validation, and real-time arithmetic."""
from __future__ import annotations

import zoneinfo
from datetime import UTC, datetime
from functools import lru_cache


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(name: object) -> bool:
    return isinstance(name, str) and name in _known()


def as_utc(value: datetime) -> datetime:
    """Python adds minutes to a zoned time on the wall clock (01:30 EDT + 30 min = 02:00 EST, 90 real
    minutes on the fall-back night); in UTC it is real time. Use cases take times from any caller."""
    return value.astimezone(UTC) if value.tzinfo is not None else value
