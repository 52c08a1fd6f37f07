"""Money as whole pence, never a float.

Amounts travel and are stored as `int` pence. Decimal strings such as "1200.50" are accepted only at
the API edge (`parse_pence`) and turned into pence at once; a float is always refused, because a
float such as 0.1 + 0.2 has already lost pennies before we could look at it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction

CURRENCY = "GBP"
# At most 15 digits of pounds: far beyond any real amount, and short enough to read safely.
_DECIMAL_POUNDS = re.compile(r"(-?)(\d{1,15})(?:\.(\d{1,2}))?")


class MoneyError(ValueError):
    """An amount that is not a whole number of pence in pounds sterling."""


def parse_pence(value: object) -> int:
    """Whole pence from an int (pence) or a decimal string of pounds with at most two places."""
    if isinstance(value, (bool, float)):
        raise MoneyError(
            "must be whole pence as an integer, or pounds as a decimal string; floats are refused"
        )
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        match = _DECIMAL_POUNDS.fullmatch(value.strip())
        if not match:
            raise MoneyError(f"{value!r} is not pounds with at most two decimal places")
        sign, pounds, fraction = match.groups()
        pence = int(pounds) * 100 + int((fraction or "0").ljust(2, "0"))
        return -pence if sign else pence
    raise MoneyError("must be whole pence as an integer, or pounds as a decimal string")


def round_pence(amount: Fraction) -> int:
    """Round an exact amount of pence half-to-even, as reports do only when they print."""
    return round_half_even(amount.numerator, amount.denominator)


def round_half_even(numerator: int, denominator: int) -> int:
    """numerator / denominator rounded to a whole number, half to even, exactly. The same as
    `round(Fraction(numerator, denominator))` without making the fraction: reports round a few
    thousand figures each, and normalising each first was most of their printing time."""
    if denominator < 0:
        numerator, denominator = -numerator, -denominator
    whole, remainder = divmod(numerator, denominator)
    twice = 2 * remainder
    if twice > denominator or (twice == denominator and whole % 2):
        whole += 1
    return whole


def format_pounds(pence: int) -> str:
    """'£1,234.56' (negative as '-£1,234.56') from whole pence."""
    sign = "-" if pence < 0 else ""
    pounds, rest = divmod(abs(pence), 100)
    return f"{sign}£{pounds:,}.{rest:02d}"


def pence_to_decimal(pence: int) -> Decimal:
    """Pounds as an exact Decimal with two places, for CSV and spreadsheet cells."""
    return (Decimal(pence) / 100).quantize(Decimal("0.01"))


@dataclass(frozen=True, order=True)
class Money:
    """An amount in whole pence. Adds and subtracts only with Money; never multiplies by floats."""

    pence: int

    def __post_init__(self) -> None:
        if not isinstance(self.pence, int) or isinstance(self.pence, bool):
            raise MoneyError("Money holds whole pence as an int")

    def __add__(self, other: Money) -> Money:
        return Money(self.pence + other.pence)

    def __sub__(self, other: Money) -> Money:
        return Money(self.pence - other.pence)

    def __neg__(self) -> Money:
        return Money(-self.pence)

    def __str__(self) -> str:
        return format_pounds(self.pence)
