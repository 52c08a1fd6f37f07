"""Step 3 of the method: a child's change shared among the interventions that could claim it."""

from __future__ import annotations

from collections.abc import Mapping
from fractions import Fraction

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
        weights = {k: Fraction(spend.get(k, 0)) for k in interventions}
        if sum(weights.values()) > 0 and all(w >= 0 for w in weights.values()):
            return _normalise(weights)
    if rule in (COST_SHARE, TIME_SHARE):
        total_days = sum(days[k] for k in interventions)  # whole days: no `Fraction` to add
        if total_days > 0:
            return {k: Fraction(days[k], total_days) for k in interventions}
    return {k: Fraction(1, len(interventions)) for k in interventions}


def _normalise(weights: dict[str, Fraction]) -> dict[str, Fraction]:
    total = sum(weights.values())
    return {k: w / total for k, w in weights.items()}
