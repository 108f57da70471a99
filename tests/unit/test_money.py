"""Money is Decimal inside and one JSON number outside (domain/money.py)."""
from __future__ import annotations

from decimal import Decimal

import pytest

from booking_app.domain.money import as_number, cents


def test_cents_rounds_half_up_and_keeps_none():
    assert cents(Decimal("2.345")) == Decimal("2.35") and cents(Decimal("2.344")) == Decimal("2.34")
    assert cents("15") == Decimal("15.00") and str(cents(7)) == "7.00"
    assert cents(None) is None


def test_floats_are_not_money():
    with pytest.raises(TypeError):
        cents(0.1)  # type: ignore[call-overload]


def test_the_json_form_is_a_number_rounded_to_cents():
    assert as_number(Decimal("90.00")) == 90.0 and isinstance(as_number(Decimal("90.00")), float)
    assert as_number(Decimal("12.5")) == 12.5 and as_number(Decimal("0.125")) == 0.13
