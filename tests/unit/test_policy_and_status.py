"""Cancellation policy edges and the status machine."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal
from itertools import product
from zoneinfo import ZoneInfo

import pytest

from booking_app.domain.policy import CancellationPolicy, decide_cancellation, reschedule_allowed
from booking_app.domain.status import TRANSITIONS, InvalidTransition, Status, check_transition

START = datetime(2026, 6, 10, 15, 0, tzinfo=timezone.utc)
BLOCK = CancellationPolicy(lead_time_hours=24, late_cancellation="block")
FEE = CancellationPolicy(lead_time_hours=24, late_cancellation="fee", late_cancel_fee=Decimal("15"),
                         refund_percent=50)


def test_exactly_at_the_boundary_is_on_time_and_one_second_later_is_late():
    on_time = decide_cancellation(BLOCK, start=START, now=START - timedelta(hours=24), paid_amount=None, by="customer")
    assert on_time.allowed and not on_time.late and on_time.hours_until == 24
    late = decide_cancellation(BLOCK, start=START, now=START - timedelta(hours=24) + timedelta(seconds=1),
                               paid_amount=None, by="customer")
    assert not late.allowed and late.late


def test_boundary_on_a_dst_day_uses_real_elapsed_hours():
    zone = ZoneInfo("America/New_York")
    start = datetime(2026, 3, 8, 12, 0, tzinfo=zone)  # the spring-forward day: 23-hour day
    same_wall_clock_day_before = datetime(2026, 3, 7, 12, 0, tzinfo=zone)
    decision = decide_cancellation(BLOCK, start=start, now=same_wall_clock_day_before, paid_amount=None,
                                   by="customer")
    assert decision.hours_until == 23 and not decision.allowed


def test_fee_mode_refunds_share_minus_fee_never_negative():
    late = decide_cancellation(FEE, start=START, now=START - timedelta(hours=2), paid_amount=Decimal("90"),
                               by="customer")
    assert late.allowed and late.late and late.fee == Decimal("15.00") and late.refund_amount == Decimal("30.00")
    unpaid = decide_cancellation(FEE, start=START, now=START - timedelta(hours=2), paid_amount=None, by="customer")
    assert unpaid.fee == Decimal("15.00") and unpaid.refund_amount == Decimal("0.00")
    early = decide_cancellation(FEE, start=START, now=START - timedelta(days=3), paid_amount=Decimal("90"),
                                by="customer")
    assert early.fee == 0 and early.refund_amount == Decimal("45.00")


def test_owner_is_never_blocked_and_refunds_in_full():
    decision = decide_cancellation(BLOCK, start=START, now=START - timedelta(minutes=5), paid_amount=Decimal("90"),
                                   by="owner")
    assert decision.allowed and not decision.late and decision.refund_amount == Decimal("90.00")
    assert reschedule_allowed(window_hours=24, start=START, now=START - timedelta(hours=1), by="owner")[0]
    assert not reschedule_allowed(window_hours=24, start=START, now=START - timedelta(hours=1), by="customer")[0]


def test_policy_validation_and_words():
    with pytest.raises(ValueError, match="refund_percent"):
        CancellationPolicy.from_dict({"refund_percent": 140})
    with pytest.raises(ValueError, match="block"):
        CancellationPolicy.from_dict({"late_cancellation": "maybe"})
    assert "not possible" in BLOCK.describe()
    assert "15.00 EUR" in FEE.describe("EUR")


ALL = [s.value for s in Status]


@pytest.mark.parametrize("current, requested", list(product(ALL, ALL)))
def test_status_machine_allows_exactly_the_listed_transitions(current, requested):
    legal = {("pending", "confirmed"), ("pending", "cancelled"), ("confirmed", "completed"),
             ("confirmed", "no_show"), ("confirmed", "cancelled"), ("confirmed", "late_cancel"),
             ("no_show", "completed"), ("completed", "no_show")}
    if (current, requested) in legal:
        check_transition(current, requested)
    else:
        with pytest.raises(InvalidTransition, match=f"from {current} to {requested}"):
            check_transition(current, requested)
    assert sum(len(v) for v in TRANSITIONS.values()) == len(legal)
