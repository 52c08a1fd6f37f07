from fractions import Fraction

import pytest

from shared.money import Money, MoneyError, format_pounds, parse_pence, round_pence


@pytest.mark.parametrize(
    ("raw", "pence"),
    [
        (120000, 120000),
        ("1200", 120000),
        ("1200.5", 120050),
        ("1200.05", 120005),
        ("0.01", 1),
        ("-3.20", -320),
        (0, 0),
    ],
)
def test_parses_whole_pence_and_decimal_pounds(raw: object, pence: int) -> None:
    assert parse_pence(raw) == pence


@pytest.mark.parametrize("raw", [12.5, 0.1, True, "1.005", "1,200", "£5", "", "1e3", None, [1]])
def test_refuses_floats_three_places_and_non_numbers(raw: object) -> None:
    with pytest.raises(MoneyError):
        parse_pence(raw)


def test_rounds_half_to_even_only_when_asked() -> None:
    assert round_pence(Fraction(5, 2)) == 2
    assert round_pence(Fraction(7, 2)) == 4
    assert round_pence(Fraction(480000, 1)) == 480000
    assert round_pence(Fraction(1, 3)) == 0


def test_formats_pounds() -> None:
    assert format_pounds(480000) == "£4,800.00"
    assert format_pounds(-5) == "-£0.05"


def test_money_only_holds_ints() -> None:
    assert Money(100) + Money(5) == Money(105)
    with pytest.raises(MoneyError):
        Money(1.5)  # type: ignore[arg-type]
