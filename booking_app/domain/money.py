"""Money (pure): `Decimal` from the database to the edge, rounded to cents one way and written one way.

Amounts are `Decimal` everywhere inside the app (columns are NUMERIC(10, 2), policy fees and
refunds are computed here). Two functions are all there is:
- `cents(value)`: an amount rounded to cents, half up (2.345 -> 2.35), None kept as None;
- `as_number(value)`: its form in JSON, a number with at most two decimals (90.00 -> 90.0, 12.5 -> 12.5),
  used by the API's `Money` type and by settings stored as JSON (a calendar's late-cancel fee).
Only what people read (emails, pages) formats money as text, with the currency, in their language."""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import overload

CENT = Decimal("0.01")


@overload
def cents(value: Decimal | int | str) -> Decimal: ...
@overload
def cents(value: None) -> None: ...
def cents(value: Decimal | int | str | None) -> Decimal | None:
    """An amount rounded to cents (half up); None stays None (no amount). Floats are refused: not money."""
    if value is None:
        return None
    if isinstance(value, float):
        raise TypeError("money is Decimal, int or str, never float")
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def as_number(value: Decimal) -> float:
    """The one JSON form of an amount: a number rounded to cents."""
    return float(cents(value))
