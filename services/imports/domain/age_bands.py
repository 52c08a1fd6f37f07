"""Age bands instead of dates of birth: the DfE's own bands for children looked after."""

from __future__ import annotations

from datetime import date

# (lowest age in years, label), youngest first: the bands of DfE, Children looked after in England
BANDS = ((0, "under 1"), (1, "1 to 4"), (5, "5 to 9"), (10, "10 to 15"), (16, "16 and over"))


def age_on(born: date, day: date) -> int:
    """Whole years of age on `day` (a child born on 29 February is a year older on 1 March)."""
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def age_band(born: date, day: date) -> str:
    age = age_on(born, day)
    if age < 0:
        raise ValueError("the day is before the child was born")
    return [label for lowest, label in BANDS if age >= lowest][-1]
