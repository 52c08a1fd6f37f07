"""OC2 (outcomes for children looked after for twelve months) into Acorn readings.

The return states each outcome as at the end of its collection year, so each reading is dated
31 March of the return's year, and sourced to the council's system: the return itself.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date

from services.imports.domain.ssda903_codes import OC2_INDICATORS


@dataclass(frozen=True)
class Reading:
    child_ref: str
    indicator_code: str
    value: int
    observed_on: date


def year_end(return_year: int) -> date:
    """The return for 2023-24 is the 2024 return; its year ends 31 March 2024."""
    return date(return_year, 3, 31)


def return_year_of(days: Iterable[date]) -> int:
    """The return's year, from its dates: the year ending on the first 31 March on or after the
    latest date an episode started."""
    latest = max(days)
    return latest.year if (latest.month, latest.day) <= (3, 31) else latest.year + 1


def source_system(return_year: int) -> str:
    return f"SSDA903 return {return_year - 1}-{return_year % 100:02d}"


def readings(
    child_ref: str, values: Mapping[str, int | None], *, observed_on: date, indicators: set[str]
) -> list[Reading]:
    """One reading per OC2 column that holds a value and whose indicator the framework has."""
    return [
        Reading(child_ref, OC2_INDICATORS[column], value, observed_on)
        for column, value in values.items()
        if value is not None and OC2_INDICATORS[column] in indicators
    ]


def unmatched_columns(indicators: set[str]) -> list[str]:
    """The OC2 columns whose indicator the framework lacks (e.g. no `substance_misuse`)."""
    return [column for column, code in OC2_INDICATORS.items() if code not in indicators]
