"""Days, months and financial years. Every period includes both of its end dates."""

from __future__ import annotations

from datetime import date, timedelta

ONE_DAY = timedelta(days=1)
Span = tuple[date, date]


def days_in(span: Span) -> int:
    """Days in an inclusive span."""
    return (span[1] - span[0]).days + 1


def overlap(a: Span, b: Span) -> Span | None:
    start, end = max(a[0], b[0]), min(a[1], b[1])
    return (start, end) if start <= end else None


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - ONE_DAY


def month_span(day: date) -> Span:
    return month_start(day), month_end(day)


def days_in_month(day: date) -> int:
    return month_end(day).day


def months(span: Span) -> list[date]:
    """The first day of every calendar month the span touches, in order."""
    firsts = []
    current = month_start(span[0])
    while current <= span[1]:
        firsts.append(current)
        current = month_end(current) + ONE_DAY
    return firsts


def month_key(day: date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def financial_year(day: date) -> str:
    """The English public-sector financial year (April to March) holding `day`, e.g. '2024-25'."""
    first = day.year if day.month >= 4 else day.year - 1
    return f"{first}-{(first + 1) % 100:02d}"


def financial_year_span(day: date) -> Span:
    first = day.year if day.month >= 4 else day.year - 1
    return date(first, 4, 1), date(first + 1, 3, 31)


def quarter(day: date) -> str:
    """The financial quarter holding `day`: Q1 is April to June, e.g. '2024-25 Q4'."""
    return f"{financial_year(day)} Q{((day.month - 4) % 12) // 3 + 1}"


def split_by_month(span: Span) -> list[Span]:
    return [part for first in months(span) if (part := overlap(span, month_span(first)))]


def split_by_financial_year(span: Span) -> list[Span]:
    parts = []
    current = span[0]
    while current <= span[1]:
        part = overlap(span, financial_year_span(current))
        assert part is not None
        parts.append(part)
        current = part[1] + ONE_DAY
    return parts
