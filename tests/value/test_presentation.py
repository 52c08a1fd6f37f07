from decimal import ROUND_HALF_EVEN, Decimal, localcontext
from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.value.domain.presentation import fixed_point


@pytest.mark.parametrize(
    ("value", "places", "printed"),
    [
        (Fraction(1, 2), 2, "0.50"),
        (Fraction(5, 8), 2, "0.62"),  # 0.625: half to even, down
        (Fraction(7, 8), 2, "0.88"),  # 0.875: half to even, up
        (Fraction(-12345, 1000), 2, "-12.34"),
        (Fraction(-1, 2000), 3, "0.000"),  # rounds to zero: no minus sign
        (Fraction(2, 3), 0, "1"),
        (Fraction(10**30 + 1, 3), 1, "333333333333333333333333333333.7"),  # past a float's digits
    ],
)
def test_prints_exact_values_rounded_half_to_even(
    value: Fraction, places: int, printed: str
) -> None:
    assert fixed_point(value, places) == printed


@given(
    numerator=st.integers(-(10**24), 10**24),
    denominator=st.integers(1, 10**12),
    places=st.integers(1, 4),
)
def test_prints_what_exact_decimal_rounding_prints(
    numerator: int, denominator: int, places: int
) -> None:
    value = Fraction(numerator, denominator)
    with localcontext() as exact:
        exact.prec = 100
        quotient = Decimal(value.numerator) / Decimal(value.denominator)
        # + 0: "-0.00" is printed "0.00"
        rounded = quotient.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_EVEN) + 0
    assert fixed_point(value, places) == str(rounded)
