"""Step 3 of the method: a change more than one intervention claims, shared among them by a rule.
Shares are exact and sum to 1."""

from __future__ import annotations

from fractions import Fraction

COST_SHARE = "cost_share"
TIME_SHARE = "time_share"
EQUAL_SHARE = "equal_share"
RULES = (COST_SHARE, TIME_SHARE, EQUAL_SHARE)


def check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"unknown attribution rule {rule!r}; rules are {', '.join(RULES)}")


def shares_of(rule: str, days: dict[str, int], spend: dict[str, Fraction]) -> dict[str, Fraction]:
    """Each claimant's share: by cost share its `spend` on the child between the change's
    baseline and latest days, by time share its enrolled `days` between them, or equal. Cost
    share with no spend (or a negative one, after a reversal) falls back to time share, and time
    share with no days to equal share, so a change is never lost for want of a weight."""
    check_rule(rule)
    weights: list[dict[str, Fraction] | dict[str, int]] = []
    if rule == COST_SHARE:
        weights.append({k: spend.get(k, Fraction(0)) for k in days})
    if rule in (COST_SHARE, TIME_SHARE):
        weights.append(days)
    for weight in weights:
        total = sum(weight.values())
        if total > 0 and min(weight.values()) >= 0:
            return {k: Fraction(w) / total for k, w in weight.items()}
    return {k: Fraction(1, len(days)) for k in days}
