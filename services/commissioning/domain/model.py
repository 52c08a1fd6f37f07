"""The commissioning aggregates and their rules.

Two aggregates: `Provider`, and `Intervention`, which *contains* its `Enrolment`s. Keeping
enrolments inside the intervention makes capacity and overlap checks one decision about one
aggregate, which the store can make race-free without transactions (see `adapters.repository`).

Three counters, for three audiences: an intervention's `version` changes when the intervention
itself changes (status, prices) and is the ETag officers send in If-Match, so enrolling a child
never invalidates an officer's ETag; each enrolment has its own `version` (the ETag of
`/enrolments/{id}`); `revision` counts every change to the aggregate, enrolments included, and is
what the store's compare-and-set uses.

Dates are whole days and both ends of a span are included. An open enrolment (no end date)
runs until the intervention's end date.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from datetime import date

from services.commissioning.domain.errors import Conflict, Invalid

PROVIDER_KINDS = ("in_house", "independent", "voluntary")
PRICING_MODELS = ("per_child_week", "per_child_day", "per_session", "block_per_month")
INTERVENTION_ENDED_REASON = "intervention ended"


@dataclass
class Provider:
    provider_id: str
    name: str
    kind: str
    ofsted_urn: str | None
    status: str = "active"
    version: int = 1

    def update(self, **changes: str | None) -> None:
        for name, value in changes.items():
            setattr(self, name, value)
        self.version += 1


@dataclass(frozen=True)
class PricePeriod:
    """A unit price in force from `effective_from` until the next period starts."""

    effective_from: date
    unit_price_pence: int


@dataclass
class Enrolment:
    enrolment_id: str
    intervention_id: str
    provider_id: str
    child_ref: str
    start_date: date
    end_date: date | None = None
    end_reason: str | None = None
    status: str = "enrolled"
    version: int = 1

    def last_day(self, intervention_end: date) -> date:
        return self.end_date or intervention_end

    def covers(self, day: date, intervention_end: date) -> bool:
        return self.start_date <= day <= self.last_day(intervention_end)

    def overlaps(self, start: date, end: date, intervention_end: date) -> bool:
        return self.start_date <= end and start <= self.last_day(intervention_end)

    def end(self, on: date, reason: str) -> None:
        if self.status == "ended":
            raise Conflict(f"enrolment {self.enrolment_id} has already ended", field="status")
        if on < self.start_date:
            raise Invalid(
                f"the end date {on} is before the enrolment's start {self.start_date}",
                field="end_date",
            )
        self.end_date, self.end_reason, self.status = on, reason, "ended"
        self.version += 1


@dataclass(frozen=True)
class Correction:
    """The fields of an intervention a correction may put right; None leaves one as it is."""

    title: str | None = None
    capacity: int | None = None
    target_indicators: list[str] | None = None
    budget_pence: int | None = None


@dataclass
class Intervention:
    intervention_id: str
    provider_id: str
    title: str
    category: str
    pricing_model: str
    prices: list[PricePeriod]
    capacity: int
    start_date: date
    end_date: date
    budget_pence: int
    target_indicators: list[str]
    status: str = "draft"
    version: int = 1
    revision: int = 1
    enrolments: list[Enrolment] = field(default_factory=list)
    # ended while still a draft: nothing was ever bought, so nothing stays committed to it
    withdrawn: bool = False

    def __post_init__(self) -> None:
        if self.end_date < self.start_date:
            raise Invalid("the end date is before the start date", field="end_date")

    # -- status ----------------------------------------------------------------------------

    def _require(self, allowed: tuple[str, ...], verb: str) -> None:
        if self.status not in allowed:
            raise Conflict(
                f"cannot {verb} an intervention that is {self.status} "
                f"(only one that is {' or '.join(allowed)})",
                field="status",
            )

    def _move(self, allowed_from: tuple[str, ...], to: str, verb: str) -> None:
        self._require(allowed_from, verb)
        self.status = to
        self.version += 1

    def activate(self) -> None:
        self._move(("draft",), "active", "activate")

    def suspend(self) -> None:
        self._move(("active",), "suspended", "suspend")

    def resume(self) -> None:
        self._move(("suspended",), "active", "resume")

    def end(self, on: date, reason: str | None) -> list[Enrolment]:
        """End on `on` (the new last day); open enrolments end with it. Returns those."""
        self._require(("draft", "active", "suspended"), "end")
        if not self.start_date <= on <= self.end_date:
            raise Invalid(
                f"the end date must be within the intervention's dates "
                f"{self.start_date} to {self.end_date}",
                field="end_date",
            )
        for enrolment in self.enrolments:
            if enrolment.start_date > on or (enrolment.end_date and enrolment.end_date > on):
                raise Conflict(
                    f"enrolment {enrolment.enrolment_id} runs after {on}; "
                    "end it or choose a later date",
                    field="end_date",
                )
        self.withdrawn = self.status == "draft"
        self.status, self.end_date = "ended", on
        self.version += 1
        still_open = [e for e in self.enrolments if e.status == "enrolled"]
        for enrolment in still_open:
            enrolment.end(on, reason or INTERVENTION_ENDED_REASON)
        return still_open

    # -- prices ----------------------------------------------------------------------------

    def price_on(self, day: date) -> int:
        """The unit price in force on `day`; earlier days keep earlier prices forever."""
        if not self.start_date <= day <= self.end_date:
            raise Invalid(f"{day} is outside the intervention's dates", field="date")
        return [p for p in self.prices if p.effective_from <= day][-1].unit_price_pence

    def amend_price(self, effective_from: date, unit_price_pence: int) -> None:
        self._require(("draft", "active", "suspended"), "amend the price of")
        latest = self.prices[-1].effective_from
        if effective_from <= latest:
            raise Conflict(
                f"a new price must take effect after the latest price change ({latest}); "
                "earlier days keep their price",
                field="effective_from",
            )
        if effective_from > self.end_date:
            raise Invalid(
                f"the price cannot take effect after the intervention ends ({self.end_date})",
                field="effective_from",
            )
        self.prices = [*self.prices, PricePeriod(effective_from, unit_price_pence)]
        self.version += 1

    # -- corrections ----------------------------------------------------------------------

    def correct(self, correction: Correction) -> list[str]:
        """Put right what was recorded wrongly, as if it had always been so. Returns the names of
        the fields that changed. A capacity below the most children enrolled at once would make
        the record contradict itself."""
        if correction.capacity is not None and self.enrolments:
            peak = self.peak_enrolled(self.start_date, self.end_date)
            if correction.capacity < peak:
                raise Conflict(
                    f"{peak} children are enrolled at once on some day; the capacity cannot be "
                    "less",
                    field="capacity",
                )
        changes = {
            name: value
            for name, value in asdict(correction).items()
            if value is not None and getattr(self, name) != value
        }
        if not changes:
            raise Invalid("the correction changes nothing", field="(body)")
        for name, value in changes.items():
            setattr(self, name, value)
        self.version += 1
        return list(changes)

    # -- enrolments ------------------------------------------------------------------------

    def enrolment(self, enrolment_id: str) -> Enrolment | None:
        return next((e for e in self.enrolments if e.enrolment_id == enrolment_id), None)

    def peak_enrolled(self, start: date, end: date) -> int:
        """Most children enrolled at once on any day from `start` to `end`."""
        spans = [e for e in self.enrolments if e.overlaps(start, end, self.end_date)]
        # the count only rises where a span starts, so those days (and `start`) are enough
        days = {start} | {e.start_date for e in spans if e.start_date >= start}
        return max(sum(e.covers(day, self.end_date) for e in spans) for day in days)

    def enrol(self, child_ref: str, start: date) -> Enrolment:
        if self.status != "active":
            raise Conflict(
                f"children can only be enrolled on an active intervention; this one is "
                f"{self.status}",
                field="status",
            )
        if not self.start_date <= start <= self.end_date:
            raise Invalid(
                f"the start date must be within the intervention's dates "
                f"{self.start_date} to {self.end_date}",
                field="start_date",
            )
        for other in self.enrolments:
            if other.child_ref == child_ref and other.overlaps(start, self.end_date, self.end_date):
                raise Conflict(
                    f"the child is already enrolled on this intervention from "
                    f"{other.start_date} (enrolment {other.enrolment_id})",
                    field="child_ref",
                )
        peak = self.peak_enrolled(start, self.end_date)
        if peak >= self.capacity:
            raise Conflict(
                f"the intervention is at capacity: {peak} of {self.capacity} places are taken "
                f"on some day from {start}",
                field="start_date",
            )
        enrolment = Enrolment(
            enrolment_id=f"{self.intervention_id}:e{len(self.enrolments) + 1}",
            intervention_id=self.intervention_id,
            provider_id=self.provider_id,
            child_ref=child_ref,
            start_date=start,
        )
        self.enrolments = [*self.enrolments, enrolment]
        return enrolment

    def enrol_until(
        self, child_ref: str, start: date, end: date | None, reason: str | None
    ) -> list[Enrolment]:
        """Enrol, and end at once on `end` when it is known (history brought in from a council's
        records). The end is checked before anything changes, so a refusal leaves nothing half
        done. Returns the enrolment as enrolled, and then as ended."""
        if end is not None and not start <= end <= self.end_date:
            raise Invalid(
                f"the end date must be from the start {start} to the intervention's end "
                f"{self.end_date}",
                field="end_date",
            )
        enrolment = self.enrol(child_ref, start)
        if end is None:
            return [enrolment]
        enrolled = replace(enrolment)
        self.end_enrolment(enrolment, end, reason or "ended")
        return [enrolled, enrolment]

    def end_enrolment(self, enrolment: Enrolment, on: date, reason: str) -> None:
        if on > self.end_date:
            raise Invalid(
                f"the end date is after the intervention ends ({self.end_date})", field="end_date"
            )
        enrolment.end(on, reason)


def intervention_of(enrolment_id: str) -> str:
    """Enrolment ids are `<intervention id>:e<n>`, so an enrolment is found by `_id` lookups."""
    return enrolment_id.rpartition(":")[0]
