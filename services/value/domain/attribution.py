"""Step 3 of the method: a child's change shared among the interventions that could claim it.

Shares are `gmpy2.mpq`: exact rationals like `Fraction`, but in C. A county's year has some
15,000 shares of changes more than one intervention claims, and every report by the rule sums
them per group: as `Fraction`s those sums took ~20 ms more a report at the largest preset.
"""

from __future__ import annotations

from collections.abc import Sequence
from fractions import Fraction
from math import lcm

from gmpy2 import mpq

COST_SHARE = "cost_share"
TIME_SHARE = "time_share"
EQUAL_SHARE = "equal_share"
RULES = (COST_SHARE, TIME_SHARE, EQUAL_SHARE)
WHOLE = mpq(1)


def check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"unknown attribution rule {rule!r}; rules are {', '.join(RULES)}")


def weighed(*, rule: str, spend: Sequence[tuple[int, int]], days: Sequence[int]) -> list[mpq]:
    """The shares, summing exactly to 1, of a change's claimants, alongside their spend in its
    window (numerator, denominator) and their enrolled days in it. Cost share with no spend in
    the window falls back to time share, and time share with no days to equal share, so a
    change is never lost for want of a weight."""
    check_rule(rule)
    if len(days) <= 1:  # most changes: whole or nothing, by every rule
        return [WHOLE] * len(days)
    if rule == COST_SHARE:
        # over one common denominator: whole-number weights, and one rational per share
        common = lcm(*(denominator for _, denominator in spend))
        weights = [numerator * (common // denominator) for numerator, denominator in spend]
        if sum(weights) > 0 and all(w >= 0 for w in weights):
            return _by_weight(weights)
    if rule in (COST_SHARE, TIME_SHARE) and sum(days) > 0:
        return _by_weight(days)
    return [mpq(1, len(days))] * len(days)


def _by_weight(weights: Sequence[int]) -> list[mpq]:
    total = sum(weights)
    return [mpq(w, total) for w in weights]


def as_fraction(share: mpq) -> Fraction:
    """A share (or a sum of them) as the `Fraction` every figure outside the method is."""
    return Fraction(int(share.numerator), int(share.denominator))
