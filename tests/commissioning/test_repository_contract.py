"""One contract for the in-memory and the Mongo repositories, so the fakes stay honest."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from services.commissioning.adapters.repository import (
    AbstractInterventionRepository,
    FakeInterventionRepository,
    MongoInterventionRepository,
)
from services.commissioning.domain.model import Intervention, PricePeriod
from services.commissioning.domain.snapshots import stored_intervention
from services.commissioning.service_layer.events import intervention_event
from shared.events.catalogue import commissioning as catalogue
from shared.outbox import Outbox


@pytest.fixture(params=["fake", pytest.param("mongo", marks=pytest.mark.integration)])
def repository(request: pytest.FixtureRequest) -> Iterator[AbstractInterventionRepository]:
    if request.param == "fake":
        yield FakeInterventionRepository()
    else:
        db = request.getfixturevalue("db")
        yield MongoInterventionRepository(db, Outbox(db))


def draft(intervention_id: str = "int-1") -> Intervention:
    return Intervention(
        intervention_id=intervention_id,
        provider_id="prv-1",
        title="Therapy",
        category="therapeutic",
        pricing_model="per_session",
        prices=[PricePeriod(date(2025, 1, 1), 7_000)],
        capacity=1,
        start_date=date(2025, 1, 1),
        end_date=date(2025, 6, 30),
        budget_pence=100_000,
        target_indicators=[],
    )


def events(intervention: Intervention) -> Any:
    return [intervention_event(catalogue.INTERVENTION_ACTIVATED, intervention, date(2025, 1, 1))]


def test_what_is_added_reads_back_equal(repository: AbstractInterventionRepository) -> None:
    repository.add(draft(), events(draft()))
    assert repository.get("int-1") == draft()
    assert repository.get("int-2") is None
    assert repository.list() == [draft()]


def test_of_two_writers_who_read_the_same_revision_only_the_first_is_stored(
    repository: AbstractInterventionRepository,
) -> None:
    repository.add(draft(), events(draft()))
    officer, enroller = repository.get("int-1"), repository.get("int-1")
    assert officer is not None and enroller is not None
    officer.activate()
    assert repository.save(officer, events(officer))
    enroller.title = "Changed meanwhile"
    assert not repository.save(enroller, events(enroller))
    latest = repository.get("int-1")
    assert latest == replace(officer, revision=2)
    assert [i.status for i in repository.list()] == ["active"]
    assert latest is not None and repository.save(latest, events(latest))
    assert repository.get("int-1") == replace(officer, revision=3)


@pytest.mark.integration
def test_a_lagging_head_is_read_past(db: Any) -> None:
    repository = MongoInterventionRepository(db, Outbox(db))
    repository.add(draft(), events(draft()))
    changed = repository.get("int-1")
    assert changed is not None
    changed.activate()
    assert repository.save(changed, events(changed))
    db.interventions.update_one({"_id": "int-1"}, {"$set": {"revision": 1, "status": "draft"}})
    assert repository.get("int-1") == replace(changed, revision=2)
    assert [i.status for i in repository.list()] == ["active"]


def enrolled(repository: AbstractInterventionRepository, children: int) -> Intervention:
    """An active intervention with `children` enrolled, one revision each."""
    intervention = draft()
    intervention.capacity = children
    repository.add(intervention, events(intervention))
    for child in range(-1, children):
        current = repository.get("int-1")
        assert current is not None
        if child < 0:
            current.activate()
        else:
            current.enrol(f"child-{child:03d}", date(2025, 2, 1))
        assert repository.save(current, events(current))
    latest = repository.get("int-1")
    assert latest is not None
    return latest


@pytest.mark.integration
def test_a_revision_holds_only_the_enrolments_its_change_touched(db: Any) -> None:
    repository = MongoInterventionRepository(db, Outbox(db))
    latest = enrolled(repository, 3)
    assert latest.enrolments[0].end_date is None
    latest.end_enrolment(latest.enrolments[0], date(2025, 3, 1), "moved away")
    assert repository.save(latest, events(latest))
    stored = {r["revision"]: r for r in db.interventions_revisions.find()}
    assert [e["child_ref"] for e in stored[5]["enrolments_changed"]] == ["child-002"]
    assert [e["status"] for e in stored[6]["enrolments_changed"]] == ["ended"]
    assert "enrolments" not in stored[6]
    again = MongoInterventionRepository(db, Outbox(db)).get("int-1")
    assert again == replace(latest, revision=6)


@pytest.mark.integration
def test_a_reader_that_never_saw_the_intervention_reads_past_a_far_lagging_head(db: Any) -> None:
    writer = MongoInterventionRepository(db, Outbox(db))
    latest = enrolled(writer, 70)  # more revisions than one read looks ahead
    db.interventions.replace_one({"_id": "int-1"}, db.interventions_revisions.find_one(
        {"_id": "int-1@1"}, {"_outbox": 0, "_id": 0}))  # fmt: skip
    reader = MongoInterventionRepository(db, Outbox(db))
    assert reader.get("int-1") == latest
    assert MongoInterventionRepository(db, Outbox(db)).list() == [latest]


@pytest.mark.integration
def test_a_process_that_remembers_an_old_revision_sees_and_loses_to_anothers_change(
    db: Any,
) -> None:
    mine, theirs = (MongoInterventionRepository(db, Outbox(db)) for _ in range(2))
    enrolled(mine, 1)
    remembered = mine.get("int-1")
    changed = theirs.get("int-1")
    assert remembered is not None and changed is not None
    changed.suspend()
    assert theirs.save(changed, events(changed))
    remembered.title = "Changed from an old revision"
    assert not mine.save(remembered, events(remembered))
    assert mine.get("int-1") == replace(changed, revision=changed.revision + 1)


@pytest.mark.integration
def test_revisions_written_whole_before_revisions_held_changes_read_back(db: Any) -> None:
    """Interventions stored before revisions held only changes keep reading back."""
    repository = MongoInterventionRepository(db, Outbox(db))
    latest = enrolled(repository, 2)
    whole = stored_intervention(latest)
    db.interventions_revisions.insert_one({"_id": "int-1@5", **whole, "revision": 5})
    assert MongoInterventionRepository(db, Outbox(db)).get("int-1") == replace(latest, revision=5)
