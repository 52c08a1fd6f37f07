"""The value service's own read model, built from every topic and read by every report.

Each effect is idempotent and independent of arrival order: snapshots (providers, interventions,
enrolments, indicators) keep the highest version; observations, withdrawals, needs assessments
and ledger transactions are inserted once under their own id. Which observations are current is
decided when a report reads them, so a correction may arrive before what it corrects.

Reading the whole model is the slow part of a report on FerretDB, so the facts are cached in the
process, keyed by a generation counter that every effective write bumps after writing (and that a
reset bumps too, never lowers): a report reads one document by `_id` and reloads only when
something changed since it last loaded.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from datetime import date
from fractions import Fraction
from typing import Any

from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import DuplicateKeyError

from services.value.domain.model import (
    CostLine,
    Enrolment,
    Facts,
    Indicator,
    Intervention,
    NeedsAssessment,
    Observation,
    Period,
    PricePeriod,
)
from services.value.domain.observations import ObservationRecord, current_observations
from shared.events.catalogue import commissioning as c
from shared.events.catalogue import ledger as ledger_events
from shared.events.catalogue import outcomes as o
from shared.events.envelope import Envelope
from shared.mongo import insert_once

COLLECTIONS = (
    "providers",
    "interventions",
    "enrolments",
    "indicators",
    "observations",
    "withdrawals",
    "needs",
    "transactions",
)


META = "meta"  # not reset with the model: the generation only ever goes up
GENERATION = "generation"


def _keep_latest(
    collection: Collection[dict[str, Any]], key: str, snapshot: dict[str, Any]
) -> bool:
    """Store `snapshot` unless one with the same or a higher version is already there; True if
    this call stored it."""
    with contextlib.suppress(DuplicateKeyError):  # as new or newer is stored: old news
        result = collection.update_one(
            {"_id": key, "version": {"$lt": snapshot["version"]}}, {"$set": snapshot}, upsert=True
        )
        return bool(result.modified_count or result.upserted_id is not None)
    return False


class ReadModel:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.db = db
        self._cache: dict[str, tuple[int, Facts, list[dict[str, Any]]]] = {}

    def reset(self) -> None:
        for name in COLLECTIONS:
            self.db.drop_collection(name)
        self._changed(True)

    def generation(self) -> int:
        counter = self.db[META].find_one({"_id": GENERATION})
        return int(counter["n"]) if counter else 0

    def _changed(self, changed: bool) -> None:
        if changed:
            self.db[META].update_one({"_id": GENERATION}, {"$inc": {"n": 1}}, upsert=True)

    def handlers(self) -> dict[str, Callable[[Envelope], None]]:
        snapshot = {
            **dict.fromkeys((c.PROVIDER_REGISTERED, c.PROVIDER_UPDATED), self._provider),
            **dict.fromkeys(
                (
                    c.INTERVENTION_COMMISSIONED,
                    c.INTERVENTION_ACTIVATED,
                    c.INTERVENTION_AMENDED,
                    c.INTERVENTION_SUSPENDED,
                    c.INTERVENTION_RESUMED,
                    c.INTERVENTION_ENDED,
                ),
                self._intervention,
            ),
            **dict.fromkeys((c.CHILD_ENROLLED, c.ENROLMENT_ENDED), self._enrolment),
            **dict.fromkeys(
                (o.INDICATOR_ADDED, o.INDICATOR_VERSIONED, o.INDICATOR_RETIRED), self._indicator
            ),
        }
        return {
            **snapshot,
            o.OBSERVATION_RECORDED: self._observation,
            o.OBSERVATION_CORRECTED: self._observation,
            o.OBSERVATION_WITHDRAWN: self._withdrawal,
            o.NEEDS_ASSESSED: self._needs,
            ledger_events.TRANSACTION_POSTED: self._transaction,
        }

    def apply(self, event: Envelope) -> None:
        self.handlers()[event.type](event)

    # --- effects, one per kind of fact ---------------------------------------------------------

    def _provider(self, event: Envelope) -> None:
        self._changed(_keep_latest(self.db.providers, event.data["provider_id"], dict(event.data)))

    def _intervention(self, event: Envelope) -> None:
        snapshot = event.data["intervention"]
        self._changed(
            _keep_latest(self.db.interventions, snapshot["intervention_id"], dict(snapshot))
        )

    def _enrolment(self, event: Envelope) -> None:
        snapshot = event.data["enrolment"]
        self._changed(_keep_latest(self.db.enrolments, snapshot["enrolment_id"], dict(snapshot)))

    def _indicator(self, event: Envelope) -> None:
        snapshot = event.data["indicator"]
        self._changed(_keep_latest(self.db.indicators, snapshot["code"], dict(snapshot)))

    def _observation(self, event: Envelope) -> None:
        data = event.data
        # the value as the decimal text it was sent as, so no binary float reaches the method
        document = {**data, "_id": data["observation_id"], "value": repr(data["value"])}
        self._changed(insert_once(self.db.observations, document))

    def _withdrawal(self, event: Envelope) -> None:
        self._changed(
            insert_once(self.db.withdrawals, {**event.data, "_id": event.data["observation_id"]})
        )

    def _needs(self, event: Envelope) -> None:
        self._changed(
            insert_once(self.db.needs, {**event.data, "_id": event.data["assessment_id"]})
        )

    def _transaction(self, event: Envelope) -> None:
        document = {**event.data, "_id": event.data["transaction_id"]}
        self._changed(insert_once(self.db.transactions, document))

    # --- what reports read ---------------------------------------------------------------------

    def transactions(self, basis: str) -> list[dict[str, Any]]:
        return self._load(basis)[2]

    def facts(self, basis: str) -> Facts:
        return self._load(basis)[1]

    def _load(self, basis: str) -> tuple[int, Facts, list[dict[str, Any]]]:
        generation = self.generation()  # read before loading: the load is at least this fresh
        cached = self._cache.get(basis)
        if cached and cached[0] == generation:
            return cached
        transactions = sorted(self.db.transactions.find({"basis": basis}), key=lambda t: t["_id"])
        records = [_observation(doc) for doc in self.db.observations.find({})]
        withdrawn = [doc["_id"] for doc in self.db.withdrawals.find({})]
        intervention_docs = {doc["_id"]: doc for doc in self.db.interventions.find({})}
        facts = Facts(
            interventions={key: _intervention(doc) for key, doc in intervention_docs.items()},
            enrolments=[
                _enrolment(doc, intervention_docs.get(doc["intervention_id"]))
                for doc in self.db.enrolments.find({})
            ],
            indicators={doc["_id"]: _indicator(doc) for doc in self.db.indicators.find({})},
            observations=current_observations(records, withdrawn),
            lines=[line for t in transactions for line in _lines(t)],
            needs=[_needs(doc) for doc in self.db.needs.find({})],
            provider_names={doc["_id"]: doc["name"] for doc in self.db.providers.find({})},
        )
        self._cache[basis] = (generation, facts, transactions)
        return self._cache[basis]


def _day(text: str) -> date:
    return date.fromisoformat(text)


def _intervention(doc: dict[str, Any]) -> Intervention:
    return Intervention(
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


def _enrolment(doc: dict[str, Any], intervention: dict[str, Any] | None) -> Enrolment:
    """An enrolment not yet ended runs to its intervention's end date, as commissioning rules."""
    end = doc.get("end_date") or (intervention or {}).get("end_date")
    return Enrolment(
        enrolment_id=doc["enrolment_id"],
        intervention_id=doc["intervention_id"],
        child_ref=doc["child_ref"],
        start=_day(doc["start_date"]),
        end=_day(end) if end else None,
    )


def _indicator(doc: dict[str, Any]) -> Indicator:
    return Indicator(
        code=doc["code"],
        name=doc["name"],
        outcome_area=doc["outcome_area"],
        unit=doc["unit"],
        direction=doc["direction"],
        threshold=Fraction(repr(doc["improvement_threshold"])),
    )


def _observation(doc: dict[str, Any]) -> ObservationRecord:
    observation = Observation(
        observed_on=_day(doc["observed_on"]),
        recorded_at=doc["recorded_at"],
        observation_id=doc["_id"],
        child_ref=doc["child_ref"],
        indicator_code=doc["indicator_code"],
        value=Fraction(doc["value"]),
    )
    return ObservationRecord(observation, doc.get("supersedes"))


def _needs(doc: dict[str, Any]) -> NeedsAssessment:
    return NeedsAssessment(
        doc["child_ref"], _day(doc["assessed_on"]), doc["_id"], doc["need_level"]
    )


def _lines(transaction: dict[str, Any]) -> list[CostLine]:
    return [
        CostLine(
            transaction_id=transaction["_id"],
            intervention_id=transaction.get("intervention_id"),
            child_ref=line.get("child_ref"),
            period=Period(_day(line["service_period_start"]), _day(line["service_period_end"])),
            cost_pence=line["cost_pence"],
        )
        for line in transaction["lines"]
    ]
