"""The observation store on the real database: a write indexes each child once, whatever the
number of their observations in it, and reads back every field; stores written before records
and grouped index entries (top-level fields, one entry per observation) still read."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from typing import Any

import pytest
from pymongo.database import Database

from services.outcomes.adapters.observations import CHILD_INDEX, COLLECTION, MongoObservations
from services.outcomes.domain.observations import Observation
from services.outcomes.service_layer import events
from shared.outbox import Outbox

pytestmark = pytest.mark.integration


def observation(observation_id: str, child_ref: str, value: float = 12.5) -> Observation:
    return Observation(
        observation_id=observation_id,
        child_ref=child_ref,
        indicator_code="sdq_total",
        indicator_version=1,
        value=value,
        observed_on=date(2025, 1, 31),
        provider_id="prov-1",
        recorded_at=datetime(2025, 2, 3, 9, 30, 15, 123456, tzinfo=UTC),
        intervention_id="int-1",
        evidence_ref="return-7",
    )


def test_a_write_indexes_each_child_once_and_reads_back_every_field(
    db: Database[dict[str, Any]],
) -> None:
    store = MongoObservations(db, Outbox(db))
    written = [observation(f"obs-{n}", child_ref=f"CH-{n % 2}", value=10.25 + n) for n in range(5)]
    store.add_many([(o, events.observation_recorded(o)) for o in written])

    assert db[CHILD_INDEX].count_documents({}) == 2
    for child in ("CH-0", "CH-1"):
        theirs = [o for o in written if o.child_ref == child]
        assert sorted(store.for_child(child), key=lambda o: o.observation_id) == theirs
    assert store.get("obs-3") == written[3]


def test_observations_and_index_entries_stored_before_records_still_read(
    db: Database[dict[str, Any]],
) -> None:
    old = observation("obs-old", "CH-9")
    db[CHILD_INDEX].insert_one({"_id": "CH-9/obs-old"})
    db[COLLECTION].insert_one(
        {
            "_id": "obs-old",
            **{k: v for k, v in vars(old).items() if k != "observed_on"},
            "observed_on": "2025-01-31",
            "recorded_at": datetime(2025, 2, 3, 9, 30, 15, 123000, tzinfo=UTC),  # BSON's ms
            "_outbox": ["ev-1"],
        }
    )
    store = MongoObservations(db, Outbox(db))
    new = observation("obs-new", "CH-9", value=3.0)
    store.add_many([(new, events.observation_recorded(new))])

    expected_old = replace(old, recorded_at=old.recorded_at.replace(microsecond=123000))
    found = sorted(store.for_child("CH-9"), key=lambda o: o.observation_id)
    assert found == [new, expected_old]
    assert store.get("obs-old") == expected_old
