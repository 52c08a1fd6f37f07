"""Step 3 of the method: a child's change shared among the interventions that could claim it.
Shares are exact rationals (`services.value.domain.rationals`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from services.value.domain.columns import Rows, run_starts
from services.value.domain.rationals import over

COST_SHARE = "cost_share"
TIME_SHARE = "time_share"
EQUAL_SHARE = "equal_share"
RULES = (COST_SHARE, TIME_SHARE, EQUAL_SHARE)


def check_rule(rule: str) -> None:
    if rule not in RULES:
        raise ValueError(f"unknown attribution rule {rule!r}; rules are {', '.join(RULES)}")


def weighed(
    *, rule: str, change: Rows, days: Rows, spend: npt.NDArray[np.object_] | None = None
) -> npt.NDArray[np.object_]:
    """The shares (`mpq`s) of claims on changes, alongside `change` (each change's claims
    adjacent), and summing exactly to 1 for each change. Claimants are weighed by their
    enrolled `days` in the change's window, or by cost share their `spend` in it (`mpq`s). Cost
    share with no spend in the window (or a negative one, after a reversal) falls back to time
    share, and time share with no days to equal share, so a change is never lost for want of a
    weight. All changes at once: a county's year has some 7,000 shared changes, and a Python
    step per change was most of a report's attribution time."""
    check_rule(rule)
    if not len(change):
        return np.zeros(0, dtype=object)
    first = run_starts(change)
    claims = np.diff(np.r_[first, len(change)])  # per change
    share = np.empty(len(change), dtype=object)
    undecided = np.ones(len(first), dtype=bool)  # per change

    def by_weight(weights: npt.NDArray[Any], usable: npt.NDArray[np.bool_]) -> None:
        # each claim of the changes still undecided that `weights` can share: its weight over
        # its change's total weight
        take = undecided & usable
        at = np.repeat(take, claims)
        total = np.repeat(np.add.reduceat(weights, first), claims)
        share[at] = over(weights[at], total[at])
        undecided[take] = False

    if rule == COST_SHARE and spend is not None:
        some = np.add.reduceat(spend, first) > 0
        by_weight(spend, some & (np.minimum.reduceat(spend, first) >= 0))
    if rule in (COST_SHARE, TIME_SHARE):
        by_weight(days, np.add.reduceat(days, first) > 0)
    by_weight(np.ones(len(change), dtype=np.int64), undecided)  # equal shares
    return share
