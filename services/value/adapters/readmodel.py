"""The value service's own read model, built from every topic and read by every report.

Each effect is idempotent and independent of arrival order: snapshots (providers, interventions,
enrolments, indicators) keep the highest version; observations, withdrawals, needs assessments
and ledger transactions are inserted once under their own id. Which observations are current is
decided when a report reads them, so a correction may arrive before what it corrects.

Events are applied in batches (a poll's worth), because on FerretDB a round trip costs about a
millisecond while a document inside an `insert_many` costs tens of microseconds: each collection
gets one unordered `insert_many` (a duplicate `_id` is a redelivery, nothing to do), snapshots
are first reduced within the batch to the highest version per key, and the generation is bumped
once per batch that changed anything.

Reading the whole model is the slow part of a report on FerretDB, so the facts are cached in the
process, keyed by a generation counter that every effective write bumps after writing (and that a
reset bumps too, never lowers): a report reads one document by `_id` and reloads only when
something changed since it last loaded.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date
from fractions import Fraction
from typing import Any

from pymongo import UpdateOne
from pymongo.collection import Collection
from pymongo.database import Database
from pymongo.errors import BulkWriteError

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
DUPLICATE_KEY = 11000

# event type -> (collection, the snapshot in the event, its key field)
SNAPSHOTS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]], str]] = {
    **dict.fromkeys(
        (c.PROVIDER_REGISTERED, c.PROVIDER_UPDATED), ("providers", dict, "provider_id")
    ),
    **dict.fromkeys(
        (
            c.INTERVENTION_COMMISSIONED,
            c.INTERVENTION_ACTIVATED,
            c.INTERVENTION_AMENDED,
            c.INTERVENTION_SUSPENDED,
            c.INTERVENTION_RESUMED,
            c.INTERVENTION_ENDED,
        ),
        ("interventions", lambda data: dict(data["intervention"]), "intervention_id"),
    ),
    **dict.fromkeys(
        (c.CHILD_ENROLLED, c.ENROLMENT_ENDED),
        ("enrolments", lambda data: dict(data["enrolment"]), "enrolment_id"),
    ),
    **dict.fromkeys(
        (o.INDICATOR_ADDED, o.INDICATOR_VERSIONED, o.INDICATOR_RETIRED),
        ("indicators", lambda data: dict(data["indicator"]), "code"),
    ),
}


def _observation_document(data: dict[str, Any]) -> dict[str, Any]:
    # the value as the decimal text it was sent as, so no binary float reaches the method
    return {**data, "_id": data["observation_id"], "value": repr(data["value"])}


# event type -> (collection, the document inserted once under its own `_id`)
FACTS: dict[str, tuple[str, Callable[[dict[str, Any]], dict[str, Any]]]] = {
    o.OBSERVATION_RECORDED: ("observations", _observation_document),
    o.OBSERVATION_CORRECTED: ("observations", _observation_document),
    o.OBSERVATION_WITHDRAWN: ("withdrawals", lambda d: {**d, "_id": d["observation_id"]}),
    o.NEEDS_ASSESSED: ("needs", lambda d: {**d, "_id": d["assessment_id"]}),
    ledger_events.TRANSACTION_POSTED: ("transactions", lambda d: {**d, "_id": d["transaction_id"]}),
}


def _insert_new(collection: Collection[dict[str, Any]], documents: list[dict[str, Any]]) -> int:
    """Insert every document whose `_id` is not there yet; how many were inserted. Any write
    error but a duplicate key is raised."""
    try:
        return len(collection.insert_many(documents, ordered=False).inserted_ids)
    except BulkWriteError as error:
        details = error.details
        if any(e.get("code") != DUPLICATE_KEY for e in details.get("writeErrors", [])):
            raise
        return int(details.get("nInserted", 0))


def _keep_latest(collection: Collection[dict[str, Any]], snapshots: list[dict[str, Any]]) -> int:
    """Store each snapshot (its `_id` set) unless one with the same or a higher version is
    already there; how many were stored.

    New keys are inserted together; a key already stored gets a conditional update. (Upserts
    that collide on `_id` inside one bulk write come back from FerretDB without the counts
    pymongo needs, hence insert first, update second.)"""
    try:
        return len(collection.insert_many(snapshots, ordered=False).inserted_ids)
    except BulkWriteError as error:
        details = error.details
        errors = details.get("writeErrors", [])
        if any(e.get("code") != DUPLICATE_KEY for e in errors):
            raise
        inserted = int(details.get("nInserted", 0))
    updates = [
        UpdateOne(
            {"_id": s["_id"], "version": {"$lt": s["version"]}},
            {"$set": {k: v for k, v in s.items() if k != "_id"}},
        )
        for s in (snapshots[e["index"]] for e in errors)
    ]
    return inserted + collection.bulk_write(updates, ordered=False).modified_count


def _latest_per_key(
    snapshots: Iterable[tuple[str, dict[str, Any]]],
) -> dict[str, list[dict[str, Any]]]:
    """Per collection, the highest version of each key among `snapshots`, with its `_id` set."""
    latest: dict[str, dict[Any, dict[str, Any]]] = {}
    for collection, snapshot in snapshots:
        kept = latest.setdefault(collection, {})
        current = kept.get(snapshot["_id"])
        if current is None or current["version"] < snapshot["version"]:
            kept[snapshot["_id"]] = snapshot
    return {collection: list(kept.values()) for collection, kept in latest.items()}


class ReadModel:
    def __init__(self, db: Database[dict[str, Any]]) -> None:
        self.db = db
        self._cache: dict[str, tuple[int, Facts, list[dict[str, Any]]]] = {}

    def reset(self) -> None:
        for name in COLLECTIONS:
            self.db.drop_collection(name)
        self._bump_generation()

    def generation(self) -> int:
        counter = self.db[META].find_one({"_id": GENERATION})
        return int(counter["n"]) if counter else 0

    def _bump_generation(self) -> None:
        self.db[META].update_one({"_id": GENERATION}, {"$inc": {"n": 1}}, upsert=True)

    def handlers(self) -> dict[str, Callable[[Envelope], None]]:
        """One event at a time, for the consumer runner to isolate a poison event in a batch."""
        return dict.fromkeys((*SNAPSHOTS, *FACTS), self.apply)

    def apply(self, event: Envelope) -> None:
        self.apply_batch([event])

    def apply_batch(self, events: list[Envelope]) -> None:
        """Apply `events` (any order, duplicates and redeliveries included): one write per
        collection, then one generation bump if anything changed."""
        facts: dict[str, list[dict[str, Any]]] = {}
        snapshots: list[tuple[str, dict[str, Any]]] = []
        for event in events:
            if event.type in FACTS:
                name, document = FACTS[event.type]
                facts.setdefault(name, []).append(document(event.data))
            else:
                name, snapshot_of, key = SNAPSHOTS[event.type]
                snapshot = snapshot_of(event.data)
                snapshots.append((name, {**snapshot, "_id": snapshot[key]}))
        changed = 0
        for name, documents in facts.items():
            changed += _insert_new(self.db[name], documents)
        for name, latest in _latest_per_key(snapshots).items():
            changed += _keep_latest(self.db[name], latest)
        if changed:
            self._bump_generation()

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
