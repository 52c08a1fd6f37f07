"""Printing exact figures: pence rounded half-even only here, and small numbers suppressed."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from services.value.domain.cost_per_outcome import Figures
from shared.money import format_pounds, round_half_even, round_pence

SUPPRESSED = "suppressed"
# method 1.1: a row with better-off outcomes and no spend on the basis asked for says so, where a
# cost per outcome would print £0.00
NO_SPEND = "no spend recorded on this basis"
DEFAULT_SUPPRESSION_THRESHOLD = 5


def fixed_point(value: Fraction, places: int) -> str:
    """`value` rounded half-even to `places` decimal places, exactly (no float on the way), and
    written with all of them: "0.50", "-12.345"."""
    return quotient(value.numerator, value.denominator, places)


def quotient(numerator: int, denominator: int, places: int) -> str:
    """numerator / denominator as `fixed_point` writes it, without making the fraction: a report
    prints a few thousand ratios of exact figures, and normalising each first (a greatest common
    divisor of numbers hundreds of digits long) was most of its printing time."""
    scale = 10**places
    rounded = round_half_even(numerator * scale, denominator)
    whole, part = divmod(abs(rounded), scale)
    sign = "-" if rounded < 0 else ""
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def pence(value: Fraction | None) -> int | None:
    return None if value is None else round_pence(value)


def pounds(value: Fraction | None) -> str | None:
    return None if value is None else format_pounds(round_pence(value))


def count(children: int, value: Any, threshold: int) -> Any:
    """`value` unless it describes between 1 and threshold-1 children."""
    return SUPPRESSED if 0 < children < threshold else value


def figures_row(figures: Figures, *, threshold: int) -> dict[str, Any]:
    """One row of the cost-per-outcome report: its cost per better-off outcome is its spend
    over its (attributed) better-off outcomes, and its better-off outcomes per £1,000 the other
    way up. Counts of fewer children than `threshold` are suppressed, and so are the ratios that
    would let a reader work them back out."""
    spend, better = figures.spend, figures.better_off
    spend_pence = round_pence(spend)
    cost_per = (
        round_half_even(spend.numerator * better.denominator, spend.denominator * better.numerator)
        if better and spend
        else None
    )
    per_1000 = (
        quotient(
            better.numerator * spend.denominator * 100_000, better.denominator * spend.numerator, 3
        )
        if spend > 0
        else None
    )
    better_hidden = 0 < len(figures.better_children) < threshold
    children, measured = len(figures.children), len(figures.measured)
    return {
        "spend_pence": spend_pence,
        "spend": format_pounds(spend_pence),
        "unallocated_spend_pence": pence(figures.unallocated),
        "children_served": count(children, children, threshold),
        "child_weeks": quotient(figures.child_days, 7, 2),
        "children_with_baseline_and_later": count(measured, measured, threshold),
        "better_off": count(len(figures.better_children), fixed_point(better, 3), threshold),
        "worse_off": count(
            len(figures.worse_children), fixed_point(figures.worse_off, 3), threshold
        ),
        "cost_per_better_off_pence": SUPPRESSED if better_hidden else cost_per,
        "cost_per_better_off": _cost_per_printed(cost_per, better=better, hidden=better_hidden),
        "better_off_per_1000": SUPPRESSED if better_hidden else per_1000,
    }


def _cost_per_printed(cost_per: int | None, *, better: Fraction, hidden: bool) -> str | None:
    """The cost per better-off outcome as printed; without one, whether there was none to
    divide by (None) or no spend to divide (`NO_SPEND`)."""
    if hidden:
        return SUPPRESSED
    if cost_per is not None:
        return format_pounds(cost_per)
    return NO_SPEND if better else None
