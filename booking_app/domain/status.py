"""The appointment status machine: exactly the transitions API.md allows."""
from __future__ import annotations

from collections.abc import Mapping
from enum import Enum


class Status(str, Enum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    LATE_CANCEL = "late_cancel"


ACTIVE_STATUSES = frozenset({"pending", "confirmed"})  # the ones that occupy a slot

TRANSITIONS: Mapping[str, frozenset[str]] = {
    "pending": frozenset({"confirmed", "cancelled"}),
    "confirmed": frozenset({"completed", "no_show", "cancelled", "late_cancel"}),
    "no_show": frozenset({"completed"}),  # corrections either way
    "completed": frozenset({"no_show"}),
    "cancelled": frozenset(),
    "late_cancel": frozenset(),
}


class InvalidTransition(Exception):
    def __init__(self, current: str, requested: str) -> None:
        super().__init__(f"Cannot change status from {current} to {requested}")
        self.current = current
        self.requested = requested


def can_transition(current: str, requested: str) -> bool:
    return requested in TRANSITIONS.get(current, frozenset())


def check_transition(current: str, requested: str) -> None:
    if not can_transition(current, requested):
        raise InvalidTransition(current, requested)
