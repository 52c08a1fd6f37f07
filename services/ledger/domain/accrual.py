"""What should have been accrued and committed, computed from the current commissioning snapshots.

Rounding (so that totals reconcile): cost is exact (`Fraction` pence) per day until it is posted.
The pence posted for an enrolment up to the end of any segment equal its exact cost from the
enrolment's start to that day, rounded half to even. Each month (and each constant-price segment
inside a month) gets the difference between two such cumulative roundings, so rounding never
accumulates: a whole enrolment's accruals are within half a penny of its exact cost, whichever
months it is split into. Block contracts do the same per intervention from its start, then share a
month's pence among its children by enrolled days with the largest-remainder method.

Per-session interventions accrue nothing: how many sessions were delivered is only known from
the provider's invoice, so their cost appears on the invoiced basis (and on the accrued basis only
if finance posts an accrual or adjustment for it).

Lines are split where the daily rate changes (a price amendment mid-month), so spreading each line
evenly over its days, as the value service does, gives the exact daily cost.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from fractions import Fraction

from services.ledger.domain.calendar import (
    ONE_DAY,
    Span,
    days_in,
    month_span,
    months,
    overlap,
    split_by_financial_year,
)
from services.ledger.domain.model import CostLine
from services.ledger.domain.proration import apportion
from services.ledger.domain.terms import EnrolmentTerms, InterventionTerms


def rate_segments(terms: InterventionTerms, span: Span) -> list[tuple[Span, Fraction]]:
    """`span` cut into runs of days with one daily rate: at price changes and month starts."""
    cuts = {price.effective_from for price in terms.prices}
    cuts.update(first for first in months(span))
    starts = sorted({span[0], *(cut for cut in cuts if span[0] < cut <= span[1])})
    ends = [following - ONE_DAY for following in starts[1:]] + [span[1]]
    return [
        ((start, end), terms.daily_rate(start)) for start, end in zip(starts, ends, strict=True)
    ]


def exact_cost(terms: InterventionTerms, span: Span | None) -> Fraction:
    if span is None:
        return Fraction(0)
    return sum((rate * days_in(part) for part, rate in rate_segments(terms, span)), Fraction(0))


def _cumulative_lines(
    terms: InterventionTerms, whole: Span, window: Span, child_ref: str | None
) -> list[CostLine]:
    """Lines for the days of `window` in `whole`, rounded cumulatively from `whole`'s start."""
    before = (whole[0], window[0] - ONE_DAY) if window[0] > whole[0] else None
    cumulative = exact_cost(terms, before)
    posted = round(cumulative)
    lines = []
    for part, rate in rate_segments(terms, window):
        cumulative += rate * days_in(part)
        amount = round(cumulative) - posted
        posted += amount
        if amount:
            lines.append(CostLine(child_ref, part[0], part[1], amount))
    return lines


def enrolment_lines(
    terms: InterventionTerms, enrolment: EnrolmentTerms, month: date
) -> list[CostLine]:
    """Expected accrual of one per-child enrolment in the calendar month starting `month`."""
    if terms.pricing_model not in ("per_child_week", "per_child_day"):
        return []
    enrolled = enrolment.span_within(terms)
    window = overlap(enrolled, month_span(month)) if enrolled else None
    if enrolled is None or window is None:
        return []
    return _cumulative_lines(terms, enrolled, window, enrolment.child_ref)


def block_lines(
    terms: InterventionTerms, enrolments: Iterable[EnrolmentTerms], month: date
) -> list[CostLine]:
    """Expected accrual of a block contract in one calendar month, shared over its children.

    The month's pence are shared among the children enrolled in it by enrolled days, one line per
    enrolment over its enrolled days; with no child enrolled they stay one untagged line.
    """
    if terms.pricing_model != "block_per_month":
        return []
    window = overlap(terms.span, month_span(month))
    if window is None:
        return []
    total = sum(line.cost_pence for line in _cumulative_lines(terms, terms.span, window, None))
    spans = []
    for enrolment in sorted(enrolments, key=lambda e: e.enrolment_id):
        enrolled = enrolment.span_within(terms)
        part = overlap(enrolled, window) if enrolled else None
        if part:
            spans.append((enrolment.child_ref, part))
    if total == 0:
        return []
    if not spans:
        return [CostLine(None, window[0], window[1], total)]
    shares = apportion(total, [days_in(part) for _, part in spans])
    return [
        CostLine(child, part[0], part[1], share)
        for (child, part), share in zip(spans, shares, strict=True)
        if share
    ]


def commitment_lines(terms: InterventionTerms) -> list[CostLine]:
    """An intervention's commitment: its budget, spread over its financial years by days;
    nothing once it is withdrawn (its commitment chain then posts the reversal)."""
    if terms.withdrawn:
        return []
    parts = split_by_financial_year(terms.span)
    shares = apportion(terms.budget_pence, [days_in(part) for part in parts])
    return [
        CostLine(None, part[0], part[1], share)
        for part, share in zip(parts, shares, strict=True)
        if share
    ]
