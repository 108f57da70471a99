"""IANA timezone validation (pure)."""
from __future__ import annotations

import zoneinfo
from functools import lru_cache


@lru_cache(maxsize=1)
def _known() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def is_valid_timezone(name: object) -> bool:
    return isinstance(name, str) and name in _known()
