"""Report periods: a financial year (April to March), one of its quarters, a month, or any
explicit run of days. All include both ends."""

from __future__ import annotations

import calendar
from datetime import date

from services.value.domain.model import Period


class PeriodError(ValueError):
    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field, self.reason = field, reason


def financial_year(fy: int) -> Period:
    """`fy=2024` is 2024-04-01 to 2025-03-31."""
    return Period(date(fy, 4, 1), date(fy + 1, 3, 31))


def financial_quarter(fy: int, quarter: int) -> Period:
    """Quarter 1 is April to June of `fy`; quarter 4 is January to March of `fy + 1`."""
    first_month = 4 + 3 * (quarter - 1)
    year = fy + (first_month - 1) // 12
    month = (first_month - 1) % 12 + 1
    last = month + 2
    return Period(date(year, month, 1), date(year, last, calendar.monthrange(year, last)[1]))


def calendar_month(text: str) -> Period:
    year, month = (int(part) for part in text.split("-"))
    return Period(date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1]))


def resolve_period(
    *,
    fy: int | None = None,
    quarter: int | None = None,
    month: str | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Period:
    """Exactly one way of naming a period: `fy` (with an optional `quarter`), `month`, or
    `from` and `to` together."""
    ways = [fy is not None, month is not None, start is not None or end is not None]
    if sum(ways) != 1:
        raise PeriodError("period", "give exactly one of fy (with quarter), month, or from and to")
    if quarter is not None and fy is None:
        raise PeriodError("quarter", "a quarter needs fy")
    if fy is not None:
        return financial_quarter(fy, quarter) if quarter else financial_year(fy)
    if month is not None:
        return calendar_month(month)
    if start is None or end is None:
        raise PeriodError("from" if start is None else "to", "from and to go together")
    if end < start:
        raise PeriodError("to", "must not be before from")
    return Period(start, end)
