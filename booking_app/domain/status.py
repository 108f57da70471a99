"""The appointment status machine: exactly the transitions API.md allows."""
from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum


class Status(StrEnum):
    """An appointment's status. Members are the strings stored and sent (`Status.CONFIRMED == "confirmed"`)."""

    PENDING = "pending"
    CONFIRMED = "confirmed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    NO_SHOW = "no_show"
    LATE_CANCEL = "late_cancel"


STATUSES: tuple[str, ...] = tuple(s.value for s in Status)  # every status, as plain strings, in this order
ACTIVE_STATUSES = frozenset({Status.PENDING, Status.CONFIRMED})  # the ones that occupy a slot
CANCELLED_STATUSES = frozenset({Status.CANCELLED, Status.LATE_CANCEL})  # the ones a cancellation ends in

TRANSITIONS: Mapping[str, frozenset[Status]] = {
    Status.PENDING: frozenset({Status.CONFIRMED, Status.CANCELLED}),
    Status.CONFIRMED: frozenset({Status.COMPLETED, Status.NO_SHOW, Status.CANCELLED, Status.LATE_CANCEL}),
    Status.NO_SHOW: frozenset({Status.COMPLETED}),  # corrections either way
    Status.COMPLETED: frozenset({Status.NO_SHOW}),
    Status.CANCELLED: frozenset(),
    Status.LATE_CANCEL: frozenset(),
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
