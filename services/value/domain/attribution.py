"""Step 3 of the method: a child's change shared among the interventions that could claim it."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction
from math import lcm

COST_SHARE = "cost_share"
TIME_SHARE = "time_share"
EQUAL_SHARE = "equal_share"
RULES = (COST_SHARE, TIME_SHARE, EQUAL_SHARE)


def shares(
    *, rule: str, spend: Mapping[str, Fraction], days: Mapping[str, int]
) -> dict[str, Fraction]:
    """Shares summing exactly to 1 over the interventions in `days` (the child's enrolments in
    the window). Cost share with no spend in the window falls back to time share, and time share
    with no days to equal share, so a change is never lost for want of a weight."""
    if rule not in RULES:
        raise ValueError(f"unknown attribution rule {rule!r}; rules are {', '.join(RULES)}")
    interventions = sorted(days)
    if len(interventions) <= 1:  # most changes: whole or nothing, by every rule
        return dict.fromkeys(interventions, Fraction(1))
    if rule == COST_SHARE:
        spent = [spend.get(k, 0) for k in interventions]
        # over one common denominator: whole-number weights, and one `Fraction` per share
        common = lcm(*(s.denominator for s in spent))
        weights = [s.numerator * (common // s.denominator) for s in spent]
        if sum(weights) > 0 and all(w >= 0 for w in weights):
            return _shares_by(interventions, weights)
    if rule in (COST_SHARE, TIME_SHARE):
        weights = [days[k] for k in interventions]
        if sum(weights) > 0:
            return _shares_by(interventions, weights)
    return {k: Fraction(1, len(interventions)) for k in interventions}


def _shares_by(interventions: list[str], weights: list[int]) -> dict[str, Fraction]:
    total = sum(weights)
    return {k: Fraction(w, total) for k, w in zip(interventions, weights, strict=True)}
