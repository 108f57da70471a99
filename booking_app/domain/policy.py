"""Cancellation and reschedule policy (pure).

Choices where the spec is open:
- exactly `lead_time_hours` before the start is still on time (not late);
- an on-time customer cancel refunds paid × refund_percent;
- a late cancel in `fee` mode charges the fee and refunds paid × refund_percent − fee, never
  below zero (an unpaid booking simply owes the fee);
- the owner or the system may always cancel or reschedule, with a full refund and no fee.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

from booking_app.domain.money import cents

PARTIES = ("customer", "owner", "system")


def hours_until(start: datetime, now: datetime) -> float:
    if start.tzinfo is None or now.tzinfo is None:
        raise ValueError("naive datetime: give times with a UTC offset")
    # In UTC: subtracting two times of one zone would count wall-clock hours, wrong on DST days.
    return (start.astimezone(UTC) - now.astimezone(UTC)).total_seconds() / 3600


@dataclass(frozen=True)
class CancellationPolicy:
    lead_time_hours: float = 24
    late_cancellation: str = "block"
    late_cancel_fee: Decimal = Decimal("0")
    refund_percent: int = 100

    @classmethod
    def from_dict(cls, d: Mapping | None) -> CancellationPolicy:
        d = dict(d or {})
        unknown = set(d) - {"lead_time_hours", "late_cancellation", "late_cancel_fee", "refund_percent"}
        if unknown:
            raise ValueError(f"unknown policy setting {sorted(unknown)[0]!r}")
        try:
            policy = cls(
                lead_time_hours=float(d.get("lead_time_hours", 24)),
                late_cancellation=str(d.get("late_cancellation", "block")),
                late_cancel_fee=cents(Decimal(str(d.get("late_cancel_fee", 0)))),
                refund_percent=int(d.get("refund_percent", 100)),
            )
        except (TypeError, ValueError, InvalidOperation) as exc:
            raise ValueError("the cancellation policy has a value that is not a number") from exc
        if policy.lead_time_hours < 0:
            raise ValueError("lead_time_hours cannot be negative")
        if policy.late_cancellation not in ("block", "fee"):
            raise ValueError("late_cancellation must be 'block' or 'fee'")
        if policy.late_cancel_fee < 0:
            raise ValueError("late_cancel_fee cannot be negative")
        if not 0 <= policy.refund_percent <= 100:
            raise ValueError("refund_percent must be between 0 and 100")
        return policy

    def describe(self, currency: str = "") -> str:
        hours = f"{self.lead_time_hours:g} hour{'s' if self.lead_time_hours != 1 else ''}"
        text = f"Free cancellation up to {hours} before the appointment."
        if self.late_cancellation == "block":
            return text + " Later cancellations are not possible; you can reschedule instead."
        fee = f"{self.late_cancel_fee:.2f}{' ' + currency if currency else ''}"
        return text + f" Later cancellations cost a fee of {fee}."


@dataclass(frozen=True)
class CancelDecision:
    allowed: bool
    late: bool
    hours_until: float
    fee: Decimal
    refund_amount: Decimal


def decide_cancellation(policy: CancellationPolicy, *, start: datetime, now: datetime,
                        paid_amount: Decimal | None, by: str) -> CancelDecision:
    if by not in PARTIES:
        raise ValueError(f"unknown party {by!r}")
    hours = hours_until(start, now)
    paid = Decimal(paid_amount or 0)
    zero = Decimal("0.00")
    if by != "customer":
        return CancelDecision(True, False, round(hours, 2), zero, cents(paid))
    share = paid * Decimal(policy.refund_percent) / 100
    late = hours < policy.lead_time_hours
    if not late:
        return CancelDecision(True, False, round(hours, 2), zero, cents(share))
    if policy.late_cancellation == "block":
        return CancelDecision(False, True, round(hours, 2), zero, zero)
    fee = policy.late_cancel_fee
    return CancelDecision(True, True, round(hours, 2), cents(fee), cents(max(share - fee, Decimal(0))))


def reschedule_allowed(*, window_hours: float, start: datetime, now: datetime, by: str) -> tuple[bool, float]:
    hours = hours_until(start, now)
    return (by != "customer" or hours >= window_hours), round(hours, 2)
