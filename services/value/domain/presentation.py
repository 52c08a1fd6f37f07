"""Printing exact figures: pence rounded half-even only here, and small numbers suppressed."""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from services.value.domain.cost_per_outcome import Figures
from shared.money import format_pounds, round_half_even, round_pence

SUPPRESSED = "suppressed"
DEFAULT_SUPPRESSION_THRESHOLD = 5


def fixed_point(value: Fraction, places: int) -> str:
    """`value` rounded half-even to `places` decimal places, exactly (no float on the way), and
    written with all of them: "0.50", "-12.345"."""
    scale = 10**places
    whole, part = divmod(abs(round_half_even(value.numerator * scale, value.denominator)), scale)
    sign = "-" if value < 0 and (whole or part) else ""
    return f"{sign}{whole}.{part:0{places}d}" if places else f"{sign}{whole}"


def pence(value: Fraction | None) -> int | None:
    return None if value is None else round_pence(value)


def pounds(value: Fraction | None) -> str | None:
    return None if value is None else format_pounds(round_pence(value))


def count(children: int, value: Any, threshold: int) -> Any:
    """`value` unless it describes between 1 and threshold-1 children."""
    return SUPPRESSED if 0 < children < threshold else value


def figures_row(figures: Figures, *, threshold: int) -> dict[str, Any]:
    """One row of the cost-per-outcome report. Counts of fewer children than `threshold` are
    suppressed, and so are the ratios that would let a reader work them back out."""
    better_hidden = 0 < len(figures.better_children) < threshold
    cost_per = figures.cost_per_better_off
    per_1000 = figures.better_off_per_1000
    return {
        "spend_pence": pence(figures.spend),
        "spend": pounds(figures.spend),
        "unallocated_spend_pence": pence(figures.unallocated),
        "children_served": count(len(figures.children), len(figures.children), threshold),
        "child_weeks": fixed_point(figures.child_weeks, 2),
        "children_with_baseline_and_later": count(
            len(figures.measured), len(figures.measured), threshold
        ),
        "better_off": count(
            len(figures.better_children), _attributed(figures.better_off), threshold
        ),
        "worse_off": count(len(figures.worse_children), _attributed(figures.worse_off), threshold),
        "cost_per_better_off_pence": SUPPRESSED if better_hidden else pence(cost_per),
        "cost_per_better_off": SUPPRESSED if better_hidden else pounds(cost_per),
        "better_off_per_1000": SUPPRESSED
        if better_hidden
        else (None if per_1000 is None else fixed_point(per_1000, 3)),
    }


def _attributed(value: Fraction) -> str:
    return fixed_point(value, 3)
