"""Sharing whole pence without losing or inventing a penny.

Amounts stay exact (`Fraction` of pence) while they are prorated and are turned into whole pence
only at the end, by the largest-remainder method: every share is rounded down, and the pence left
over go one each to the shares with the largest remainders (ties to the earlier share). So the
shares always add up exactly to the whole, which is what lets every report reconcile to the penny.
"""

from __future__ import annotations

import math
from collections.abc import Hashable, Mapping, Sequence
from fractions import Fraction
from typing import TypeVar

from services.ledger.domain.calendar import Span, days_in, overlap

K = TypeVar("K", bound=Hashable)


def apportion_exact(exact: Mapping[K, Fraction]) -> dict[K, int]:
    """Whole pence for each exact share, adding up to their exact total rounded half to even
    (which is the exact total itself whenever that is whole pence, as a whole line's is)."""
    total = round(sum(exact.values(), Fraction(0)))
    floors = {key: math.floor(value) for key, value in exact.items()}
    left_over = total - sum(floors.values())
    order = sorted(
        enumerate(exact), key=lambda item: (-(exact[item[1]] - floors[item[1]]), item[0])
    )
    for _, key in order[:left_over]:
        floors[key] += 1
    return floors


def apportion(total: int, weights: Sequence[int]) -> list[int]:
    """`total` pence split in proportion to positive `weights`, adding up exactly to `total`."""
    whole = sum(weights)
    if whole <= 0:
        raise ValueError("weights must add up to more than zero")
    shares = apportion_exact({index: Fraction(total * w, whole) for index, w in enumerate(weights)})
    return [shares[index] for index in range(len(weights))]


def prorate(amount: int, span: Span, window: Span) -> Fraction:
    """The exact part of `amount`, spread evenly over the days of `span`, that falls in `window`."""
    part = overlap(span, window)
    if part is None:
        return Fraction(0)
    return Fraction(amount * days_in(part), days_in(span))
