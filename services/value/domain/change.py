"""Step 2 of the method: a child's change on one indicator, from baseline to latest."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from math import lcm
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from services.value.domain.model import Indicator, Period
from services.value.domain.observations import ObservationTable

DEFAULT_BASELINE_WINDOW_DAYS = 180
# scaled values up to this size are kept as machine integers (their differences cannot overflow)
_MACHINE_INTEGERS = 2**61


@dataclass(frozen=True, slots=True)
class Change:
    window: Period  # from the baseline's day to the latest's
    delta: Fraction  # already multiplied by the indicator's direction: positive is better
    better_off: bool
    worse_off: bool


class Changes(NamedTuple):
    """Changes found, one per series, as columns (a county has some 50,000 in a year: an object
    each would be most of a report's time)."""

    series: npt.NDArray[np.int64]  # numbers in the table searched
    baseline_day: npt.NDArray[np.int64]  # day ordinals: the change's window
    latest_day: npt.NDArray[np.int64]
    delta: npt.NDArray[Any]  # times `denominator`, and the direction: positive is better
    denominator: int
    better_off: npt.NDArray[np.bool_]
    worse_off: npt.NDArray[np.bool_]

    @property
    def count(self) -> int:
        return len(self.series)

    def change(self, n: int) -> Change:
        return Change(
            Period(
                date.fromordinal(int(self.baseline_day[n])),
                date.fromordinal(int(self.latest_day[n])),
            ),
            Fraction(int(self.delta[n]), self.denominator),
            bool(self.better_off[n]),
            bool(self.worse_off[n]),
        )

    def take(self, rows: npt.NDArray[np.int64]) -> Changes:
        """These changes' `rows`, in that order."""
        return Changes(
            self.series[rows],
            self.baseline_day[rows],
            self.latest_day[rows],
            self.delta[rows],
            self.denominator,
            self.better_off[rows],
            self.worse_off[rows],
        )


def changes_of(
    table: ObservationTable,
    indicators: Mapping[str, Indicator],
    series: npt.ArrayLike,
    first_start: npt.ArrayLike,
    *,
    period_end: date,
    window_days: int = DEFAULT_BASELINE_WINDOW_DAYS,
) -> Changes:
    """The change of each of `series` (numbers in `table`, of indicators in `indicators`) that
    has one, given the day ordinal its child's first enrolment in scope started (`first_start`,
    alongside), in the order of `series`.

    The baseline is the latest observation on or before the first start, looking back at most
    `window_days`; without one, the first observation after it. The latest is the last on or
    before `period_end`, and must be later than the baseline. All series are searched at once."""
    wanted = np.asarray(series, dtype=np.int64)
    first = np.asarray(first_start, dtype=np.int64)
    denominator, scaled, thresholds, signs = _scaled(table, indicators)
    low, high = table.starts[wanted], table.starts[wanted + 1]
    after = table.after(wanted, first)
    day = table.day
    looked_back = (after > low) & (day[np.maximum(after - 1, 0)] >= first - window_days)
    baseline = np.where(looked_back, after - 1, after)
    latest = table.after(wanted, np.full(len(wanted), period_end.toordinal())) - 1
    last_row = len(day) - 1
    baseline_day = day[np.clip(baseline, 0, last_row)].astype(np.int64)
    latest_day = day[np.clip(latest, 0, last_row)].astype(np.int64)
    found = np.flatnonzero((baseline < high) & (latest >= low) & (latest_day > baseline_day))

    codes = table.series_codes()[wanted[found]]
    values = table.value
    delta = (scaled[values[latest[found]]] - scaled[values[baseline[found]]]) * signs[codes]
    better = (delta >= thresholds[codes]).astype(bool)
    worse = ~better & (delta <= -thresholds[codes]).astype(bool)
    return Changes(
        wanted[found], baseline_day[found], latest_day[found], delta, denominator, better, worse
    )


def _scaled(
    table: ObservationTable, indicators: Mapping[str, Indicator]
) -> tuple[int, npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """Every value and threshold times one common denominator, so changes are compared exactly
    as integers: (the denominator, values by position, thresholds and signs by indicator
    position). Machine integers where they fit, Python's own otherwise."""
    known = [indicators[code] for code in table.codes if code in indicators]
    denominator = lcm(
        *(v.denominator for v in table.values), *(i.threshold.denominator for i in known)
    )

    def column(numbers: list[int]) -> npt.NDArray[np.int64]:
        small = all(abs(n) < _MACHINE_INTEGERS for n in numbers)
        return np.array(numbers, dtype=np.int64 if small else object)

    scaled = column([int(v * denominator) for v in table.values])
    # series of an indicator the facts do not define are never asked for: 0 stands in
    thresholds = column(
        [int(indicators[c].threshold * denominator) if c in indicators else 0 for c in table.codes]
    )
    signs = np.array(
        [indicators[c].sign if c in indicators else 1 for c in table.codes], dtype=np.int64
    )
    return denominator, scaled, thresholds, signs
