"""What the ledger knows of commissioning: the latest snapshot of interventions and enrolments."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction

from services.ledger.domain.calendar import Span, days_in_month, overlap

PRICING_MODELS = ("per_child_week", "per_child_day", "per_session", "block_per_month")


@dataclass(frozen=True)
class PricePeriod:
    effective_from: date
    unit_price_pence: int


@dataclass(frozen=True)
class InterventionTerms:
    intervention_id: str
    provider_id: str
    category: str
    pricing_model: str
    prices: tuple[PricePeriod, ...]
    start_date: date
    end_date: date
    budget_pence: int
    version: int
    # ended while still a draft: nothing was bought, so none of its budget stays committed
    withdrawn: bool = False
    title: str = ""  # for people reading the ledger's reports; the ledger's figures never use it

    @property
    def span(self) -> Span:
        return self.start_date, self.end_date

    def price_on(self, day: date) -> int:
        """The unit price in force on `day`: the latest one effective by then. Days before the
        first effective date (which commissioning sets to the start) take the first price."""
        ordered = sorted(self.prices, key=lambda price: price.effective_from)
        current = ordered[0].unit_price_pence
        for price in ordered:
            if price.effective_from <= day:
                current = price.unit_price_pence
        return current

    def daily_rate(self, day: date) -> Fraction:
        """Exact pence per day (per child, or per contract for block amounts) on `day`.

        Weekly prices are prorated by day (price / 7), block amounts by the days of their calendar
        month (price / days in month). Per-session prices accrue nothing: how many sessions were
        delivered is only known when the provider invoices them.
        """
        price = self.price_on(day)
        if self.pricing_model == "per_child_week":
            return Fraction(price, 7)
        if self.pricing_model == "per_child_day":
            return Fraction(price)
        if self.pricing_model == "block_per_month":
            return Fraction(price, days_in_month(day))
        return Fraction(0)


@dataclass(frozen=True)
class EnrolmentTerms:
    enrolment_id: str
    intervention_id: str
    provider_id: str
    child_ref: str
    start_date: date
    end_date: date | None
    version: int

    def span_within(self, intervention: InterventionTerms) -> Span | None:
        """The days the child is enrolled while the intervention runs (end dates included)."""
        end = self.end_date or intervention.end_date
        return overlap((self.start_date, end), intervention.span)
