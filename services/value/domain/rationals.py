"""Exact rationals in C (`gmpy2.mpq`) for the method's many shares and sums.

A county's year has some 15,000 shares of changes more than one intervention claims and some
20,000 sums of spend over distinct denominators; as `Fraction`s, Python's own arithmetic, their
sums took tens of milliseconds a report. Figures outside the method stay `Fraction`s.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from gmpy2 import mpq

WHOLE = mpq(1)
# numerators over denominators (arrays alongside), exactly, element by element
over = np.frompyfunc(mpq, 2, 1)


def as_fraction(value: mpq) -> Fraction:
    """An exact rational (a share, or a sum of them) as the `Fraction` every figure outside the
    method is."""
    return Fraction(int(value.numerator), int(value.denominator))
