"""The read model as a report process holds it: converted records by `_id`, merged as they change.

A report process loads the whole read model once, then merges only the documents the journal
says later batches wrote (`services.value.adapters.readmodel`): a snapshot, or a fact's row out of
its chunk. Records are kept by `_id`, so a fact merged twice (a redelivery, a fact stored again in
another chunk, or one a full load already saw) is one record, and a snapshot merged again is
replaced by its stored, highest, version. The method's `Facts`, and their arrangement for reports
(`Prepared`), are built from the records on demand, once per cost basis and change.

Observations and cost lines, the most numerous, are held as columns (`ObservationColumns`,
`LedgerColumns`). Of the other records, what repeats is shared rather than copied per record:
child references, intervention ids and need levels are interned.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import date
from fractions import Fraction
from functools import lru_cache
from typing import Any, NamedTuple, TypeVar

from services.value.adapters.ledger_columns import LedgerColumns
from services.value.adapters.observation_columns import ObservationColumns
from services.value.domain.model import (
    Enrolment,
    Facts,
    Indicator,
    Intervention,
    NeedsAssessment,
    PricePeriod,
)
from services.value.domain.observations import ObservationTable
from services.value.domain.prepared import Prepared

T = TypeVar("T")


class _Earlier(NamedTuple):
    """The facts and arrangement last built for a basis, and the collections merged since."""

    facts: Facts
    prepared: Prepared | None
    merged_since: set[str]


class LoadedModel:
    """Every record of the read model up to `generation`."""

    def __init__(self, generation: int) -> None:
        self.generation = generation
        self.provider_names: dict[str, str] = {}
        self.interventions: dict[str, Intervention] = {}
        self.intervention_ends: dict[str, str | None] = {}
        self.enrolments: dict[str, Enrolment] = {}  # as stored: end None while open
        self.indicators: dict[str, Indicator] = {}
        self.observations = ObservationColumns()
        self.withdrawn: set[str] = set()
        self.needs: dict[str, NeedsAssessment] = {}
        self.ledger = LedgerColumns()
        self._facts: dict[str, Facts] = {}
        self._prepared: dict[str, Prepared] = {}
        # per basis, what the next build may keep: every part that depends on none of the
        # collections merged since
        self._earlier: dict[str, _Earlier] = {}
        self._current: ObservationTable | None = None  # shared by the facts of every basis
        self._merge: dict[str, Callable[[dict[str, Any]], None]] = {
            "providers": self._provider,
            "interventions": self._intervention,
            "enrolments": self._enrolment,
            "indicators": self._indicator,
            "withdrawals": self._withdrawal,
            "needs": self._needs,
        }

    def merge(self, collection: str, documents: Iterable[dict[str, Any]]) -> None:
        for basis, facts in self._facts.items():
            self._earlier[basis] = _Earlier(facts, self._prepared.get(basis), set())
        for earlier in self._earlier.values():
            earlier.merged_since.add(collection)
        self._facts.clear()
        self._prepared.clear()
        if collection in ("observations", "withdrawals"):
            self._current = None
        if collection == "observations":
            self.observations.merge(documents)
            return
        if collection == "transactions":
            self.ledger.merge(documents)
            return
        merge = self._merge[collection]
        for document in documents:
            merge(document)

    def facts(self, basis: str) -> Facts:
        """What the method reads on `basis`; the same object until the next merge."""
        if basis not in self._facts:
            self._facts[basis] = self._build(basis)
        return self._facts[basis]

    def prepared(self, basis: str) -> Prepared:
        """The facts on `basis` arranged for reports; the same object until the next merge, so
        every report until then shares the arrangement and what it remembers."""
        if basis not in self._prepared:
            facts = self.facts(basis)
            earlier = self._earlier.pop(basis, None)
            self._prepared[basis] = Prepared(facts, previous=earlier.prepared if earlier else None)
        return self._prepared[basis]

    def transactions(self, basis: str) -> list[dict[str, Any]]:
        return self.ledger.transactions(basis)

    def _build(self, basis: str) -> Facts:
        earlier = self._earlier.get(basis)

        def kept_or_built(part: str, merged_from: tuple[str, ...], build: Callable[[], T]) -> T:
            """The earlier facts' `part` if nothing it is made from was merged since."""
            if earlier is not None and earlier.merged_since.isdisjoint(merged_from):
                kept: T = getattr(earlier.facts, part)
                return kept
            return build()

        return Facts(
            interventions=kept_or_built(
                "interventions", ("interventions",), lambda: dict(self.interventions)
            ),
            enrolments=kept_or_built(
                "enrolments",
                ("enrolments", "interventions"),  # an open enrolment ends with its intervention
                lambda: [self._with_end(e) for e in self.enrolments.values()],
            ),
            indicators=kept_or_built("indicators", ("indicators",), lambda: dict(self.indicators)),
            observations=kept_or_built(
                "observations", ("observations", "withdrawals"), self._current_observations
            ),
            lines=kept_or_built("lines", ("transactions",), lambda: self.ledger.lines(basis)),
            needs=kept_or_built("needs", ("needs",), lambda: list(self.needs.values())),
            provider_names=kept_or_built(
                "provider_names", ("providers",), lambda: dict(self.provider_names)
            ),
        )

    def _current_observations(self) -> ObservationTable:
        if self._current is None:
            self._current = self.observations.table(withdrawn=self.withdrawn)
        return self._current

    def _with_end(self, enrolment: Enrolment) -> Enrolment:
        """An enrolment not yet ended runs to its intervention's end date (commissioning's rule)."""
        if enrolment.end is not None:
            return enrolment
        end = self.intervention_ends.get(enrolment.intervention_id)
        return replace(enrolment, end=_day(end)) if end else enrolment

    # --- one document into its record ---------------------------------------------------------

    def _provider(self, doc: dict[str, Any]) -> None:
        self.provider_names[doc["_id"]] = doc["name"]

    def _intervention(self, doc: dict[str, Any]) -> None:
        self.intervention_ends[doc["_id"]] = doc.get("end_date")
        self.interventions[doc["_id"]] = Intervention(
            intervention_id=doc["intervention_id"],
            provider_id=doc["provider_id"],
            title=doc["title"],
            category=doc["category"],
            pricing_model=doc["pricing_model"],
            prices=tuple(
                PricePeriod(_day(p["effective_from"]), p["unit_price_pence"]) for p in doc["prices"]
            ),
            target_indicators=tuple(doc["target_indicators"]),
        )

    def _enrolment(self, doc: dict[str, Any]) -> None:
        end = doc.get("end_date")
        self.enrolments[doc["_id"]] = Enrolment(
            enrolment_id=doc["_id"],  # the same text: one string, not two
            intervention_id=sys.intern(doc["intervention_id"]),
            child_ref=sys.intern(doc["child_ref"]),
            start=_day(doc["start_date"]),
            end=_day(end) if end else None,
        )

    def _indicator(self, doc: dict[str, Any]) -> None:
        self.indicators[doc["_id"]] = Indicator(
            code=doc["code"],
            name=doc["name"],
            outcome_area=doc["outcome_area"],
            unit=doc["unit"],
            direction=doc["direction"],
            threshold=Fraction(doc["improvement_threshold"]),  # its decimal text
        )

    def _withdrawal(self, doc: dict[str, Any]) -> None:
        self.withdrawn.add(doc["_id"])

    def _needs(self, doc: dict[str, Any]) -> None:
        self.needs[doc["_id"]] = NeedsAssessment(
            sys.intern(doc["child_ref"]),
            _day(doc["assessed_on"]),
            doc["_id"],
            sys.intern(doc["need_level"]),
        )


@lru_cache(maxsize=65_536)
def _day(text: str) -> date:
    return date.fromisoformat(text)
